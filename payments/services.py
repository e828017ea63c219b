"""振込 (SPEC §5): 入力 → 確認 → 認証 → 結果, on the double-entry ledger.

* 入力 (:func:`transfer_prepare`) checks everything the customer can be told
  before 確認 and writes a DRAFT;
* 確認 (:func:`transfer_confirm`) moves it to CONFIRMED and fixes a keyed
  digest of what was shown (from account, payee, amount, fee);
* 実行 (:func:`transfer_execute`, after the contract's authorization method
  accepted) moves CONFIRMED → DONE / ACCEPTED in one conditional UPDATE that
  also requires the digest, then takes the day's limit by a conditional UPDATE
  and posts the ledger entry, all in one transaction. A reload or a double
  click finds the transfer executed and shows its 受付番号: money moves once.
"""

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts import authorization, gate, limits
from accounts.limits import available_today, daily_limit, today  # noqa: F401 (services.today: the bank's day)
from accounts.models import Account, Contract
from auditlog import audit
from ibank import business_days, clock
from ibank.compiled import CompiledQuery
from ledger import books
from ledger.models import JournalEntry, Memo
from notices.outbox import notify

from . import name_lookup, new_payees, payee_check
from .drafts import AlreadyExecuted, Steps, TransferError, confirmed_claim, create_with_reference, digest_of, movement
from .models import Transfer
from .refusals import (
    REFUSALS,
    InsufficientBalance,
    OverLimit,
    ReservationOverLimit,
    TransferChanged,
    refuse_execution,
)

# -- rules ------------------------------------------------------------------------


def is_same_bank(bank_code: str) -> bool:
    return bank_code == settings.IBANK_BANK_CODE


def fee_for(*, bank_code: str, amount: int) -> int:
    """振込手数料: same bank free; other banks by amount (settings)."""
    if is_same_bank(bank_code):
        return 0
    if amount < settings.IBANK_FEE_THRESHOLD:
        return settings.IBANK_FEE_OTHER_BANK_SMALL
    return settings.IBANK_FEE_OTHER_BANK_LARGE


def transfer_digest(transfer: Transfer) -> str:
    """The SHA-256 of what 確認 showed; any change between 確認 and 実行 changes it.

    Kept server-side (the session and the row), never sent to the browser.
    """
    fields = [
        transfer.contract_id,
        transfer.reference,
        transfer.from_account_id,
        transfer.bank_code,
        transfer.branch_code,
        transfer.payee_kind,
        transfer.payee_number,
        transfer.payee_name,
        transfer.to_account_id or "",
        transfer.amount,
        transfer.fee,
    ]
    if transfer.scheduled_for is not None:  # 振込予約: the 振込指定日 確認 showed
        fields.append(transfer.scheduled_for.isoformat())
    return digest_of(fields)


#: 確認, 中止 and the check at 実行 that the row is what 確認 showed (payments.drafts)
STEPS = Steps("transfer", transfer_digest, TransferChanged)


_BALANCE = CompiledQuery(lambda pk: Account.objects.only("balance").filter(pk=pk), -7_000_000_001)


@dataclass(frozen=True)
class Entry:
    """A transfer as the customer entered it (入力)."""

    from_account: Account
    bank_code: str
    branch_code: str
    payee_kind: int
    payee_number: str
    payee_name: str
    amount: int
    scheduled_for: date | None = None


def transfer_prepare(*, actor, contract: Contract, transfer: Transfer | None = None, **entered) -> Transfer:
    """Check a transfer as entered (``entered``: the fields of :class:`Entry`, by name) and save it as a DRAFT
    (a new one, or ``transfer`` corrected).

    ``scheduled_for``: a future 振込指定日 (振込予約), or None for today. A reservation's balance and the day's
    limit are taken on its day (payments.reservations); here only what cannot change by then is checked.

    One transaction: the reads, the lookup count and the draft, or the refusal's audit entry (issue 19).
    A refusal commits too (its lookup counts, its entry stays) and is raised after; only a second
    submission of an executed transfer (AlreadyExecuted) rolls back."""
    entry = Entry(**entered)
    with transaction.atomic():
        try:
            return _prepare(actor, contract, transfer, entry)
        except AlreadyExecuted:
            raise
        except TransferError as error:
            refused = error
    raise refused


def _check_amount(contract: Contract, candidate: Transfer, channel: gate.Channel) -> None:
    """The amount against what 入力 can tell: today, the balance, the day's limit and a new payee's cap; a
    reservation, only what its day cannot change (one day's limit, the whole cap)."""
    amount, fee = candidate.amount, candidate.fee
    if candidate.scheduled_for is not None:
        limit = daily_limit(contract, candidate.scheduled_for)
        if amount > limit:
            raise ReservationOverLimit(limit=f"{limit:,}")
        new_payees.check_cap(contract, candidate, available=settings.IBANK_NEW_PAYEE_DAILY_CAP, channel=channel)
        return
    balance = _BALANCE.first(candidate.from_account_id).balance
    if amount + fee > balance:
        raise InsufficientBalance(available=f"{max(0, balance - fee):,}")
    available = available_today(contract)
    if amount > available:
        raise OverLimit(available=f"{available:,}")
    new_payees.check_cap(contract, candidate, channel=channel)


