"""ibank.sessions: Django's cache session store without its reads before writes, against a real Redis
(issue 19). A new session is one ADD, a save one SET … XX; a session deleted meanwhile (a logout in another
tab) is never written back, and a new key never overwrites an existing session."""

import pytest
from django.contrib.sessions.backends.base import UpdateError
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from redis.exceptions import ReadOnlyError

from accounts.models import Lock
from auditlog.models import AuditEntry
from ibank import sessions
from ibank.cache import ReusingRedisCache
from notices.models import Notice
from otp import totp
from tests.conftest import PASSWORD
from tests.helpers import login, post_login
from tests.live import REDIS_URL, free_port


@pytest.fixture
def redis_cache():
    cache = ReusingRedisCache(REDIS_URL, {"KEY_PREFIX": "test-sessions"})
    yield cache
    cache.clear()


def _store(cache, key=None):
    store = sessions.SessionStore(key)
    store._cache = cache
    return store


@pytest.fixture
def commands(redis_cache, monkeypatch):
    """The Redis commands the cache sends, by name."""
    sent = []
    client = redis_cache._cache.get_client(write=True)
    real = client.execute_command

    def counted(*args, **options):
        sent.append(args[0])
        return real(*args, **options)

    monkeypatch.setattr(client, "execute_command", counted)
    return sent


def test_a_new_session_is_one_write_and_a_save_one_more(redis_cache, commands):
    store = _store(redis_cache)
    store["step"] = 1
    store.save()
    assert commands == ["SET"]  # ADD: SET … NX; no EXISTS first
    store["step"] = 2
    store.save()
    assert commands == ["SET", "SET"]  # SET … XX; no GET first
    assert _store(redis_cache, store.session_key).load() == {"step": 2}


def test_a_new_key_at_login_is_written_once_and_the_old_one_keeps_only_the_logins_mark(redis_cache, commands):
    store = _store(redis_cache)
    store["pending"] = 1
    store.save()
    old = store.session_key
    commands.clear()
    store.cycle_key()  # django.contrib.auth.login
    store["user"] = "x"
    store.save()  # the response's
    assert commands == ["SET", "SET"]  # the old key overwritten by the mark (as the DEL was); the new one ADDed
    assert store.session_key not in (None, old)
    assert _store(redis_cache, store.session_key).load() == {"pending": 1, "user": "x"}
    assert list(_store(redis_cache, old).load()) == [sessions.REPLACED_BY_LOGIN]  # nothing of before survives
    assert (
        0
        < redis_cache._cache.get_client().ttl(redis_cache.make_key(sessions.SessionStore.cache_key_prefix + old))
        <= 10
    )


def test_a_session_deleted_meanwhile_is_not_written_back(redis_cache):
    store = _store(redis_cache)
    store["user"] = "x"
    store.save()
    _store(redis_cache, store.session_key).delete()  # logged out elsewhere
    store["user"] = "y"
    with pytest.raises(UpdateError):
        store.save()
    assert _store(redis_cache, store.session_key).load() == {}


def test_a_new_key_never_overwrites_an_existing_session(redis_cache, monkeypatch):
    first = _store(redis_cache)
    first["owner"] = "first"
    first.save()
    keys = iter([first.session_key, "k" * 32])  # the first draw collides
    monkeypatch.setattr(sessions, "get_random_string", lambda *_args: next(keys))
    second = _store(redis_cache)
    second["owner"] = "second"
    second.save()
    assert second.session_key == "k" * 32
    assert _store(redis_cache, first.session_key).load() == {"owner": "first"}


def test_a_customer_logs_in_and_out_with_sessions_in_redis(client, make_contract, settings):
    settings.CACHES = {
        "default": {"BACKEND": "ibank.cache.ReusingRedisCache", "LOCATION": REDIS_URL, "KEY_PREFIX": "test-sessions"}
    }
    settings.SESSION_ENGINE = "ibank.sessions"
    contract = make_contract()
    login(client, contract)
    assert client.get(reverse("accounts-menu")).status_code == 200
    client.post(reverse("accounts-logout"))
    assert client.get(reverse("accounts-menu")).status_code == 302  # the session is gone


@pytest.fixture
def sessions_in_redis(settings):
    """The production set-up: the cache and the sessions in Redis (ibank.sessions)."""
    settings.CACHES = {
        "default": {"BACKEND": "ibank.cache.ReusingRedisCache", "LOCATION": REDIS_URL, "KEY_PREFIX": "test-sessions"}
    }
    settings.SESSION_ENGINE = "ibank.sessions"
    yield settings
    ReusingRedisCache(REDIS_URL, {"KEY_PREFIX": "test-sessions"}).clear()


def _no_login_left(contract):
    assert not contract.logins.exists()
    assert not AuditEntry.objects.filter(contract=contract, action="login").exists()
    assert not Lock.objects.filter(contract=contract, kind=Lock.Kind.ENVIRONMENT_HOLD).exists()
    assert not Notice.objects.filter(contract_id=contract.pk).exists()


@pytest.mark.django_db(transaction=True)  # the view's own transaction is the outermost, as served
def test_a_login_whose_session_redis_cannot_reach_leaves_no_login_behind(client, make_contract, sessions_in_redis):
    """Redis down: the customer gets the error page, and the bank keeps no record, entry, hold or notice of a
    login that never was (a new environment's login would otherwise be told and held)."""
    sessions_in_redis.CACHES["default"]["LOCATION"] = f"redis://127.0.0.1:{free_port()}/0"
    contract = make_contract()
    client.raise_request_exception = False
    response = client.post(reverse("accounts-login"), {"contract_id": contract.contract_id, "password": PASSWORD})
    assert response.status_code == 500
    assert "ただいまご利用いただけません" in response.content.decode()
    _no_login_left(contract)


