"""振込予約 (issue 18): a transfer for a future 振込指定日, confirmed and authorized like today's (same digest,
same method, same holds), executed by the task worker at 0:00 JST of its day through the one money engine.

* :func:`reserve` (at 認証): CONFIRMED → RESERVED in one conditional UPDATE that requires the digest and every
  field 確認 showed, and enqueues the day's task (``run_after``) in the same transaction: the reservation and
  its task commit together, and both survive a restart of the worker or the server.
* :func:`execute` (the task, or ``manage.py execute_reservations`` after a worker was down): the balance and
  the day's limit are taken on the 指定日 by the engine's claim RESERVED → DONE / ACCEPTED; if the engine
  refuses, RESERVED → FAILED (不成立) with a notice that says why. Either is one conditional UPDATE, so a
  reservation executes once, however many tasks run.
* :func:`cancel` (取消): RESERVED → CANCELLED until the end of the day before (the UPDATE requires the 指定日
  still ahead), so a cancel and the execution can never both happen.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_lazy as _

from accounts import gate
from accounts.limits import today
from accounts.models import Contract
from auditlog import audit
from ibank import business_days, clock
from ledger import books
from notices.outbox import notify

from . import services
from .drafts import AlreadyExecuted, TransferError, confirmed_where
from .models import Transfer

SYSTEM = "system:reservations"

#: Why a reservation ended 不成立 (Transfer.failure) → what the customer is told.
FAILURES = {
    "insufficient_funds": _("振込指定日に支払口座の残高が不足していました。"),
    "over_limit": _("振込指定日の振込限度額を超えていました。"),
    "over_payee_cap": _("はじめてのお振込先への1日あたりの振込限度額を超えていました。"),
    "contract": _("振込指定日にインターネットバンキングのお取引が停止されていました。"),
}


class NotCancellable(TransferError, reason="not_cancellable"):
    message = _("この予約は取り消せません。予約の取消は振込指定日の前日までお手続きいただけます。")


def latest_day():
    return today() + timedelta(days=settings.IBANK_RESERVATION_DAYS)


def is_valid_day(day) -> bool:
    """A 振込指定日 may be today, or a business day up to ``IBANK_RESERVATION_DAYS`` ahead."""
    now = today()
    return day == now or (now < day <= latest_day() and business_days.is_business_day(day))


def reserve(*, actor, contract: Contract, transfer: Transfer, digest: str, authorized_by=None) -> Transfer:
    """At 認証 of a transfer whose 振込指定日 is ahead: CONFIRMED → RESERVED, once, with its task.

    Raises AlreadyExecuted for a second submission, TransferChanged when the row changed since 確認. A method
    that lifts a new payee's cap (a passkey) lifts it for this reservation too."""
    if not constant_time_compare(services.transfer_digest(transfer), digest):
        if transfer.is_authorized:
            raise AlreadyExecuted
        services.refuse_execution(actor, contract, transfer, services.TransferChanged, action="transfer.reserve")
    from .tasks import execute_reservation

    now = clock.now()
    where = confirmed_where(transfer, contract=contract, digest=digest, fields=services.CLAIM_FIELDS)
    changes = {"status": Transfer.Status.RESERVED, "reserved_at": now}
    if getattr(authorized_by, "lifts_new_payee_cap", False):
        changes["new_payee"] = False
    with transaction.atomic():
        claimed = Transfer.objects.filter(pk=transfer.pk, **where).update(**changes)
        if claimed:
            for name, value in changes.items():
                setattr(transfer, name, value)
            audit.record(
                actor,
                "transfer.reserve",
                ok=True,
                contract=contract,
                reference=transfer.reference,
                amount=transfer.amount,
                fee=transfer.fee,
                scheduled_for=transfer.scheduled_for.isoformat(),
                digest=digest,
            )
            execute_reservation.using(run_after=business_days.start_of(transfer.scheduled_for)).enqueue(transfer.pk)
            notify(contract, "transfer_reserved", transfer=transfer)
    if not claimed:  # outside the transaction: the refusal's audit entry stays
        transfer.refresh_from_db()
        if transfer.is_authorized:
            raise AlreadyExecuted
        services.refuse_execution(actor, contract, transfer, services.TransferChanged, action="transfer.reserve")
    return transfer


