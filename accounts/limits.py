"""The daily transfer limit (SPEC §5): the contract's own limit, the ceiling, what is used, and changing it.

The limit is enforced per (contract, JST day) by the money engine's conditional upsert of DailyUsage, with
the ceiling decided here (:func:`daily_limit`) from rows that the movement holds as read
(:func:`ceiling_rows`); never by summing today's transfers and then checking.
"""

from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from auditlog import audit
from ibank import clock
from ibank.compiled import CompiledQuery
from notices.outbox import notify

from . import authorization, holds
from .models import Contract, DailyUsage

LIMIT_FIELDS = ("daily_transfer_limit", "pending_daily_limit", "pending_daily_limit_from")


def today() -> date:
    """The JST date (limits and 振込指定日 follow the bank's day)."""
    return timezone.localdate(clock.now())


def limit_ceiling(contract: Contract, on: date) -> int:
    """10,000,000 with a token registered before ``on`` (JST), else 200,000 (SPEC §5)."""
    bound_at = authorization.method_for(contract).token_bound_at(contract)  # read once per request
    if bound_at is not None and timezone.localdate(bound_at) < on:
        return settings.IBANK_LIMIT_CEILING_TOKEN
    return settings.IBANK_LIMIT_CEILING_NO_TOKEN


def contract_limit(contract: Contract, on: date) -> int:
    """The contract's own limit on ``on``: a pending change counts from its date (0:00 JST)."""
    if contract.pending_daily_limit_from is not None and contract.pending_daily_limit_from <= on:
        return contract.pending_daily_limit
    return contract.daily_transfer_limit


def waiting_raise(contract: Contract, on: date) -> tuple[int, date] | None:
    """A raise still waiting for its day after ``on``: (the amount, the day it applies from), or None."""
    if contract.pending_daily_limit_from is not None and contract.pending_daily_limit_from > on:
        return contract.pending_daily_limit, contract.pending_daily_limit_from
    return None


def raised_to(contract: Contract, new_limit: int) -> date | None:
    """The day from which the contract's limit is ``new_limit`` (today, or the day a waiting raise applies
    from), read afresh; None when it is not and will not be (a double submission asks: did the first apply?)."""
    contract.refresh_from_db(fields=["daily_transfer_limit", "pending_daily_limit", "pending_daily_limit_from"])
    on = today()
    if (waiting := waiting_raise(contract, on)) is not None:
        return waiting[1] if waiting[0] == new_limit else None
    return on if contract_limit(contract, on) == new_limit else None


def _in_force(on: date) -> Case:
    """:func:`contract_limit` in SQL: the row's own limit on ``on``, a pending raise from its date."""
    return Case(
        When(pending_daily_limit_from__lte=on, then=F("pending_daily_limit")), default=F("daily_transfer_limit")
    )


def fold_in_force() -> int:
    """The daily job: a pending raise whose day has come becomes the contract's own limit (what every reader
    already takes as in force). Returns how many contracts changed."""
    on = today()
    return Contract.objects.filter(pending_daily_limit_from__lte=on).update(
        daily_transfer_limit=_in_force(on), pending_daily_limit=None, pending_daily_limit_from=None
    )


def forget_past_usage() -> int:
    """The daily job: the usage rows of days before yesterday (JST) go. Only a day's own row is ever read, on that
    day (the limit, a new payee's cap, the name lookups), and the transfers themselves are the record of what
    moved; kept, the rows would grow by a few a customer and day for ever. Returns how many went."""
    deleted, _by_model = DailyUsage.objects.filter(date__lt=today() - timedelta(days=1)).delete()
    return deleted


def daily_limit(contract: Contract, on: date) -> int:
    """The limit in force on ``on``: the contract's own, never above the ceiling."""
    return min(contract_limit(contract, on), limit_ceiling(contract, on))


#: the contract's usage row of a day (the daily limit's scope ""), compiled once: 入力 reads it every time
_USAGE = CompiledQuery(
    lambda pk, day: DailyUsage.objects.filter(contract_id=pk, date=day, scope="").only("used"),
    *(-7_000_000_001, date(1901, 1, 1)),
)