def _prepare(actor, contract: Contract, transfer: Transfer | None, entry: Entry) -> Transfer:
    from_account, bank_code, branch_code, amount = entry.from_account, entry.bank_code, entry.branch_code, entry.amount
    payee_kind, payee_number, payee_name = entry.payee_kind, entry.payee_number, entry.payee_name
    try:
        looked_up = is_same_bank(bank_code) and name_lookup.take(  # 口座名義確認: counted, no oracle of names
            actor, contract, branch_code=branch_code, kind=payee_kind, number=payee_number, draft=transfer
        )
        bank, branch, to_account = payee_check.payee(
            bank_code, branch_code, payee_kind, payee_number, from_account, same_bank=is_same_bank(bank_code)
        )
        fee = fee_for(bank_code=bank_code, amount=amount)
        values = {
            "from_account": from_account,
            **{"bank_code": bank.code, "bank_name": bank.name, "bank_kana": bank.kana},
            **{"branch_code": branch.code, "branch_name": branch.name, "branch_kana": branch.kana},
            **{"payee_kind": payee_kind, "payee_number": payee_number, "payee_name": payee_name},
            **{"to_account": to_account, "amount": amount, "fee": fee, "scheduled_for": entry.scheduled_for},
            "name_looked_up": looked_up,
        }
        candidate = Transfer(contract=contract, **values)  # unsaved: what the rules below are asked about
        channel = gate.channel_of(actor)  # where its 認証 will be: which method authorizes there
        new_payees.check_hold(contract, candidate, channel=channel)  # the payee first: held or not
        values["new_payee"] = candidate.new_payee = new_payees.capped(contract, candidate)
        _check_amount(contract, candidate, channel)
    except TransferError as error:
        audit.record(actor, "transfer.input", ok=False, contract=contract, reason=error.reason, amount=amount)
        raise
    if transfer is not None:
        # A correction: only a transfer not yet executed, and it must be confirmed again.
        changed = Transfer.objects.filter(
            pk=transfer.pk, contract=contract, status__in=[Transfer.Status.DRAFT, Transfer.Status.CONFIRMED]
        ).update(status=Transfer.Status.DRAFT, digest="", confirmed_at=None, **values)
        if not changed:
            raise AlreadyExecuted
        transfer.refresh_from_db()
    else:
        transfer = create_with_reference(Transfer, TransferError, contract=contract, **values)
    audit.record(
        actor, "transfer.input", ok=True, contract=contract, reference=transfer.reference, amount=amount, fee=fee
    )
    return transfer


# -- 確認 ---------------------------------------------------------------------------


def transfer_confirm(*, actor, contract: Contract, transfer: Transfer) -> str:
    """DRAFT → CONFIRMED with the digest of what was shown; returns the digest."""
    return STEPS.confirm(actor=actor, contract=contract, obj=transfer)


# -- 実行 ---------------------------------------------------------------------------


CLAIM_FIELDS = [
    "reference",
    "from_account_id",
    "bank_code",
    "branch_code",
    "payee_kind",
    "payee_number",
    "payee_name",
    "to_account_id",
    "amount",
    "fee",
    "new_payee",
    "scheduled_for",
]


def transfer_execute(*, actor, contract: Contract, transfer: Transfer, digest: str, authorized_by=None) -> Transfer:
    """Move the money of a confirmed, authorized transfer, once.

    ``digest`` is the one kept server-side at 確認; the loaded transfer must still produce it, and the row must
    still be what it was loaded as. Raises AlreadyExecuted for a second execution, TransferChanged, OverLimit
    or InsufficientBalance (nothing moved). Python decides the movement (the posting lines, the day's
    ceiling); the one engine (books.post) applies it: one round trip on PostgreSQL. ``authorized_by``: the
    authorization method that accepted (a passkey lifts a new payee's cap).
    """
    if STEPS.changed_since_confirm(transfer, digest):
        _refused(actor, contract, transfer, TransferChanged)
    same_bank = is_same_bank(transfer.bank_code)
    done = Transfer.Status.DONE if same_bank else Transfer.Status.ACCEPTED
    now = clock.now()

    capped = not getattr(authorized_by, "lifts_new_payee_cap", False)

    if transfer.waits_for_its_day:
        raise TransferChanged  # a reservation moves money on its day only (payments.reservations)
    settles_on = settlement_day(transfer, now)

    def instruction():
        return _instruction(
            actor, contract, transfer, digest=digest, done=done, now=now, settles_on=settles_on, capped=capped
        )

    try:
        post_with(contract, instruction, executed(contract, transfer, done=done, now=now, settles_on=settles_on))
    except books.Refused as refused:
        transfer.status = Transfer.Status.CONFIRMED
        if refused.reason == "changed" and _status(Transfer, transfer) in Transfer.EXECUTED:
            transfer.refresh_from_db()
            raise AlreadyExecuted from None
        _refused(actor, contract, transfer, REFUSALS.get(refused.reason, TransferChanged))
    return transfer


