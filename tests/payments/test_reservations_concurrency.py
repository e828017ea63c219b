"""振込予約 under races, on PostgreSQL (separate connections): a cancel at 23:59:59.999 of the day before and
the execution at 0:00 of the day — and duplicate executions — end in exactly one outcome, money moved once."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from accounts.models import Account
from auditlog.models import AuditEntry
from ledger.models import JournalEntry
from payments import reservations
from payments.models import Transfer
from tests.concurrency import run_concurrently
from tests.payments.helpers import confirmed_other_bank

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

JST = ZoneInfo("Asia/Tokyo")
FRIDAY = date(2026, 11, 27)
LAST_MOMENT = datetime(2026, 11, 26, 23, 59, 59, 999000, tzinfo=JST)
MIDNIGHT = datetime(2026, 11, 27, 0, 0, 0, 1000, tzinfo=JST)


def _reserved(contract, amount: int) -> Transfer:
    transfer, digest = confirmed_other_bank(contract, amount, scheduled_for=FRIDAY)
    return reservations.reserve(actor=None, contract=contract, transfer=transfer, digest=digest)


def test_cancel_racing_the_execution_ends_in_one_outcome(make_contract, fake_clock):
    fake_clock.t = (LAST_MOMENT - timedelta(hours=12)).timestamp()
    customer = make_contract(balance=1_000_000)
    rounds = [_reserved(customer, 1_000 + i) for i in range(6)]

    for transfer in rounds:

        def race(i, transfer=transfer):
            if i % 2:
                try:
                    reservations.cancel(actor=None, contract=customer, transfer=transfer, now=LAST_MOMENT)
                except reservations.NotCancellable:
                    return "refused"
                return "cancelled"
            return reservations.execute(transfer.pk, now=MIDNIGHT)

        results = run_concurrently(race, 6)
        assert not [r for r in results if isinstance(r, Exception)], results
        transfer.refresh_from_db()
        cancellations = AuditEntry.objects.filter(
            action="transfer.cancel_reservation", outcome="ok", detail__reference=transfer.reference
        )
        if transfer.status == Transfer.Status.CANCELLED:
            # Cancelled once (a cancel that finds it cancelled meanwhile is told so, and makes nothing more)
            assert cancellations.count() == 1 and "cancelled" in results and transfer.entry_id is None
            assert results.count("accepted") == 0
        else:
            assert transfer.status == Transfer.Status.ACCEPTED
            assert results.count("accepted") == 1 and results.count("cancelled") == 0
            assert cancellations.count() == 0
    executed = Transfer.objects.filter(contract=customer, status=Transfer.Status.ACCEPTED)
    moved = sum(t.amount + t.fee for t in executed)
    assert JournalEntry.objects.filter(reference__in=[t.reference for t in rounds]).count() == executed.count()
    assert Account.objects.get(pk=customer.account.pk).balance == 1_000_000 - moved


def test_duplicate_executions_move_the_money_once(make_contract, fake_clock):
    fake_clock.t = (LAST_MOMENT - timedelta(hours=12)).timestamp()
    customer = make_contract(balance=1_000_000)
    transfer = _reserved(customer, 5_000)
    results = run_concurrently(lambda i: reservations.execute(transfer.pk, now=MIDNIGHT), 8)
    assert sorted(results) == ["accepted"] + ["not_reserved"] * 7
    assert JournalEntry.objects.filter(reference=transfer.reference).count() == 1
    assert Account.objects.get(pk=customer.account.pk).balance == 1_000_000 - 5_000 - transfer.fee
