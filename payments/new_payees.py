"""Payees this contract has never paid (issue 17): what a relayed login would send the money to.

* A transfer to a **never-paid** payee is the gate's action ``TRANSFER_NEW_PAYEE``, refused during a hold
  (accounts.holds); a payee paid before is a plain ``TRANSFER``. The contract's own accounts are never new.
* A payee is **new** for its first ``IBANK_NEW_PAYEE_DAYS`` days after its first transfer: it may receive at
  most ``IBANK_NEW_PAYEE_DAILY_CAP`` a JST day, whatever the contract's limit. The cap is a ceiling the money
  engine applies with the daily limit (a usage row of its own scope, one conditional upsert), so racing
  transfers to a new payee can never together pass it.
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import Min
from django.utils.translation import gettext_lazy as _

from accounts import authorization, gate, holds
from accounts.limits import today
from accounts.models import Contract, DailyUsage
from ibank import clock
from ibank.compiled import CompiledQuery
from ledger import books

from .drafts import TransferError
from .models import Transfer

OVER_CAP_REFUSAL = "over_payee_cap"


class NewPayeeHeld(TransferError, field="payee_number", reason="held"):
    """A never-paid payee during a hold; the message is the gate's (why, until when, whom to call)."""


class NewPayeeCap(TransferError, field="amount", reason=OVER_CAP_REFUSAL):
    message = _(
        "はじめてのお振込先へは、最初のお振込から%(days)s日間、1日あたり%(cap)s円までお振込いただけます。"
        "本日このお振込先へお振込いただける金額はあと%(available)s円です。"
    )


def scope(transfer: Transfer) -> str:
    """The usage scope of the transfer's payee: ``payee:`` and bank, branch, kind, number (23 characters)."""
    return f"payee:{transfer.bank_code}{transfer.branch_code}{transfer.payee_kind}{transfer.payee_number}"


def own_account(contract: Contract, transfer: Transfer) -> bool:
    return transfer.to_account_id is not None and transfer.to_account.contract_id == contract.pk


#: the earliest executed transfer of a contract to a payee (not ``pk``), compiled once: 入力 asks it every time
_FIRST_PAID = CompiledQuery(
    lambda contract_pk, bank_code, branch_code, kind, number, pk: (
        Transfer.objects.filter(
            contract_id=contract_pk,
            status__in=Transfer.EXECUTED,
            executed_at__isnull=False,
            bank_code=bank_code,
            branch_code=branch_code,
            payee_kind=kind,
            payee_number=number,
        )
        .exclude(pk=pk)
        .only("executed_at")
        .order_by("executed_at")[:1]
    ),
    *(-7_000_000_001, "probe-bank", "probe-branch", 32_001, "probe-number", -7_000_000_003),  # a kind: small
)


def first_paid_at(contract: Contract, transfer: Transfer):
    """When this contract first paid the transfer's payee (executed), or None: never. Read once per transfer
    object (入力 asks it for the hold and for the cap)."""
    if not hasattr(transfer, "_first_paid_at"):
        t = transfer
        first = _FIRST_PAID.first(contract.pk, t.bank_code, t.branch_code, t.payee_kind, t.payee_number, t.pk or 0)
        transfer._first_paid_at = first.executed_at if first is not None else None
    return transfer._first_paid_at


def action(contract: Contract, transfer: Transfer) -> gate.Action:
    """The gate's action for ``transfer``: to a never-paid payee, or to one paid before."""
    if transfer.pk is not None and not transfer.new_payee:
        return gate.Action.TRANSFER  # entered already, and decided then: paid before its first days (no query)
    if own_account(contract, transfer) or first_paid_at(contract, transfer) is not None:
        return gate.Action.TRANSFER
    return gate.Action.TRANSFER_NEW_PAYEE


def capped(contract: Contract, transfer: Transfer) -> bool:
    """The payee is new (never paid, or first paid within its first days): its daily cap applies."""
    if own_account(contract, transfer):
        return False
    first = first_paid_at(contract, transfer)
    return first is None or first > clock.now() - timedelta(days=settings.IBANK_NEW_PAYEE_DAYS)


def cap(contract: Contract, transfer: Transfer) -> books.Usage | None:
    """The new payee's ceiling for the money engine, or None: as decided at 入力 (``transfer.new_payee``)."""
    if not transfer.new_payee:
        return None
    cap_amount = settings.IBANK_NEW_PAYEE_DAILY_CAP
    return books.Usage(
        contract.pk, today(), transfer.amount, cap_amount, scope=scope(transfer), refused=OVER_CAP_REFUSAL
    )


def check_hold(contract: Contract, transfer: Transfer, *, channel: gate.Channel) -> None:
    """At 入力: raise NewPayeeHeld when a hold refuses ``transfer``'s payee (the gate asked with its action, on
    the channel its 認証 will be on)."""
    answer = gate.may(contract, action(contract, transfer), channel=channel)
    if not answer and answer.kind in holds.KINDS:
        raise NewPayeeHeld(answer.message)


def check_cap(contract: Contract, transfer: Transfer, *, channel: gate.Channel, available: int | None = None) -> None:
    """At 入力: raise NewPayeeCap when ``transfer`` is over what its new payee may still receive today, or
    ``available`` (a reservation: the whole cap of its day), unless the method that will authorize it on
    ``channel`` lifts the cap (a passkey). The money engine applies the same ceiling at 実行."""
    if transfer.new_payee and not authorization.method_for(contract, channel).lifts_new_payee_cap:
        if available is None:
            available = available_today(contract, transfer)
        if transfer.amount > available:
            raise over_cap(available)


def available_today(contract: Contract, transfer: Transfer) -> int:
    """What the transfer's payee may still receive today under its cap."""
    used = DailyUsage.objects.filter(contract=contract, date=today(), scope=scope(transfer)).values_list("used")
    return max(0, settings.IBANK_NEW_PAYEE_DAILY_CAP - (used[0][0] if used else 0))


def over_cap(available: int) -> NewPayeeCap:
    return NewPayeeCap(
        days=settings.IBANK_NEW_PAYEE_DAYS, cap=f"{settings.IBANK_NEW_PAYEE_DAILY_CAP:,}", available=f"{available:,}"
    )


def capped_payees(contract: Contract) -> list[dict]:
    """For the contract page: the payees still in their first days — label, first paid, received today."""
    since = clock.now() - timedelta(days=settings.IBANK_NEW_PAYEE_DAYS)
    firsts = (
        Transfer.objects.filter(contract=contract, status__in=Transfer.EXECUTED)
        .values("bank_code", "branch_code", "payee_kind", "payee_number", "bank_name", "branch_name")
        .annotate(first=Min("executed_at"))
        .filter(first__gt=since)
    )
    used = dict(
        DailyUsage.objects.filter(contract=contract, date=today()).exclude(scope="").values_list("scope", "used")
    )
    rows = []
    for row in firsts:
        key = f"payee:{row['bank_code']}{row['branch_code']}{row['payee_kind']}{row['payee_number']}"
        label = f"{row['bank_name']} {row['branch_name']} {row['payee_number']}"
        rows.append({"label": label, "first": row["first"], "used": used.get(key, 0)})
    return rows
