"""The audit log is append-only in the database and tamper-evident through chained seals (SPEC §8)."""

import threading
import time
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from auditlog import audit, sealing
from auditlog.models import AuditEntry, AuditSeal
from tests.concurrency import run_concurrently


def _entries(n):
    return [audit.record(None, "token.issue", ok=True, as_name="test", n=i) for i in range(n)]


def _raw(sql, params=()):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.parametrize(
    "sql",
    ["UPDATE accounts_auditentry SET action = 'x' WHERE id = %s", "DELETE FROM accounts_auditentry WHERE id = %s"],
)
def test_the_database_refuses_update_and_delete(db, sql):
    [entry] = _entries(1)
    with pytest.raises(DatabaseError, match="append-only"):
        _raw(sql, [entry.pk])
    assert AuditEntry.objects.get(pk=entry.pk).action == "token.issue"


def test_seals_are_refused_change_too(db):
    _entries(2)
    sealing.seal(margin=timedelta(0))
    with pytest.raises(DatabaseError, match="append-only"):
        _raw("UPDATE accounts_auditseal SET count = 1")


def _without_triggers(sql, params=(), table="accounts_auditentry"):
    """What someone with the database's owner rights could do: disable the guard, change, enable it again."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"DROP TRIGGER {table}_no_update")
            cursor.execute(f"DROP TRIGGER {table}_no_delete")
            cursor.execute(sql, params)
            migration = __import__("auditlog.migrations.0001_squashed", fromlist=["sqlite_triggers"])
            for statement in migration.sqlite_triggers(table):
                cursor.execute(statement)
        else:  # a superuser's way of not firing triggers
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute(sql, params)
            cursor.execute("SET LOCAL session_replication_role = DEFAULT")


def _verify():
    call_command("verify_audit", stdout=StringIO())


def test_seal_then_verify_is_clean_and_counts_the_unsealed(db):
    _entries(5)
    seals = sealing.seal(margin=timedelta(0), batch=2)
    assert [s.count for s in seals] == [2, 2, 1]
    assert seals[1].previous_sha256 == seals[0].sha256
    _entries(3)
    out = StringIO()
    call_command("verify_audit", stdout=out)
    assert "3 seal(s); 3 entries not yet sealed" in out.getvalue()


def test_verify_finds_a_sealed_entry_changed_behind_the_triggers(db):
    entries = _entries(4)
    sealing.seal(margin=timedelta(0), batch=2)
    _without_triggers("UPDATE accounts_auditentry SET reason = 'edited' WHERE id = %s", [entries[2].pk])
    with pytest.raises(CommandError, match=f"entries {entries[2].pk}-{entries[3].pk} is broken: an entry's content"):
        _verify()
    # With an anchor that does not match either, the broken seal is what is told, and why it is broken.
    anchor = f"--anchor={entries[1].pk}:{'0' * 64}"
    with pytest.raises(CommandError, match=f"entries {entries[2].pk}-{entries[3].pk} is broken: an entry's content"):
        call_command("verify_audit", anchor, stdout=StringIO())


def test_verify_finds_a_deleted_entry(db):
    entries = _entries(4)
    sealing.seal(margin=timedelta(0))
    _without_triggers("DELETE FROM accounts_auditentry WHERE id = %s", [entries[1].pk])
    with pytest.raises(CommandError, match="holds 3 entries, sealed with 4"):
        _verify()


def _rewrite_entry_and_its_seal(entries, seals, *, also_the_seal_hash: bool):
    """An entry edited, and its seal's digest of the entries made again to match (and its own hash)."""
    _without_triggers("UPDATE accounts_auditentry SET reason = 'edited' WHERE id = %s", [entries[0].pk])
    first = seals[0]
    digest, count = sealing._digest(AuditEntry.objects.filter(pk__lte=first.last_id).order_by("pk").iterator())
    sha256 = first.sha256
    if also_the_seal_hash:
        sha256 = sealing.seal_hash(first.previous_sha256, digest, first.first_id, first.last_id, count)
    _without_triggers(
        "UPDATE accounts_auditseal SET entries_sha256 = %s, sha256 = %s WHERE id = %s",
        [digest, sha256, first.pk],
        "accounts_auditseal",
    )


def test_verify_finds_a_seal_made_again_to_hide_an_edit(db):
    """The edit hidden from the entries' digest shows in the seal's own hash; made again too, the next seal no
    longer chains to it."""
    entries = _entries(4)
    seals = sealing.seal(margin=timedelta(0), batch=2)
    _rewrite_entry_and_its_seal(entries, seals, also_the_seal_hash=False)
    with pytest.raises(CommandError, match=f"entries {entries[0].pk}-{entries[1].pk} is broken: the seal itself"):
        _verify()
    _rewrite_entry_and_its_seal(entries, seals, also_the_seal_hash=True)
    with pytest.raises(CommandError, match=f"entries {entries[2].pk}-{entries[3].pk} is broken: does not chain"):
        _verify()


def test_verify_finds_seals_that_overlap(db):
    entries = _entries(4)
    seals = sealing.seal(margin=timedelta(0), batch=2)
    second = seals[1]
    _without_triggers(
        "UPDATE accounts_auditseal SET first_id = %s WHERE id = %s", [entries[1].pk, second.pk], "accounts_auditseal"
    )
    with pytest.raises(CommandError, match="is broken: overlaps the previous seal"):
        _verify()