def executed(contract: Contract, transfer: Transfer, *, done: str, now, settles_on):
    """post_with's ``then`` for a transfer: the row's new state as its claim wrote it, and its notice, which
    commits with the money or not at all."""

    def then(entry_id):
        transfer.status, transfer.entry_id, transfer.executed_at = done, entry_id, now
        transfer.settles_on = settles_on
        notify(contract, "transfer_done", transfer=transfer)

    return then


def settlement_day(transfer: Transfer, at):
    """The JST day the payee is credited for ``transfer`` executed ``at``: same bank at once, another bank in
    the Zengin file of the business day (ibank.business_days)."""
    if is_same_bank(transfer.bank_code):
        return timezone.localdate(at)
    return business_days.other_bank_settlement(at)


def _instruction(
    actor,
    contract: Contract,
    transfer: Transfer,
    *,
    digest: str,
    done: str,
    now,
    settles_on,
    capped: bool = True,
    claimed_from: str = Transfer.Status.CONFIRMED,
    as_name: str = "",
) -> books.Instruction:
    """What executing ``transfer`` moves, decided here: the claim of the row as loaded (``claimed_from``:
    CONFIRMED at 認証, RESERVED on a reservation's day) with the day it settles (``settlement_day``), the
    posting lines, the day's ceiling, the audit entry."""
    same_bank = done == Transfer.Status.DONE
    claim = confirmed_claim(
        transfer,
        contract=contract,
        digest=digest,
        fields=CLAIM_FIELDS,
        done=done,
        now=now,
        status=claimed_from,
        also={"settles_on": settles_on},
    )
    cap = new_payees.cap(contract, transfer) if capped else None
    return movement(
        actor,
        contract,
        transfer,
        kind=JournalEntry.Kind.TRANSFER,
        lines=_lines(transfer, same_bank=same_bank),
        claims=[claim],
        caps=[cap] if cap is not None else [],
        digest=digest,
        now=now,
        action="transfer.execute",
        as_name=as_name,
        fee=transfer.fee,
        status=done,
    )


def post_with(contract: Contract, instruction, then) -> None:
    """``books.post(instruction())`` and ``then(entry_id)`` (what commits with the money: the row's new state,
    its notice) in one transaction, which a refusal ends (so no savepoint). When the contract's limit changed
    between our read and the post (the check refused), the ceiling is decided again from the fresh row and
    the transaction runs once more."""
    for last in (False, True):
        try:
            with transaction.atomic():
                then(books.post(instruction(), savepoint=False))
            return
        except books.Refused as refused:
            if last or refused.reason != "limit_changed":
                raise
        contract.refresh_from_db(fields=limits.LIMIT_FIELDS)
        authorization.forget(contract)


def _status(model, obj) -> str | None:
    return model.objects.filter(pk=obj.pk).values_list("status", flat=True).first()


def _refused(actor, contract: Contract, transfer: Transfer, error_class: type[TransferError]):
    """Audit a refused execution (nothing moved) and raise it with the customer's message."""
    refuse_execution(actor, contract, transfer, error_class, action="transfer.execute", fee=transfer.fee)


def _lines(transfer: Transfer, *, same_bank: bool) -> list[books.Line]:
    sender = transfer.from_account
    lines = [books.Line(sender.pk, -transfer.amount, Memo.TRANSFER_OUT, transfer.payee_name)]
    if same_bank:
        lines.append(books.Line(transfer.to_account_id, transfer.amount, Memo.TRANSFER_IN, sender.holder_kana))
    else:
        clearing = Account.objects.internal(Account.Purpose.CLEARING_OUT)
        lines.append(books.Line(clearing.pk, transfer.amount, Memo.CLEARING, transfer.payee_name))
    if transfer.fee:
        fee_income = Account.objects.internal(Account.Purpose.FEE_INCOME)
        lines.append(books.Line(sender.pk, -transfer.fee, Memo.FEE))
        lines.append(books.Line(fee_income.pk, transfer.fee, Memo.FEE, sender.holder_kana))
    return lines


def transfer_cancel(*, actor, contract: Contract, transfer: Transfer) -> bool:
    """中止 before execution: nothing moved, the transfer is kept as cancelled (False: it was past that)."""
    return STEPS.cancel(actor=actor, contract=contract, obj=transfer)
