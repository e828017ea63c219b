"""収納サービス (Pay-easy), SPEC §5: 収納機関番号 → the numbers of its kind → the bill → 確認 → 認証 → 結果.

* :func:`biller_lookup` and :func:`bill_lookup` are the number entries. Each
  wrong entry counts, per contract and JST day, in one conditional UPDATE;
  the 10th consecutive one blocks Pay-easy for the rest of that day (lifted
  by the next day or by the branch). A right entry resets the count.
* :func:`payment_prepare` writes a DRAFT copying what will be shown; the
  amount comes from the bill, never from the customer.
* :func:`payment_confirm` fixes a digest of what 確認 showed.
* :func:`payment_execute` claims the bill (``paid_at IS NULL``), claims the
  payment (CONFIRMED → DONE with the digest), takes the day's limit and posts
  the entry (customer → the biller's clearing account), in one transaction.
  Locks are taken in a fixed order — bill, payment, the day's usage, accounts
  by id — so racing payments cannot deadlock; of two payments of one bill,
  the second finds it paid and moves nothing. A partial unique index (one
  DONE payment per bill) backs the rule in the database.
"""

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_lazy as _

from accounts import gate, locks
from accounts.limits import daily_limit, today, used_on
from accounts.models import Account, Contract, Lock
from auditlog import audit
from ibank import clock
from ledger import books
from ledger.models import JournalEntry, Memo
from notices.outbox import notify

from .drafts import AlreadyExecuted, Steps, TransferError, confirmed_claim, create_with_reference, digest_of, movement
from .models import Bill, Biller, Payment
from .refusals import InsufficientBalance, OverLimit, TransferChanged, refuse_execution
from .services import _status, post_with


class PayeasyError(TransferError):
    """A refusal of Pay-easy (the message, unless a refusal says more, is TransferError's)."""


class WrongNumbers(PayeasyError, field="__all__", reason="wrong_numbers"):
    """One answer for every wrong entry: it never tells which number was wrong."""

    message = _("入力された番号に該当するお支払いがありません。番号をお確かめのうえ、もう一度入力してください。")


class UnknownBiller(PayeasyError, field="biller_number", reason="unknown_biller"):
    message = _("入力された収納機関番号に該当する収納機関がありません。収納機関番号をお確かめください。")


TRIES_LEFT = _("番号の誤りがあと%(left)d回続くと、本日は収納サービスをご利用いただけなくなります。")


class Blocked(PayeasyError, reason="blocked"):
    message = gate.PAYEASY_BLOCKED


class BillPaid(PayeasyError, field="__all__", reason="already_paid"):
    message = _("このお支払いは既に完了しています。")


class BillOverdue(PayeasyError, field="__all__", reason="overdue"):
    message = _("お支払期限（%(due)s）を過ぎているため、お支払いいただけません。収納機関にお問い合わせください。")


class PaymentChanged(TransferChanged):
    message = _(
        "確認後にお支払いの内容が変更されたため、お取引を中止しました。もう一度収納機関番号の入力からやり直してください。"
    )


class PayeasyOverLimit(OverLimit):
    message = _("1日あたりの振込・払込みの限度額を超えています。本日お支払いいただける金額はあと%(available)s円です。")


# -- the block -----------------------------------------------------------------------


def max_failures() -> int:
    return settings.IBANK_PAYEASY_MAX_FAILURES


def is_blocked(contract: Contract, *, fresh: bool = True) -> bool:
    """The day's block is in force on ``contract`` (read afresh, or as the request loaded its locks), whatever
    else is: not the gate's first answer, which may name another lock (a locked 資金移動用パスワード)."""
    return Lock.Kind.PAYEASY in locks.open_locks(contract, refresh=fresh)


#: today's run of wrong entries is under the limit (or the run is of another day)
_UNDER_LIMIT_TODAY = "payeasy_failure_date IS NULL OR payeasy_failure_date <> %s OR payeasy_failures < %s"


def _block_until(on: date) -> datetime:
    """A block lasts the rest of the JST day ``on``."""
    return timezone.make_aware(datetime.combine(on + timedelta(days=1), time.min))


