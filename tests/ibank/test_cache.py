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
