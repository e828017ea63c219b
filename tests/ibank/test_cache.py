"""The Redis cache (sessions, rate limits) keeps one client per connection pool (issue 19), and still works
against a real Redis, from several threads."""

import threading

from ibank.cache import ReusingRedisCache
from tests.live import REDIS_URL


def test_one_client_per_pool_and_it_works():
    cache = ReusingRedisCache(REDIS_URL, {"KEY_PREFIX": "test-cache"})
    client = cache._cache.get_client()
    assert cache._cache.get_client(write=True) is client
    cache.set("k", {"v": 1}, 30)
    assert cache.get("k") == {"v": 1}
    assert cache.incr("n", 1) if cache.add("n", 0, 30) else True

    errors = []

    def work(i):
        try:
            for j in range(50):
                cache.set(f"t{i}", j, 30)
                assert cache.get(f"t{i}") == j
        except Exception as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert cache._cache.get_client() is client
    cache.delete_many(["k", "n", *[f"t{i}" for i in range(4)]])


def test_incr_is_one_atomic_step_that_never_makes_a_key():
    """Django's EXISTS-then-INCRBY made a key that expired between the two again, without its expiry."""
    cache = ReusingRedisCache(REDIS_URL, {"KEY_PREFIX": "test-incr"})
    cache.delete("gone")
    try:
        cache.incr("gone")
        raise AssertionError("a missing key was counted")
    except ValueError:
        pass
    assert cache.get("gone") is None
    cache.set("n", 5, 30)
    assert (cache.incr("n", 2), cache.decr("n"), cache.get("n")) == (7, 6, 6)
    client = cache._cache.get_client()
    assert 0 < client.ttl(cache.make_key("n")) <= 30  # its expiry kept
    cache.delete("n")


def test_a_rate_limit_on_redis_counts_in_its_window_and_gives_back(settings):
    """ibank.ratelimit through the Redis cache (its one-script hit): the window's expiry is set by the first
    hit, and a hit given back is no longer counted."""
    from django.core.cache import cache

    from ibank import ratelimit

    settings.CACHES = {"default": {"BACKEND": "ibank.cache.ReusingRedisCache", "LOCATION": REDIS_URL,
                                   "KEY_PREFIX": "test-ratelimit"}}  # fmt: skip
    cache.delete("ratelimit:k")
    assert [ratelimit.allow("k", limit=2, window=60) for _ in range(3)] == [True, True, False]
    ratelimit.give_back("k")
    ratelimit.give_back("k")
    assert ratelimit.allow("k", limit=2, window=60)
    assert 0 < cache._cache.get_client().ttl(cache.make_key("ratelimit:k")) <= 60
    cache.delete("ratelimit:k")