def _count_wrong(actor, contract: Contract, error_class, **detail):
    """Count one wrong entry (a new JST day starts a new run) and block at the limit, in one statement.
    Raises the customer's error; an entry made once the block is in force is void (Blocked)."""
    on, limit = today(), max_failures()
    day = connection.ops.adapt_datefield_value(on)
    counted = locks.count_contract_failure(
        actor,
        contract,
        field="payeasy_failures",
        kind=Lock.Kind.PAYEASY,
        limit=limit,
        increment=(
            "CASE WHEN payeasy_failure_date = %s THEN payeasy_failures + 1 ELSE 1 END, payeasy_failure_date = %s",
            [day, day],
            _UNDER_LIMIT_TODAY,
            [day, limit],
        ),
        until=_block_until(on),
        on_locked=lambda: _blocked(actor, contract),
    )
    if not counted.counted:
        audit.record(actor, "payeasy.input", ok=False, contract=contract, reason=Blocked.reason, **detail)
        raise Blocked
    contract.payeasy_failures = detail["failures"] = counted.failures
    audit.record(actor, "payeasy.input", ok=False, contract=contract, reason=error_class.reason, **detail)
    if counted.failures >= limit:
        raise Blocked
    error = error_class()
    left = limit - counted.failures
    if left <= 3:
        error.message = f"{error.message}{TRIES_LEFT % {'left': left}}"
    raise error


def _blocked(actor, contract: Contract) -> None:
    """Pay-easy was just blocked: audited and told, in the transaction that set the block."""
    audit.record(actor, "payeasy.block", ok=True, contract=contract, failures=max_failures())
    notify(contract, "payeasy_blocked")


def _right_entry(actor, contract: Contract) -> None:
    """A right entry ends the run, unless a block was set meanwhile (a wrong entry that raced it): refused."""
    guard, day = (Lock.Kind.PAYEASY,), connection.ops.adapt_datefield_value(today())
    under = (
        "payeasy_failure_date IS NULL OR payeasy_failure_date <> %s OR payeasy_failures < %s",
        [day, max_failures()],
    )
    field = "payeasy_failures"
    if not locks.accept(
        model=Contract,
        pk=contract.pk,
        field=field,
        contract_id=contract.pk,
        guard=guard,
        limit=max_failures(),
        under=under,
    ):
        audit.record(actor, "payeasy.input", ok=False, contract=contract, reason=Blocked.reason)
        raise Blocked
    contract.payeasy_failures = 0


def _refuse_if_blocked(actor, contract: Contract) -> None:
    if is_blocked(contract):
        audit.record(actor, "payeasy.input", ok=False, contract=contract, reason=Blocked.reason)
        raise Blocked


# -- number entries ------------------------------------------------------------------


def biller_lookup(*, actor, contract: Contract, number: str) -> Biller:
    """The 収納機関 of ``number`` (in service), or a counted wrong entry."""
    _refuse_if_blocked(actor, contract)
    biller = Biller.objects.filter(number=number, is_active=True).first()
    if biller is None:
        _count_wrong(actor, contract, UnknownBiller, biller_number=number)
    return biller


# Compared against when no bill matches, so that a miss does the same work as a wrong 確認番号.
_NO_BILL = Bill(confirmation_number="\x00" * 6)


def bill_lookup(
    *, actor, contract: Contract, biller: Biller, customer_number: str, confirmation_number: str, category: str = ""
) -> Bill:
    """The unpaid, not overdue bill the numbers name, or a counted wrong entry (one answer for any wrong number)."""
    _refuse_if_blocked(actor, contract)
    if not biller.is_public:
        category = ""
    bill = Bill.objects.filter(biller=biller, customer_number=customer_number, payment_category=category).first()
    right = constant_time_compare((bill or _NO_BILL).confirmation_number, confirmation_number)
    if bill is None or not right:
        _count_wrong(actor, contract, WrongNumbers, biller_number=biller.number)
    _right_entry(actor, contract)
    if bill.is_paid:
        audit.record(actor, "payeasy.input", ok=False, contract=contract, reason=BillPaid.reason, bill=bill.pk)
        raise BillPaid
    if bill.due_date < today():
        audit.record(actor, "payeasy.input", ok=False, contract=contract, reason=BillOverdue.reason, bill=bill.pk)
        raise BillOverdue(due=f"{bill.due_date:%Y/%m/%d}")
    return bill


# -- 入力 / 確認 ------------------------------------------------------------------------


def payment_prepare(*, actor, contract: Contract, bill: Bill, from_account: Account) -> Payment:
    """A DRAFT payment of ``bill`` from ``from_account`` (checked against balance and today's limit)."""
    try:
        balance = Account.objects.values_list("balance", flat=True).get(pk=from_account.pk)
        if bill.amount > balance:
            raise InsufficientBalance(available=f"{balance:,}")
        available = max(0, daily_limit(contract, today()) - used_on(contract, today()))
        if bill.amount > available:
            raise PayeasyOverLimit(available=f"{available:,}")
    except TransferError as error:
        audit.record(actor, "payeasy.input", ok=False, contract=contract, reason=error.reason, bill=bill.pk)
        raise
    biller = bill.biller
    payment = create_with_reference(
        Payment,
        PayeasyError,
        contract=contract,
        bill=bill,
        from_account=from_account,
        biller_number=biller.number,
        biller_name=biller.name,
        customer_number=bill.customer_number,
        payment_category=bill.payment_category,
        description=bill.description,
        amount=bill.amount,
    )
    audit.record(actor, "payeasy.input", ok=True, contract=contract, reference=payment.reference, amount=payment.amount)
    return payment


