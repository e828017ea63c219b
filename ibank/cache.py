"""Django's Redis cache, with one ``redis.Redis`` client per connection pool instead of one per operation, and
``replace`` (Redis ``SET … XX``) for the session store (``ibank.sessions``).

Django builds a new client object for every cache call (``RedisCacheClient.get_client``); building one
fills a dictionary of some 200 response callbacks, about a tenth of a millisecond each time, and a page
makes several calls (the session, the rate limits). A client over a pool is thread-safe (redis-py), so
one per pool serves every thread of the process.

``incr`` (and ``decr``) and ``hit`` (ibank.ratelimit's count) are one Lua script each: one round trip, atomic.
"""

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

# Django's incr asks EXISTS, then INCRBY: two round trips, and a key that expires between them is made again by
# INCRBY without its expiry, a count that would never end (a sender paused for good). In one script, neither.
_INCR_IF_EXISTS = "if redis.call('exists', KEYS[1]) == 1 then return redis.call('incrby', KEYS[1], ARGV[1]) end"
# A fixed window's hit: the count made (0, expiring with the window) if it is not there, then counted.
_HIT = "redis.call('set', KEYS[1], 0, 'EX', ARGV[1], 'NX') return redis.call('incr', KEYS[1])"


class _ReusingClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}
        self._scripts = {}

    def _run(self, lua: str, key, *args):
        client = self.get_client(key, write=True)
        script = self._scripts.get(lua)
        if script is None:
            script = self._scripts[lua] = client.register_script(lua)
        return script(keys=[key], args=args, client=client)

    def incr(self, key, delta):
        value = self._run(_INCR_IF_EXISTS, key, delta)
        if value is None:
            raise ValueError(f"Key '{key}' not found.")
        return value

    def hit(self, key, timeout: int) -> int:
        return self._run(_HIT, key, timeout)

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class ReusingRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _ReusingClient

    def replace(self, key, value, timeout=DEFAULT_TIMEOUT, version=None) -> bool:
        """Set ``key`` only if it exists (one round trip): False, and nothing written, when it does not."""
        key = self.make_and_validate_key(key, version=version)
        client = self._cache.get_client(key, write=True)
        timeout = self.get_backend_timeout(timeout)
        return bool(client.set(key, self._cache._serializer.dumps(value), ex=timeout, xx=True))

    def hit(self, key, timeout: int, version=None) -> int:
        """One more hit on the count under ``key``, made (expiring after ``timeout`` seconds) if it is not there:
        the count, in one atomic round trip (ibank.ratelimit)."""
        key = self.make_and_validate_key(key, version=version)
        return self._cache.hit(key, int(timeout))
