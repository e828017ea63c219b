"""/healthz/ for the load balancer: 200 while the database and the cache answer, 503 naming what does not."""

import pytest
from django.db import OperationalError


def test_a_server_that_reaches_both_answers_ok(client, db, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = client.get("/healthz/")
    assert response.status_code == 200 and response.content == b"ok\n"
    assert "no-cache" in response["Cache-Control"] and "sessionid" not in response.cookies
    assert client.head("/healthz/").status_code == 200
    assert client.post("/healthz/").status_code == 405


@pytest.mark.parametrize("broken", ["database", "cache"])
def test_what_cannot_be_reached_is_named_with_a_503(client, db, monkeypatch, broken, caplog):
    from ibank import health

    def unreachable():
        raise OperationalError("connection refused")

    monkeypatch.setitem(health.CHECKS, broken, unreachable)
    response = client.get("/healthz/")
    assert response.status_code == 503 and response.content == f"unavailable: {broken}\n".encode()
    assert f"health check: {broken} unreachable" in caplog.text


def test_the_cache_check_asks_the_cache(client, db, monkeypatch):
    """Not a stand-in: the real check reaches the configured cache (Redis in production)."""
    from django.core.cache import cache

    def down(*args, **kwargs):
        raise ConnectionError("redis down")

    monkeypatch.setattr(cache, "get", down)
    assert client.get("/healthz/").status_code == 503


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_real_server_whose_redis_is_gone_says_so():
    """gunicorn as in production, its REDIS_URL a port where nothing listens: /healthz/ answers 503 at once."""
    from django.db import connection

    from tests.live import Client, free_port, gunicorn, server_env

    env = server_env(connection.settings_dict["NAME"])
    env["REDIS_URL"] = f"redis://127.0.0.1:{free_port()}/0"
    with gunicorn(env, workers=1) as (port, _):
        status, _location, body = Client(port).request("GET", "/healthz/")
    assert status == 503 and body == "unavailable: cache\n"
    env = server_env(connection.settings_dict["NAME"])
    with gunicorn(env, workers=1) as (port, _):
        assert Client(port).request("GET", "/healthz/")[0::2] == (200, "ok\n")


@pytest.fixture
def silent_redis():
    """A Redis behind a partition, or stalled."""
    from tests.live import silent_port

    with silent_port() as port:
        yield f"redis://127.0.0.1:{port}/0"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_real_server_whose_redis_is_silent_fails_fast(silent_redis, contract):
    """gunicorn as in production, its Redis silent: /healthz/ says so and a login fails, each within about a
    second (REDIS_TIMEOUT_MS), not after redis-py's five seconds."""
    from django.db import connection

    from tests.conftest import PASSWORD
    from tests.live import gunicorn, loaded_client, server_env, timed

    env = server_env(connection.settings_dict["NAME"])
    env["REDIS_URL"] = silent_redis
    with gunicorn(env, workers=1) as (port, _):
        client = loaded_client(port)
        status, _location, body, health_took = timed(client, "GET", "/healthz/")
        form = {"contract_id": contract.contract_id, "password": PASSWORD}
        status_login, _location, _body, login_took = timed(client, "POST", "/login/", form)
    assert status == 503 and body == "unavailable: cache\n" and health_took < 3
    assert status_login == 500 and login_took < 3
