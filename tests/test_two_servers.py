"""Two app servers (two gunicorn instances on two ports) sharing PostgreSQL and Redis, as two hosts would:
sessions, the one-session rule, single use of codes, lockouts and the issuance rate limit hold across both."""

import time

import pytest
from django.db import connection

from otp import totp
from tests.conftest import PASSWORD
from tests.helpers import is_locked
from tests.live import Client, flush_redis, gunicorn, server_env

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def servers(db):
    env = server_env(connection.settings_dict["NAME"])
    env["IBANK_TOKEN_ISSUE_LIMIT"] = "3"
    flush_redis()
    with gunicorn(env, workers=1) as (a, _), gunicorn(env, workers=1) as (b, _):
        yield a, b


def login(client, contract_id, password=PASSWORD):
    return client.request("POST", "/login/", {"contract_id": contract_id, "password": password})


def test_a_session_made_on_one_server_works_on_the_other(servers, contract):
    a, b = servers
    on_a = Client(a)
    assert login(on_a, contract.contract_id)[1] == "/menu/"
    on_b = Client(b)
    on_b.cookies = dict(on_a.cookies)
    status, _, body = on_b.request("GET", "/menu/")
    assert status == 200 and "メニュー" in body


def test_a_login_on_one_server_ends_the_session_on_the_other(servers, contract):
    a, b = servers
    first = Client(a)
    login(first, contract.contract_id)
    second = Client(b)
    login(second, contract.contract_id)
    assert second.request("GET", "/menu/")[0] == 200
    status, location, _ = first.request("GET", "/menu/")
    assert status == 302 and location.startswith("/login/")


def test_a_code_is_accepted_once_across_servers(servers, token_contract):
    a, b = servers
    clients = [Client(a), Client(b)]
    for client in clients:
        assert login(client, token_contract.contract_id)[1] == "/login/otp/"
    code = totp.totp(token_contract.key, time.time())
    results = [client.request("POST", "/login/otp/", {"otp": code}) for client in clients]
    assert sorted(location for _status, location, _body in results) == ["", "/menu/"]


def test_lockout_counts_across_servers(servers, contract):
    a, b = servers
    for i in range(5):
        login(Client((a, b)[i % 2]), contract.contract_id, "Wrong123")
    assert is_locked(contract, "login")
    _status, _location, body = login(Client(a), contract.contract_id)
    assert "ログインを停止しています" in body


def test_the_issuance_rate_limit_is_shared(servers):
    a, b = servers
    statuses = [Client((a, b)[i % 2]).request("POST", "/token/issue/", {"kind": "mobile"})[0] for i in range(5)]
    assert statuses[:3] == [302, 302, 302] and statuses[3:] == [429, 429]  # issued (redirect to the token) x3