def used_on(contract: Contract, on: date) -> int:
    usage = _USAGE.first(contract.pk, on)
    return usage.used if usage is not None else 0


def available_today(contract: Contract) -> int:
    on = today()
    return max(0, daily_limit(contract, on) - used_on(contract, on))


def ceiling_rows(contract: Contract) -> list[tuple[type, int, dict]]:
    """(model, pk, {column: value}): the rows :func:`daily_limit` was decided from (the contract's limit, its
    token's registration), as read. A money movement holds them unchanged until it commits."""
    rows = [(Contract, contract.pk, {f: getattr(contract, f) for f in LIMIT_FIELDS})]
    return rows + authorization.method_for(contract).ceiling_rows(contract)


# -- 振込限度額変更 (SPEC §5) -------------------------------------------------------


class LimitRefused(Exception):
    """The limit asked for is above the ceiling; ``text()`` says so."""

    field = "limit"
    reason = "limit_refused"

    def __init__(self, message, **params):
        super().__init__(self.reason)
        self.message, self.params = message, params

    def text(self) -> str:
        return str(self.message) % self.params


LIMIT_OVER_CEILING = _("振込限度額は%(ceiling)s円以内で指定してください。")


def limit_ceiling_for_change(contract: Contract) -> int:
    """The most a customer may ask for: with a token 10,000,000, without 200,000 (registered today or not)."""
    has_token = authorization.method_for(contract).token_bound_at(contract) is not None
    return settings.IBANK_LIMIT_CEILING_TOKEN if has_token else settings.IBANK_LIMIT_CEILING_NO_TOKEN


def limit_check(contract: Contract, new_limit: int) -> None:
    ceiling = limit_ceiling_for_change(contract)
    if new_limit > ceiling:
        raise LimitRefused(LIMIT_OVER_CEILING, ceiling=f"{ceiling:,}")


@transaction.atomic
def limit_change(*, actor, contract: Contract, new_limit: int, at_once: bool) -> date | None:
    """Set the contract's own daily limit: at once (a lowering, or a raise authorized by the OTP), or from
    0:00 JST tomorrow (a raise authorized by the 資金移動用パスワード or card). Returns the date it applies from."""
    limit_check(contract, new_limit)
    old = contract_limit(contract, today())  # in force now (a pending raise from today, not yet folded, included)
    if at_once:
        Contract.objects.filter(pk=contract.pk).update(
            daily_transfer_limit=new_limit, pending_daily_limit=None, pending_daily_limit_from=None
        )
        effective = today()
    else:
        effective = today() + timedelta(days=1)
        # A raise already in force (pending since 0:00, not yet folded by the daily job) stays in force today:
        # folded by the same UPDATE, from the row as it is (not as this request read it).
        Contract.objects.filter(pk=contract.pk).update(
            daily_transfer_limit=_in_force(today()), pending_daily_limit=new_limit, pending_daily_limit_from=effective
        )
    raised = new_limit > old
    contract.refresh_from_db()
    detail = {"old": old, "new": new_limit, "effective": str(effective)}
    audit.record(actor, "limit.change", ok=True, contract=contract, **detail)
    hold = holds.after_change(contract, reason="limit_raise", actor=actor) if raised else ""
    notify(contract, "limit_changed", new_limit=new_limit, effective=effective, hold=hold)
    return effective


def limit_cancel(*, actor, contract: Contract) -> bool:
    """Cancel a raise still waiting for its day; one in force already is the limit (a lowering changes it)."""
    waiting = {"pending_daily_limit__isnull": False, "pending_daily_limit_from__gt": today()}
    cancelled = Contract.objects.filter(pk=contract.pk, **waiting).update(
        pending_daily_limit=None, pending_daily_limit_from=None
    )
    if cancelled:
        audit.record(actor, "limit.cancel", ok=True, contract=contract)
    return bool(cancelled)