def payment_digest(payment: Payment) -> str:
    fields = [
        payment.contract_id,
        payment.reference,
        payment.bill_id,
        payment.from_account_id,
        payment.biller_number,
        payment.customer_number,
        payment.payment_category,
        payment.amount,
    ]
    return digest_of(fields)


#: 確認 and 中止 as 振込 has them (payments.drafts)
STEPS = Steps("payeasy", payment_digest, PaymentChanged)


def payment_confirm(*, actor, contract: Contract, payment: Payment) -> str:
    """DRAFT → CONFIRMED with the digest of what was shown; returns the digest."""
    return STEPS.confirm(actor=actor, contract=contract, obj=payment)


def payment_cancel(*, actor, contract: Contract, payment: Payment) -> bool:
    return STEPS.cancel(actor=actor, contract=contract, obj=payment)


# -- 実行 ---------------------------------------------------------------------------


_CLAIM_FIELDS = [
    "reference",
    "bill_id",
    "from_account_id",
    "biller_number",
    "customer_number",
    "payment_category",
    "amount",
]


def payment_execute(*, actor, contract: Contract, payment: Payment, digest: str) -> Payment:
    """Pay a confirmed, authorized payment's bill, once. Raises AlreadyExecuted, BillPaid, PaymentChanged,
    PayeasyOverLimit or InsufficientBalance (nothing moved).

    The one engine (books.post) claims the bill first (unpaid, at the amount confirmed), then the payment
    (CONFIRMED, with the digest, as loaded), takes the day's limit and moves the money: of racing payments of
    one bill, the first to commit pays it; the others find it paid and move nothing.
    """
    if STEPS.changed_since_confirm(payment, digest):
        _refused(actor, contract, payment, PaymentChanged)
    now = clock.now()
    bill = Bill.objects.select_related("biller").get(pk=payment.bill_id)

    def instruction():
        return _instruction(actor, contract, payment, bill, digest=digest, now=now)

    def then(entry_id):  # the notice commits with the money, or neither does
        payment.status, payment.entry_id, payment.executed_at = Payment.Status.DONE, entry_id, now
        notify(contract, "payeasy_done", payment=payment)

    try:
        post_with(contract, instruction, then)
    except books.Refused as refused:
        payment.status = Payment.Status.CONFIRMED
        _refused(actor, contract, payment, _refusal(refused.reason, payment))
    return payment


def _instruction(actor, contract: Contract, payment: Payment, bill: Bill, *, digest: str, now) -> books.Instruction:
    """What paying ``bill`` moves, decided here: the bill's claim (unpaid, at the confirmed amount), the
    payment's (as loaded), the posting lines, the day's ceiling, the audit entry."""
    sender = payment.from_account
    return movement(
        actor,
        contract,
        payment,
        kind=JournalEntry.Kind.PAYEASY,
        lines=[
            books.Line(sender.pk, -payment.amount, Memo.PAYEASY, bill.biller.kana),
            books.Line(bill.biller.account_id, payment.amount, Memo.PAYEASY, sender.holder_kana),
        ],
        claims=[
            books.Guard(
                Bill,
                bill.pk,
                where={"paid_at": None, "amount": payment.amount},
                set={"paid_at": now, "paid_reference": payment.reference},
                refused="bill",
            ),
            confirmed_claim(
                payment, contract=contract, digest=digest, fields=_CLAIM_FIELDS, done=Payment.Status.DONE, now=now
            ),
        ],
        digest=digest,
        now=now,
        action="payeasy.execute",
        bill=payment.bill_id,
    )


def _refusal(reason: str, payment: Payment):
    """What a refused payment tells the customer; a second execution is AlreadyExecuted (raised here)."""
    if reason in ("bill", "changed"):
        if _status(Payment, payment) == Payment.Status.DONE:
            payment.refresh_from_db()
            raise AlreadyExecuted
        # Paid by another payment, or its amount changed by the biller since 確認.
        return BillPaid if Bill.objects.filter(pk=payment.bill_id, paid_at__isnull=False).exists() else PaymentChanged
    return {"over_limit": PayeasyOverLimit, "insufficient_funds": InsufficientBalance}.get(reason, PayeasyOverLimit)


def _refused(actor, contract: Contract, payment: Payment, error_class):
    refuse_execution(actor, contract, payment, error_class, action="payeasy.execute")
