"""A web request never waits on PostgreSQL without end: gunicorn as in production, against a row another
connection holds, a statement that runs on, and a server that accepts and never answers."""

import contextlib
import threading
import time

import pytest

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@contextlib.contextmanager
def row_held(table: str, pk: int, *, for_seconds: float):
    """Another connection holds the row (a branch clerk's long operation, a stuck job) and lets it go after
    ``for_seconds`` at the latest."""
    import psycopg
    from django.db import connection
    from psycopg import sql

    db = connection.settings_dict
    holder = psycopg.connect(
        host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"], dbname=db["NAME"]
    )
    released = threading.Timer(for_seconds, holder.rollback)
    try:
        holder.execute(sql.SQL("SELECT 1 FROM {} WHERE id = %s FOR UPDATE").format(sql.Identifier(table)), [pk])
        released.start()
        yield
    finally:
        released.cancel()
        holder.close()


def _login(client, contract):
    from tests.conftest import PASSWORD

    client.request("GET", "/login/")
    started = time.monotonic()
    status = client.request("POST", "/login/", {"contract_id": contract.contract_id, "password": PASSWORD})[0]
    return status, time.monotonic() - started


@pytest.mark.parametrize(
    "timeouts",
    [
        {"DATABASE_LOCK_TIMEOUT_MS": "500"},
        {"DATABASE_LOCK_TIMEOUT_MS": "0", "DATABASE_STATEMENT_TIMEOUT_MS": "500"},
    ],
    ids=["lock_timeout", "statement_timeout"],
)
def test_a_login_that_waits_for_a_held_row_fails_within_its_timeout_and_leaves_nothing(contract, timeouts):
    """The login's user row is held for 8 s: the login answers the error page within about its timeout, writes
    no login record and no audit entry, and the same worker logs the customer in once the row is free."""
    from django.db import connection

    from accounts.models import LoginRecord
    from auditlog.models import AuditEntry
    from tests.live import Client, gunicorn, server_env

    env = {**server_env(connection.settings_dict["NAME"]), **timeouts}
    with gunicorn(env, workers=1) as (port, _):
        client = Client(port)
        with row_held(contract.user._meta.db_table, contract.user_id, for_seconds=8):
            status, took = _login(client, contract)
            assert (status, took < 3) == (500, True), took
            assert not LoginRecord.objects.filter(contract=contract).exists()
            assert not AuditEntry.objects.filter(contract=contract, action="login").exists()
        status, _took = _login(Client(port), contract)
    assert status == 302
    assert LoginRecord.objects.filter(contract=contract).count() == 1


def test_jobs_and_the_worker_connect_without_the_request_timeouts(db):
    """Only a web process carries them: a migration's index or the ledger's check may run longer."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        statement = cursor.fetchone()[0]
        cursor.execute("SHOW lock_timeout")
        lock = cursor.fetchone()[0]
    assert (statement, lock) == ("0", "0")


@pytest.fixture
def silent_postgres():
    """A database behind a partition, or stalled."""
    from tests.live import silent_port

    with silent_port() as port:
        yield port


def test_a_silent_database_fails_a_request_in_seconds(silent_postgres):
    """/healthz/ names the database within about DATABASE_CONNECT_TIMEOUT; libpq alone would wait for ever."""
    from tests.live import gunicorn, loaded_client, server_env, timed

    env = server_env("ibank")
    env.update(DATABASE_URL=f"postgres://postgres@127.0.0.1:{silent_postgres}/ibank", DATABASE_CONNECT_TIMEOUT="1")
    with gunicorn(env, workers=1) as (port, _):
        status, _location, body, took = timed(loaded_client(port), "GET", "/healthz/")
    assert (status, body) == (503, "unavailable: database\n")
    assert took < 4, took
