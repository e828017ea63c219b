"""The one money engine, books.post: the guards it is handed, all or nothing, on whichever database runs."""

import pytest

from accounts.models import Account, Contract, DailyUsage
from auditlog import audit
from auditlog.models import AuditEntry
from ledger import books
from ledger.models import JournalEntry, Memo
from payments import services
from payments.models import Transfer
from tests.helpers import analyze, compiled_plan, generic_plan
from tests.payments.helpers import confirmed_same_bank


def _confirmed(contract, to, amount):
    transfer, digest = confirmed_same_bank(contract, to, amount)
    return Transfer.objects.get(pk=transfer.pk), digest


def _instruction(contract, to, transfer, digest, *, amount=None, ceiling=1_000_000, status="confirmed"):
    amount = transfer.amount if amount is None else amount
    return books.Instruction(
        kind=JournalEntry.Kind.TRANSFER,
        reference=transfer.reference,
        lines=[
            books.Line(contract.account.pk, -amount, Memo.TRANSFER_OUT, "ｳｹﾄﾘ"),
            books.Line(to.account.pk, amount, Memo.TRANSFER_IN, "ｵｸﾘﾃ"),
        ],
        claims=[
            books.Guard(
                Transfer,
                transfer.pk,
                where={"status": status, "digest": digest, "amount": transfer.amount},
                set={"status": "done"},
                refused="changed",
            )
        ],
        usage=books.Usage(contract.pk, services.today(), amount, ceiling),
        link=(Transfer, transfer.pk),
        audit=audit.entry(None, "transfer.execute", ok=True, contract=contract, reference=transfer.reference),
    )


def _nothing_moved(contract, to, transfer):
    assert Account.objects.get(pk=contract.account.pk).balance == 100_000
    assert Account.objects.get(pk=to.account.pk).balance == 100_000
    assert Transfer.objects.get(pk=transfer.pk).status == "confirmed"
    assert not JournalEntry.objects.filter(reference=transfer.reference).exists()
    assert not DailyUsage.objects.filter(contract=contract, scope="").exists()  # the day's limit untouched
    assert not AuditEntry.objects.filter(action="transfer.execute").exists()


def test_an_instruction_moves_money_claims_links_and_audits_at_once(contract, stranger):
    transfer, digest = _confirmed(contract, stranger, 1_000)
    entry_id = books.post(_instruction(contract, stranger, transfer, digest))
    transfer.refresh_from_db()
    assert transfer.status == "done" and transfer.entry_id == entry_id
    assert sorted(JournalEntry.objects.get(pk=entry_id).postings.values_list("amount", flat=True)) == [-1_000, 1_000]
    assert DailyUsage.objects.get(contract=contract, scope="").used == 1_000
    assert AuditEntry.objects.get(action="transfer.execute").detail["entry"] == entry_id


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"status": "draft"}, "changed"),  # the claim no longer matches its row
        ({"ceiling": 999}, "over_limit"),  # the usage would pass the ceiling handed in
        ({"amount": 100_001}, "insufficient_funds"),  # the sender's balance would go below zero
    ],
)
def test_a_refused_guard_leaves_nothing_half_done(contract, stranger, change, reason):
    transfer, digest = _confirmed(contract, stranger, 1_000)
    instruction = _instruction(contract, stranger, transfer, digest, **change)
    with pytest.raises(books.Refused) as refused:
        books.post(instruction)
    assert refused.value.reason == reason
    _nothing_moved(contract, stranger, transfer)


@pytest.mark.parametrize(("second", "moved"), [(400, True), (401, False)], ids=["to-the-yen", "one-yen-over"])
def test_the_days_usage_reaches_the_ceiling_and_not_a_yen_beyond(contract, stranger, second, moved):
    """The usage row of the day exists (a first movement made it): a second movement passes only while the
    sum stays within the ceiling handed in — to the yen."""
    first, first_digest = _confirmed(contract, stranger, 600)
    books.post(_instruction(contract, stranger, first, first_digest, ceiling=1_000))
    transfer, digest = _confirmed(contract, stranger, second)
    instruction = _instruction(contract, stranger, transfer, digest, ceiling=1_000)
    if moved:
        books.post(instruction)
    else:
        with pytest.raises(books.Refused) as refused:
            books.post(instruction)
        assert refused.value.reason == "over_limit"
    assert DailyUsage.objects.get(contract=contract, scope="").used == 600 + (second if moved else 0)
    assert Transfer.objects.get(pk=transfer.pk).status == ("done" if moved else "confirmed")


def test_a_check_holds_its_row_as_read(contract, stranger):
    transfer, digest = _confirmed(contract, stranger, 1_000)
    instruction = _instruction(contract, stranger, transfer, digest)
    instruction.checks = [
        books.Guard(Contract, contract.pk, where={"daily_transfer_limit": 1}, refused="limit_changed")
    ]
    with pytest.raises(books.Refused) as refused:
        books.post(instruction)
    assert refused.value.reason == "limit_changed"
    _nothing_moved(contract, stranger, transfer)


