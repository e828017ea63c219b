"""Django's Redis cache, with one ``redis.Redis`` client per connection pool instead of one per operation, and
``replace`` (Redis ``SET … XX``) for the session store (``ibank.sessions``).

Django builds a new client object for every cache call (``RedisCacheClient.get_client``); building one
fills a dictionary of some 200 response callbacks, about a tenth of a millisecond each time, and a page
makes several calls (the session, the rate limits). A client over a pool is thread-safe (redis-py), so
one per pool serves every thread of the process.
"""

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class _ReusingClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

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