def cancel(*, actor, contract: Contract, transfer: Transfer, now=None) -> Transfer:
    """取消 of a reservation, until the end of the day before its 振込指定日; nothing has moved. One cancelled
    meanwhile (a double click) is returned as cancelled; any other state raises NotCancellable."""
    now = now or clock.now()
    with transaction.atomic():
        cancelled = Transfer.objects.filter(
            pk=transfer.pk,
            contract=contract,
            status=Transfer.Status.RESERVED,
            scheduled_for__gt=timezone.localdate(now),
        ).update(status=Transfer.Status.CANCELLED, cancelled_at=now)
        transfer.refresh_from_db()
        if not cancelled and transfer.status == Transfer.Status.CANCELLED:
            return transfer  # cancelled meanwhile (a double click's first request): done, nothing more to do
        outcome = {"ok": bool(cancelled), "reason": "" if cancelled else NotCancellable.reason}
        audit.record(actor, "transfer.cancel_reservation", contract=contract, reference=transfer.reference, **outcome)
        if cancelled:
            notify(contract, "transfer_reservation_cancelled", transfer=transfer)
    if not cancelled:
        raise NotCancellable
    return transfer


def execute(transfer_id: int, *, now=None) -> str:
    """Execute reservation ``transfer_id`` if it is due and still reserved; returns what happened (for the
    task's result): ``done``, ``accepted``, ``failed``, ``not_due`` or ``not_reserved``."""
    now = now or clock.now()
    transfer = Transfer.objects.select_related("contract", "from_account", "to_account").get(pk=transfer_id)
    if transfer.status != Transfer.Status.RESERVED:
        return "not_reserved"  # cancelled, or executed by an earlier run: once only
    if transfer.scheduled_for > timezone.localdate(now):
        return "not_due"
    contract = transfer.contract
    if not gate.may(contract, gate.Action.RESERVED_TRANSFER):
        return _fail(transfer, "contract", now)
    done = Transfer.Status.DONE if services.is_same_bank(transfer.bank_code) else Transfer.Status.ACCEPTED

    settles_on = services.settlement_day(transfer, now)

    def instruction():
        return services._instruction(
            None,
            contract,
            transfer,
            digest=transfer.digest,
            done=done,
            now=now,
            settles_on=settles_on,
            capped=True,
            claimed_from=Transfer.Status.RESERVED,
            as_name=SYSTEM,
        )

    then = services.executed(contract, transfer, done=done, now=now, settles_on=settles_on)
    try:
        services.post_with(contract, instruction, then)
    except books.Refused as refused:
        if refused.reason == "changed":
            return "not_reserved"  # cancelled or executed meanwhile
        return _fail(transfer, refused.reason if refused.reason in FAILURES else "over_limit", now)
    return done


def _fail(transfer: Transfer, reason: str, now) -> str:
    """RESERVED → FAILED (不成立), once, audited and told to the customer; nothing moved."""
    with transaction.atomic():
        failed = Transfer.objects.filter(pk=transfer.pk, status=Transfer.Status.RESERVED).update(
            status=Transfer.Status.FAILED, failure=reason
        )
        if not failed:
            return "not_reserved"
        transfer.status, transfer.failure = Transfer.Status.FAILED, reason
        audit.record(
            None,
            "transfer.execute",
            ok=False,
            contract=transfer.contract,
            reason=reason,
            as_name=SYSTEM,
            reference=transfer.reference,
            scheduled_for=transfer.scheduled_for.isoformat(),
        )
        notify(transfer.contract, "transfer_failed", transfer=transfer, why=FAILURES[reason])
    return "failed"


def due(now=None) -> list[int]:
    """The reservations still RESERVED whose 振込指定日 has come (for a worker that was down at 0:00)."""
    day = timezone.localdate(now or clock.now())
    reserved = Transfer.objects.filter(status=Transfer.Status.RESERVED, scheduled_for__lte=day)
    return list(reserved.order_by("scheduled_for", "pk").values_list("pk", flat=True))


def failure_text(transfer: Transfer) -> str:
    return str(FAILURES.get(transfer.failure, "")) if transfer.failure else ""