@pytest.mark.parametrize("broken", ["one line", "a zero line", "a fraction", "not summing to zero"])
def test_unbalanced_lines_are_never_posted(contract, stranger, broken):
    """Every movement is a balanced pair (or more) of non-zero whole-yen lines; anything else is refused
    before the database is asked, and nothing moves."""
    from dataclasses import replace

    transfer, digest = _confirmed(contract, stranger, 1_000)
    instruction = _instruction(contract, stranger, transfer, digest)
    out, into = instruction.lines[:2]
    instruction.lines = {
        "one line": [out],
        "a zero line": [out, into, replace(out, amount=0)],
        "a fraction": [replace(out, amount=-999.5), replace(into, amount=999.5)],
        "not summing to zero": [out, replace(into, amount=999)],
    }[broken]
    with pytest.raises(books.Unbalanced):
        books.post(instruction)
    _nothing_moved(contract, stranger, transfer)


@pytest.mark.parametrize("field", ["amount", "payee_number", "new_payee"])
def test_a_row_changed_since_it_was_loaded_moves_nothing(contract, stranger, field):
    """The claim takes the row only as it was loaded (drafts.confirmed_where): a row another session changed
    after this one loaded it (its digest kept) is refused as changed; nothing moves, and the money never
    follows the loaded copy while the row says otherwise."""
    from payments.refusals import TransferChanged

    transfer, digest = _confirmed(contract, stranger, 1_000)
    value = {"amount": 2_000, "payee_number": "7654321", "new_payee": not transfer.new_payee}[field]
    Transfer.objects.filter(pk=transfer.pk).update(**{field: value})
    with pytest.raises(TransferChanged):
        services.transfer_execute(actor=None, contract=contract, transfer=transfer, digest=digest)
    assert Account.objects.get(pk=contract.account.pk).balance == 100_000
    assert Account.objects.get(pk=stranger.account.pk).balance == 100_000
    row = Transfer.objects.get(pk=transfer.pk)
    assert row.status == "confirmed" and getattr(row, field) == value and row.entry_id is None
    assert not JournalEntry.objects.filter(reference=transfer.reference).exists()
    assert not DailyUsage.objects.filter(contract=contract, scope="").exists()
    assert AuditEntry.objects.get(action="transfer.execute").reason == "changed"


