"""A persistent PostgreSQL connection is health-checked before a request uses it (CONN_HEALTH_CHECKS), without
a round trip while it is quiet (ibank/postgresql): one the server ended is still noticed and replaced."""

import time

import pytest
from django.db import connections
from django.db.backends.postgresql import base as django_base

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker_connection():
    """A connection of its own, as a worker keeps it between requests: persistent and health-checked."""
    wrapper = connections.create_connection("default")
    wrapper.ensure_connection()
    wrapper.health_check_enabled, wrapper.close_at = True, None  # CONN_MAX_AGE None, CONN_HEALTH_CHECKS True
    yield wrapper
    wrapper.close()


@pytest.fixture
def round_trip_checks(monkeypatch):
    """How many times Django's own check (its ``SELECT 1``) ran."""
    calls = []
    original = django_base.DatabaseWrapper.is_usable

    def counted(self):
        calls.append(self)
        return original(self)

    monkeypatch.setattr(django_base.DatabaseWrapper, "is_usable", counted)
    return calls


def _next_request(wrapper):
    """What Django does when a request starts (request_started) and then uses the connection."""
    wrapper.close_if_unusable_or_obsolete()
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def test_a_quiet_connection_is_used_without_a_round_trip(worker_connection, round_trip_checks):
    assert worker_connection.vendor == "postgresql"
    first = _next_request(worker_connection)
    second = _next_request(worker_connection)
    assert first == second  # the same connection, kept
    assert round_trip_checks == []


def test_a_connection_the_server_ended_is_replaced_before_the_request_uses_it(worker_connection, round_trip_checks):
    before = _next_request(worker_connection)
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [before])
    deadline = time.monotonic() + 5  # the server's word reaches the socket
    while time.monotonic() < deadline and worker_connection._quiet():
        time.sleep(0.01)

    after = _next_request(worker_connection)  # no error: the request gets a new connection

    assert after != before
    assert round_trip_checks == [worker_connection]  # the socket spoke, so Django's own check ran and failed


def test_a_connection_left_in_a_transaction_gets_the_full_check(worker_connection, round_trip_checks):
    worker_connection.connection.execute("BEGIN")
    worker_connection.health_check_done = False
    worker_connection.close_if_health_check_failed()
    assert round_trip_checks == [worker_connection]
