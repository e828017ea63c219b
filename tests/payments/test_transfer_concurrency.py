"""Money racing on PostgreSQL, from separate connections (threads)."""

import random
import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Sum

from accounts import authorization
from accounts.models import Account, DailyUsage
from ledger.models import JournalEntry
from payments import new_payees, services
from payments.models import Transfer
from tests.concurrency import run_concurrently
from tests.helpers import paid_before
from tests.payments.helpers import confirmed_same_bank

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _confirmed(contract, to, amount):
    return confirmed_same_bank(contract, to, amount)


def _outcome(contract, transfer, digest) -> str:
    """One execution: "moved", or how it was refused ("already" executed, "over" the limit)."""
    try:
        services.transfer_execute(actor=None, contract=contract, transfer=transfer, digest=digest)
    except services.AlreadyExecuted:
        return "already"
    except services.OverLimit:
        return "over"
    return "moved"


def test_two_executes_of_one_confirmed_transfer_move_money_once(contract, stranger):
    transfer, digest = _confirmed(contract, stranger, 10_000)

    def execute(_i):
        return _outcome(contract, transfer, digest)

    assert sorted(run_concurrently(execute, 2)) == ["already", "moved"]
    assert Account.objects.get(pk=contract.account.pk).balance == 90_000
    assert JournalEntry.objects.filter(reference=transfer.reference).count() == 1


def test_two_transfers_within_the_limit_but_together_above_it_one_is_refused(make_contract, stranger):
    rich = make_contract(balance=1_000_000)  # no token: 200,000 yen a day
    paid_before(rich, stranger)  # not a new payee: the daily limit, not the new payee's cap, binds
    first = _confirmed(rich, stranger, 150_000)
    second = _confirmed(rich, stranger, 150_000)

    def execute(i):
        return _outcome(rich, *(first, second)[i])

    assert sorted(run_concurrently(execute, 2)) == ["moved", "over"]
    assert DailyUsage.objects.get(contract=rich, scope="").used == 150_000
    assert Account.objects.get(pk=rich.account.pk).balance == 850_000


def test_fifty_threads_of_random_transfers_keep_the_ledger(make_contract, settings):
    # Each sender enters up to 19 same-bank payees, many refused: not the 口座名義確認 limit's test.
    settings.IBANK_NAME_LOOKUP_LIMIT = 1_000_000
    contracts = [make_contract(balance=60_000) for _ in range(20)]
    deadline = time.monotonic() + 4

    def worker(i):
        rng = random.Random(i)
        counts = {"moved": 0, "refused": 0}
        while time.monotonic() < deadline:
            sender, receiver = rng.sample(contracts, 2)
            try:
                transfer, digest = _confirmed(sender, receiver, rng.randint(1, 40_000))
                services.transfer_execute(actor=None, contract=sender, transfer=transfer, digest=digest)
                counts["moved"] += 1
            except (services.InsufficientBalance, services.OverLimit, new_payees.NewPayeeCap):
                counts["refused"] += 1
        return counts

    results = run_concurrently(worker, 50)
    assert all(isinstance(r, dict) for r in results), [r for r in results if not isinstance(r, dict)]
    moved = sum(r["moved"] for r in results)
    assert moved > 50 and sum(r["refused"] for r in results) > 0
    call_command("check_ledger", stdout=StringIO())
    assert not Account.objects.customer().filter(balance__lt=0).exists()
    for contract in contracts:
        contract.refresh_from_db()
        sent = Transfer.objects.filter(contract=contract, status=Transfer.Status.DONE).aggregate(s=Sum("amount"))["s"]
        usage = DailyUsage.objects.filter(contract=contract, scope="").aggregate(s=Sum("used"))["s"]
        assert (sent or 0) == (usage or 0) <= services.daily_limit(contract, services.today())


def test_on_postgresql_the_money_moves_in_one_statement(contract, stranger):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    transfer, digest = _confirmed(contract, stranger, 1_000)
    authorization.method_for(contract)  # the authorization step has read the contract's method (and token)
    with CaptureQueriesContext(connection) as ctx:
        services.transfer_execute(actor=None, contract=contract, transfer=transfer, digest=digest)
    control = ("SAVEPOINT", "RELEASE", "BEGIN", "COMMIT")
    statements = [q["sql"] for q in ctx.captured_queries if not q["sql"].startswith(control)]
    # The money moves in one statement; the notice (its row and its task) is written in the same transaction.
    assert [s.split("(")[0] for s in statements if "notices_notice" not in s and "django_tasks" not in s] == [
        "SELECT ibank_post"
    ]
    assert any(s.startswith('INSERT INTO "notices_notice"') for s in statements)  # in the same transaction
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.DONE and transfer.entry_id is not None
    entry = JournalEntry.objects.get(pk=transfer.entry_id)
    assert sorted(entry.postings.values_list("amount", flat=True)) == [-1_000, 1_000]
    from auditlog.models import AuditEntry

    audit = AuditEntry.objects.get(action="transfer.execute")
    assert audit.detail == {
        "reference": transfer.reference,
        "amount": 1_000,
        "fee": 0,
        "status": "done",
        "digest": digest,
        "entry": entry.pk,
    }
    assert audit.contract_id == contract.pk and audit.actor == f"customer:{contract.contract_id}"


def test_eight_simultaneous_saves_of_a_payee_save_it_once_and_each_says_saved(contract, stranger):
    """「この振込先を登録する」 clicked in a burst: the INSERTs race on the unique key; one row, one audit entry,
    no error, and every request is answered as the one that saved it."""
    from auditlog.models import AuditEntry
    from payments import payees
    from payments.models import Payee

    transfer, digest = _confirmed(contract, stranger, 1_000)
    services.transfer_execute(actor=None, contract=contract, transfer=transfer, digest=digest)

    def save(_i):
        return payees.payee_save(actor=None, contract=contract, transfer=Transfer.objects.get(pk=transfer.pk))

    results = run_concurrently(save, 8)
    assert all(isinstance(r, tuple) and r[1] for r in results), results
    assert len({payee.pk for payee, _saved in results}) == 1
    assert Payee.objects.filter(contract=contract).count() == 1
    assert AuditEntry.objects.filter(action="payee.add", contract=contract).count() == 1
