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


def _without_triggers(sql, params=()):
    """What someone with the database's owner rights could do: disable the guard, change, enable it again."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER accounts_auditentry_no_update")
            cursor.execute("DROP TRIGGER accounts_auditentry_no_delete")
            cursor.execute(sql, params)
            migration = __import__("auditlog.migrations.0001_squashed", fromlist=["sqlite_triggers"])
            for statement in migration.sqlite_triggers("accounts_auditentry"):
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


def test_verify_finds_a_deleted_entry(db):
    entries = _entries(4)
    sealing.seal(margin=timedelta(0))
    _without_triggers("DELETE FROM accounts_auditentry WHERE id = %s", [entries[1].pk])
    with pytest.raises(CommandError, match="holds 3 entries, sealed with 4"):
        _verify()


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
    time.sleep(5.5)  # past the horizon's 5 s guard
    sealing.seal(margin=timedelta(0))
    report = sealing.verify()
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
