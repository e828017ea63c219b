"""Django's cache session store with two round trips fewer to Redis.

Django's store reads before it writes: a new key is first checked with ``EXISTS`` (then written with ``ADD``,
which refuses an existing key anyway), and every save of an existing session is a ``GET`` then a ``SET`` (so
that a session deleted meanwhile, by a logout elsewhere, is not written back). Here a new key is written
with ``ADD`` alone (a collision is refused by it and a new key drawn), and a save is one ``SET … XX``: written
only if the session still exists, else UpdateError, as Django does. With a cache that has no ``replace``
(the per-process cache without Redis) Django's own save runs. A new key at login (``cycle_key``) is written
once, by the response's save, instead of at once and again at the end.

A login writes its session at once, inside its transaction (:func:`write_now`): a Redis out of reach then
rolls the login's rows back instead of leaving a login record, an audit entry and a notice of a login that
never was. The response's save writes again only what changed since.

The key a login replaces is not deleted but overwritten, for :data:`REPLACED_SECONDS`, by a session that holds
only when a login replaced it (:data:`REPLACED_BY_LOGIN`; nothing of the session before, so a fixed key
gains nothing): a second press of the page that logged in, arriving after that login with the old cookie,
is told where the login went (:func:`replaced_by_login`) instead of 「一定時間が経過したため」. The same write
as the delete it replaces (``SET`` instead of ``DEL``); ``ibank.db_sessions`` does the same in the database.
A login password's change gives the session a new key too (Django's ``update_session_auth_hash``), and its
second press is answered the same way (``accounts.decorators.customer_required``).
"""

import copy

from django.contrib.sessions.backends.base import VALID_KEY_CHARS, CreateError, UpdateError
from django.contrib.sessions.backends.cache import SessionStore as CacheSessionStore
from django.utils.crypto import get_random_string

from . import clock

#: the only content of a session key a login replaced: when (epoch seconds)
REPLACED_BY_LOGIN = "_replaced_by_login"
#: how long a replaced key answers so (a second press comes within seconds; the same login's window)
REPLACED_SECONDS = 10


def replaced_by_login(session) -> bool:
    """This request's session key is one a login replaced seconds ago (a second press of that login's page)."""
    at = session.get(REPLACED_BY_LOGIN)
    return at is not None and clock.epoch() - at <= REPLACED_SECONDS


def replaced_mark() -> dict:
    return {REPLACED_BY_LOGIN: clock.epoch()}


class SessionStore(CacheSessionStore):
    def __init__(self, session_key=None):
        super().__init__(session_key)
        self._written = None  # what write_now wrote (a copy), if it did in this request

    def _get_new_session_key(self) -> str:
        # Unique by the ADD that creates it (create() draws again on a collision), not by a read first.
        return get_random_string(32, VALID_KEY_CHARS)

    def save(self, must_create=False):
        replace = getattr(self._cache, "replace", None)
        if self.session_key is None or replace is None:
            return super().save(must_create=must_create)
        data = self._get_session(no_load=must_create)
        if not must_create and data == self._written:
            return  # written in this request already (write_now), and unchanged since
        if must_create:
            if not self._cache.add(self.cache_key, data, self.get_expiry_age()):
                raise CreateError
        elif not replace(self.cache_key, data, self.get_expiry_age()):
            raise UpdateError  # deleted meanwhile (a logout): never written back

    def cycle_key(self):
        """The same data under a new key (a login): the old key now holds only the mark of its replacement
        (one SET, as the DEL it replaces); the new one is drawn and written (one ADD) by the login's
        :func:`write_now` or the response's save, instead of written empty-handed now (Django's ``create()``)
        and written again at the end."""
        data = self._session
        key = self.session_key
        self._session_key = None
        self._session_cache = data
        self.modified = True
        if key:
            self._cache.set(self.cache_key_prefix + key, replaced_mark(), REPLACED_SECONDS)


def write_now(session) -> None:
    """Write ``session`` now, not with the response: a login calls it inside its transaction, so that a session
    store out of reach (Redis down) fails the login before anything of it commits. Sessions in the database
    (no Redis) commit or fail with the database anyway and are left to the response."""
    if isinstance(session, SessionStore):
        session.save()
        session._written = copy.deepcopy(session._get_session())
