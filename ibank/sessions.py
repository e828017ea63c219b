"""Django's cache session store with two round trips fewer to Redis.

Django's store reads before it writes: a new key is first checked with ``EXISTS`` (then written with ``ADD``,
which refuses an existing key anyway), and every save of an existing session is a ``GET`` then a ``SET`` (so
that a session deleted meanwhile, by a logout elsewhere, is not written back). Here a new key is written
with ``ADD`` alone (a collision is refused by it and a new key drawn), and a save is one ``SET … XX``: written
only if the session still exists, else UpdateError, as Django does. With a cache that has no ``replace``
(the per-process cache without Redis) Django's own save runs.
"""

from django.contrib.sessions.backends.base import VALID_KEY_CHARS, CreateError, UpdateError
from django.contrib.sessions.backends.cache import SessionStore as CacheSessionStore
from django.utils.crypto import get_random_string


class SessionStore(CacheSessionStore):
    def _get_new_session_key(self) -> str:
        # Unique by the ADD that creates it (create() draws again on a collision), not by a read first.
        return get_random_string(32, VALID_KEY_CHARS)

    def save(self, must_create=False):
        replace = getattr(self._cache, "replace", None)
        if self.session_key is None or replace is None:
            return super().save(must_create=must_create)
        data = self._get_session(no_load=must_create)
        if must_create:
            if not self._cache.add(self.cache_key, data, self.get_expiry_age()):
                raise CreateError
        elif not replace(self.cache_key, data, self.get_expiry_age()):
            raise UpdateError  # deleted meanwhile (a logout): never written back