def _seal_head() -> str:
    """What seal_audit printed as the head (the scheduler's log keeps it outside the database)."""
    out = StringIO()
    call_command("seal_audit", "--margin", "0", stdout=out)
    return out.getvalue().splitlines()[-1].removeprefix("head ")


def _rewrite_the_whole_chain(entry):
    """An entry edited and every seal made again from the start: a chain intact in itself."""
    _without_triggers("UPDATE accounts_auditentry SET reason = 'edited' WHERE id = %s", [entry.pk])
    previous = sealing.GENESIS
    for seal in AuditSeal.objects.order_by("last_id"):
        rows = AuditEntry.objects.filter(pk__gte=seal.first_id, pk__lte=seal.last_id).order_by("pk")
        digest, count = sealing._digest(rows.iterator())
        sha256 = sealing.seal_hash(previous, digest, seal.first_id, seal.last_id, count)
        _without_triggers(
            "UPDATE accounts_auditseal SET entries_sha256 = %s, previous_sha256 = %s, sha256 = %s WHERE id = %s",
            [digest, previous, sha256, seal.pk],
            "accounts_auditseal",
        )
        previous = sha256


def test_a_head_kept_outside_the_database_finds_a_rewritten_chain(db):
    entries = _entries(3)
    recorded = _seal_head()
    last_id, sha256 = recorded.split(":")
    assert int(last_id) == entries[-1].pk and sha256 == AuditSeal.objects.get().sha256
    out = StringIO()
    call_command("verify_audit", "--anchor", recorded, stdout=out)
    assert out.getvalue().splitlines() == ["audit log intact: 1 seal(s); 0 entries not yet sealed", f"head {recorded}"]
    _entries(2)
    later = _seal_head()
    _rewrite_the_whole_chain(entries[0])
    _verify()  # the chain alone cannot tell
    for anchors in ([recorded], [later], [later, recorded]):
        with pytest.raises(
            CommandError, match=r"does not hold what was recorded: anchor \d+: the seal ending there has"
        ):
            call_command("verify_audit", *[f"--anchor={a}" for a in anchors], stdout=StringIO())


def test_an_anchor_must_name_a_seal_and_be_written_id_colon_hash(db):
    entries = _entries(2)
    recorded = _seal_head()
    missing = f"{entries[0].pk}:{recorded.split(':')[1]}"
    with pytest.raises(CommandError, match=f"anchor {entries[0].pk}: no seal ends there"):
        call_command("verify_audit", "--anchor", missing, stdout=StringIO())
    with pytest.raises(CommandError, match="invalid ID:SHA256 value"):
        call_command("verify_audit", "--anchor", "12345", stdout=StringIO())
    call_command("verify_audit", "--anchor", recorded.upper(), stdout=StringIO())  # hex in either case


def test_entries_younger_than_the_margin_wait(db, fake_clock):
    _entries(2)
    assert sealing.seal(margin=timedelta(seconds=30)) == []
    fake_clock.advance(31)
    assert sum(s.count for s in sealing.seal(margin=timedelta(seconds=30))) == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_sealing_racing_new_inserts_skips_no_entry():
    stop = threading.Event()

    def writer(i):
        n = 0
        while not stop.is_set():
            with transaction.atomic():  # some entries wait in an open transaction before they commit
                audit.record(None, "token.issue", ok=True, as_name=f"writer{i}", n=n)
                if n % 7 == 0:
                    time.sleep(0.05)
            n += 1
        return n

    def sealer(_i):
        while not stop.is_set():
            sealing.seal(margin=timedelta(0), batch=50)
            time.sleep(0.01)

    threads = [threading.Thread(target=run_concurrently, args=(writer, 4))]
    threads.append(threading.Thread(target=run_concurrently, args=(sealer, 2)))
    for t in threads:
        t.start()
    time.sleep(4)
    stop.set()
    for t in threads:
        t.join(timeout=60)
    deadline = time.monotonic() + 6  # past the horizon's 5 s guard, should a connection still hold a transaction
    while True:
        sealing.seal(margin=timedelta(0))
        report = sealing.verify()
        if report.unsealed == 0 or report.broken is not None or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert report.broken is None, report.problem
    assert report.unsealed == 0
    assert sum(AuditSeal.objects.values_list("count", flat=True)) == AuditEntry.objects.count() > 100


def test_a_younger_entry_between_older_ones_stops_the_seal(db, fake_clock):
    """Ids follow insertion, times follow creation: a seal must not step over a younger entry."""
    from datetime import timedelta as td

    [first] = _entries(1)  # made at T
    fake_clock.advance(100)
    [young] = _entries(1)  # made at T+100
    fake_clock.advance(-99)
    [old] = _entries(1)  # made at T+1, inserted after the young one
    fake_clock.advance(109)  # now T+110: the horizon (30 s margin) is T+80
    seals = sealing.seal(margin=td(seconds=30))
    assert [(s.first_id, s.last_id) for s in seals] == [(first.pk, first.pk)]
    assert sealing.verify().broken is None
    fake_clock.advance(60)
    sealing.seal(margin=td(seconds=30))
    report = sealing.verify()
    assert report.broken is None and report.unsealed == 0
    assert young.pk < old.pk


def test_a_negative_margin_is_refused_and_seals_nothing(db, contract):
    """A horizon in the future would seal entries a transaction may still be writing below (an operator's typo)."""
    audit.record(None, "login", ok=True, contract=contract)
    with pytest.raises(CommandError, match="--margin"):
        call_command("seal_audit", "--margin", "-60", stdout=StringIO())
    assert not AuditSeal.objects.exists()
