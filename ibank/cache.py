"""Django's Redis cache, with one ``redis.Redis`` client per connection pool instead of one per operation.

Django builds a new client object for every cache call (``RedisCacheClient.get_client``); building one
fills a dictionary of some 200 response callbacks, about a tenth of a millisecond each time, and a page
makes several calls (the session, the rate limits). A client over a pool is thread-safe (redis-py), so
one per pool serves every thread of the process.
"""

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