@pytest.mark.django_db(transaction=True)  # the view's own transaction is the outermost, as served
def test_an_otp_login_whose_session_redis_refuses_to_write_leaves_no_login_behind(
    client, token_contract, fake_clock, sessions_in_redis, monkeypatch
):
    """Redis answers reads but refuses writes (a failover to a read-only replica) at the code's step."""
    response = post_login(client, token_contract)
    assert response.status_code == 302 and response["Location"] == reverse("accounts-login-otp")

    def read_only(*args, **kwargs):
        raise ReadOnlyError("You can't write against a read only replica.")

    monkeypatch.setattr(ReusingRedisCache, "add", read_only)
    client.raise_request_exception = False
    code = totp.totp(token_contract.key, fake_clock.epoch())
    assert client.post(reverse("accounts-login-otp"), {"otp": code}).status_code == 500
    _no_login_left(token_contract)
    assert client.get(reverse("accounts-menu")).status_code == 302  # not logged in


@pytest.mark.django_db(transaction=True)  # the admin login's own transaction is the outermost, as served
def test_a_staff_login_whose_session_redis_cannot_reach_is_not_audited_as_one(client, fake_clock, sessions_in_redis):
    """Redis down at the admin's ログイン: the error page, no 'admin.login ok' entry, the clerk not logged in; once
    Redis is back the same password and code log the clerk in (the code was not spent on a login that never
    was), audited once."""
    from accounts.models import StaffDevice, User

    clerk = User.objects.create_user("clerk", password="clerk-pass-123", is_staff=True, is_superuser=True)
    device = StaffDevice(user=clerk, name="clerk", confirmed=True)
    device.set_key(bytes(range(20)))
    device.save()
    code = totp.totp(bytes(range(20)), fake_clock.epoch())
    form = {"username": "clerk", "password": "clerk-pass-123", "otp_token": code, "next": "/admin/"}
    working = sessions_in_redis.CACHES
    sessions_in_redis.CACHES = {"default": {**working["default"], "LOCATION": f"redis://127.0.0.1:{free_port()}/0"}}
    client.raise_request_exception = False
    assert client.post(reverse("admin:login"), form).status_code == 500
    assert not AuditEntry.objects.filter(action="admin.login").exists()
    sessions_in_redis.CACHES = working
    assert client.get(reverse("admin:index")).status_code == 302  # not logged in
    assert client.post(reverse("admin:login"), form).status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200
    assert list(AuditEntry.objects.filter(action="admin.login").values_list("outcome", flat=True)) == ["ok"]


@pytest.fixture
def session_writes(monkeypatch):
    """The writes of sessions to Redis from now on: "add" (a new key) or "replace" (a save)."""
    written = []
    prefix = sessions.SessionStore.cache_key_prefix
    for name in ("add", "replace"):
        real = getattr(ReusingRedisCache, name)

        def counted(self, key, *args, _name=name, _real=real, **kwargs):
            if key.startswith(prefix):
                written.append(_name)
            return _real(self, key, *args, **kwargs)

        monkeypatch.setattr(ReusingRedisCache, name, counted)
    return written


def test_a_login_writes_its_session_once(client, make_contract, sessions_in_redis, session_writes):
    """Written inside the login's transaction, the session is not written again by the response."""
    login(client, make_contract())
    assert session_writes == ["add"]
    assert client.get(reverse("accounts-menu")).status_code == 200


def test_an_otp_login_writes_its_new_session_once_and_counts_it_verified(
    client, token_contract, fake_clock, sessions_in_redis, session_writes
):
    post_login(client, token_contract)
    session_writes.clear()  # the pending login's
    code = totp.totp(token_contract.key, fake_clock.epoch())
    assert client.post(reverse("accounts-login-otp"), {"otp": code})["Location"] == reverse("accounts-menu")
    assert session_writes == ["add"]  # the device verified is in it: django-otp's mark is written with the login
    assert client.get(reverse("accounts-menu")).status_code == 200
    assert DEVICE_ID_SESSION_KEY in client.session


@pytest.mark.django_db(transaction=True)
def test_a_logout_whose_session_redis_cannot_end_is_not_audited_as_one(client, make_contract, sessions_in_redis):
    """Redis down at ログアウト: the error page, no 'logout' entry, and once Redis is back the session still
    lives — the bank's record never says a login ended that did not."""
    contract = make_contract()
    login(client, contract)

    def down(*args, **kwargs):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ReusingRedisCache, "delete", down)
        client.raise_request_exception = False
        assert client.post(reverse("accounts-logout")).status_code == 500
    assert not AuditEntry.objects.filter(contract=contract, action="logout").exists()
    assert client.get(reverse("accounts-menu")).status_code == 200
    client.post(reverse("accounts-logout"))
    assert AuditEntry.objects.filter(contract=contract, action="logout").count() == 1
    assert client.get(reverse("accounts-menu")).status_code == 302


def test_with_sessions_in_redis_the_code_sent_again_with_the_old_cookie_goes_to_the_menu(
    client, token_contract, fake_clock, sessions_in_redis
):
    from tests.helpers import twin_of

    post_login(client, token_contract)
    second = twin_of(client)
    code = totp.totp(token_contract.key, fake_clock.epoch())
    assert client.post(reverse("accounts-login-otp"), {"otp": code})["Location"] == reverse("accounts-menu")
    assert second.post(reverse("accounts-login-otp"), {"otp": code})["Location"] == reverse("accounts-menu")
    assert second.get(reverse("accounts-menu")).status_code == 302  # the old key logs no one in
    assert client.get(reverse("accounts-menu")).status_code == 200
