"""ibank.sessions: Django's cache session store without its reads before writes, against a real Redis
(issue 19). A new session is one ADD, a save one SET … XX; a session deleted meanwhile (a logout in another
tab) is never written back, and a new key never overwrites an existing session."""

import pytest
from django.contrib.sessions.backends.base import UpdateError
from django.urls import reverse

from ibank import sessions
from ibank.cache import ReusingRedisCache
from tests.helpers import login
from tests.live import REDIS_URL


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


def test_a_new_key_at_login_is_written_once_and_the_old_one_is_gone(redis_cache, commands):
    store = _store(redis_cache)
    store["pending"] = 1
    store.save()
    old = store.session_key
    commands.clear()
    store.cycle_key()  # django.contrib.auth.login
    store["user"] = "x"
    store.save()  # the response's
    assert commands == ["DEL", "SET"]  # the old key deleted; the new one written once (ADD)
    assert store.session_key not in (None, old)
    assert _store(redis_cache, store.session_key).load() == {"pending": 1, "user": "x"}
    assert _store(redis_cache, old).load() == {}


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