@pytest.mark.parametrize("lowered_to", [50_000, 500])
def test_a_limit_changed_since_it_was_read_is_decided_again(contract, stranger, lowered_to):
    """Another session lowered the limit after this one read the contract: the check refuses, and the
    execution is decided again, in a transaction of its own, from the fresh row."""
    from payments.refusals import OverLimit

    transfer, digest = _confirmed(contract, stranger, 1_000)
    Contract.objects.filter(pk=contract.pk).update(daily_transfer_limit=lowered_to)
    if lowered_to >= 1_000:
        services.transfer_execute(actor=None, contract=contract, transfer=transfer, digest=digest)
        assert Transfer.objects.get(pk=transfer.pk).status == "done"
        assert DailyUsage.objects.get(contract=contract, scope="").used == 1_000
        assert AuditEntry.objects.filter(action="transfer.execute").count() == 1
    else:
        with pytest.raises(OverLimit) as refused:
            services.transfer_execute(actor=None, contract=contract, transfer=transfer, digest=digest)
        assert refused.value.text() == OverLimit(available="500").text()
        assert Transfer.objects.get(pk=transfer.pk).status == "confirmed"
        assert Account.objects.get(pk=contract.account.pk).balance == 100_000
        assert not DailyUsage.objects.filter(contract=contract, scope="").exists()
        assert AuditEntry.objects.get(action="transfer.execute").reason == "over_limit"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_execution_is_one_transaction_without_a_savepoint(contract, stranger):
    """The refusal ends the transaction anyway: BEGIN, ibank_post, the notice, COMMIT; no SAVEPOINT round trips."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    transfer, digest = _confirmed(contract, stranger, 1_000)
    with CaptureQueriesContext(connection) as queries:
        services.transfer_execute(actor=None, contract=contract, transfer=transfer, digest=digest)
    statements = [q["sql"] for q in queries.captured_queries]
    assert sum("ibank_post" in sql for sql in statements) == 1
    assert not [sql for sql in statements if "SAVEPOINT" in sql], statements


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_prepared_statements_outlive_a_refusal(contract, stranger):
    """ibank_post prepares each guard's statement once a connection; a refusal's ROLLBACK makes psycopg
    deallocate every prepared statement, and the next movement must prepare them again, not fail."""
    from django.db import connection, transaction

    def prepared():
        with connection.cursor() as cursor:
            cursor.execute("SELECT name FROM pg_prepared_statements WHERE name LIKE 'ibank%%'")
            return {name for (name,) in cursor.fetchall()}

    for _ in range(7):  # past the 5 executions after which PostgreSQL may keep a generic plan
        transfer, digest = _confirmed(contract, stranger, 1_000)
        books.post(_instruction(contract, stranger, transfer, digest))
    claim = books._statement(books._linked(_instruction(contract, stranger, transfer, digest))[0][0])
    assert {claim["name"], books._audit_sql()[0]} <= prepared()
    transfer, digest = _confirmed(contract, stranger, 1_000)
    with pytest.raises(books.Refused), transaction.atomic():  # as services.post_with runs it
        books.post(_instruction(contract, stranger, transfer, digest, status="draft"), savepoint=False)
    assert claim["name"] not in prepared()  # psycopg's DEALLOCATE ALL after the ROLLBACK
    transfer, digest = _confirmed(contract, stranger, 1_000)
    entry_id = books.post(_instruction(contract, stranger, transfer, digest))
    assert Transfer.objects.get(pk=transfer.pk).entry_id == entry_id
    assert Account.objects.get(pk=stranger.account.pk).balance == 100_000 + 8 * 1_000


def test_guards_of_one_shape_and_a_link_no_claim_takes(contract, stranger):
    """Two checks of the same shape in one instruction each hold their row; a link to a row no claim takes is
    written after the postings."""
    from django.db import connection

    if connection.vendor == "postgresql":  # none prepared yet on this connection: both checks run as new
        with connection.cursor() as cursor:
            cursor.execute("DEALLOCATE ALL")
    transfer, digest = _confirmed(contract, stranger, 1_000)
    instruction = _instruction(contract, stranger, transfer, digest)
    instruction.claims = []
    instruction.checks = [
        books.Guard(Contract, c.pk, where={"daily_transfer_limit": c.daily_transfer_limit}, refused="limit_changed")
        for c in (contract, stranger)
    ]
    entry_id = books.post(instruction)
    transfer.refresh_from_db()
    assert transfer.status == "confirmed" and transfer.entry_id == entry_id
    instruction.checks[1] = books.Guard(Contract, stranger.pk, where={"daily_transfer_limit": 1}, refused="stranger")
    with pytest.raises(books.Refused) as refused:
        books.post(instruction)
    assert refused.value.reason == "stranger"


def _many_to_one_payee(contract, stranger, count=200, *, payees=1):
    """A confirmed transfer, and ``count`` more rows of the same contract to the same payee (or spread over
    ``payees`` account numbers)."""
    transfer, digest = _confirmed(contract, stranger, 1_000)
    copies = []
    for n in range(count):
        copy = Transfer.objects.get(pk=transfer.pk)
        copy.pk, copy.reference = None, f"9{n:013d}"
        if payees > 1:
            copy.payee_number = f"{n % payees:07d}"
        copies.append(copy)
    Transfer.objects.bulk_create(copies)
    return transfer, digest


@pytest.mark.postgres
def test_a_claim_finds_its_row_by_its_id_alone(contract, stranger):
    """Executing a transfer claims its row by id, never by walking another index (the payee's account's, the
    contract's) through every transfer that shares it: the cost stays flat as a payee's transfers grow."""
    transfer, digest = _many_to_one_payee(contract, stranger)
    now = services.clock.now()
    instruction = services._instruction(
        None, contract, transfer, digest=digest, done="done", now=now, settles_on=now.date()
    )
    claim = books._statement(books._linked(instruction)[0][-1])
    assert claim["sql"].startswith('UPDATE "transfers_transfer"'), claim
    plan = generic_plan(claim["sql"], [0, *claim["args"]])  # $1: the new journal entry's id
    indexes = [line for line in plan.splitlines() if "Index" in line and " using " in line]
    assert indexes and all("transfers_transfer_pkey" in line for line in indexes), plan


@pytest.mark.postgres
def test_a_transfer_is_found_by_its_reference_alone(contract, stranger):
    """Every step of 振込 loads its transfer by the 受付番号 (unique) through that index, never by walking the
    contract's transfers; another contract's 受付番号 still finds nothing for this one."""
    from payments import drafts

    transfer, _digest = _many_to_one_payee(contract, stranger)
    plan = compiled_plan(drafts._OWN_TRANSFER, transfer.reference)
    # The index scans of the transfer table, not an "Index Cond" of the accounts' naming a transfer's column (a
    # plan joining the accounts by their index has those: the test then failed on the planner's choice there).
    scans = [line for line in plan.splitlines() if "Index" in line and "Scan" in line]
    indexes = [line for line in scans if "on transfers_transfer" in line]
    assert indexes and all("reference" in line for line in indexes), plan
    assert drafts.own_transfer(contract, transfer.reference).pk == transfer.pk
    assert drafts.own_transfer(stranger, transfer.reference) is None


@pytest.mark.postgres
def test_whether_a_payee_was_paid_before_is_read_from_an_index(contract, stranger):
    """入力 asks when the contract first paid the payee (the new payee's hold and cap): one range of an index on
    the contract's payee, not every transfer the contract ever made, filtered and sorted."""
    from payments import new_payees

    transfer, _digest = _many_to_one_payee(contract, stranger, 2_000, payees=200)
    analyze(Transfer)  # the plan at size, as autovacuum's statistics show it: a tiny table makes any plan cheap
    t = transfer
    plan = compiled_plan(
        new_payees._FIRST_PAID, contract.pk, t.bank_code, t.branch_code, t.payee_kind, t.payee_number, t.pk
    )
    assert "transfer_payee_paid" in plan and "Sort" not in plan, plan
