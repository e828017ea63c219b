"""Django's database session store (the set-up without Redis), whose key a login replaces keeps, for a few
seconds, only the mark of that login, as ``ibank.sessions`` does in Redis: an UPDATE instead of the DELETE."""

from datetime import timedelta

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.utils import timezone

from .sessions import REPLACED_SECONDS, replaced_mark


class SessionStore(DatabaseSessionStore):
    def cycle_key(self):
        data = self._session
        key = self.session_key
        self.create()
        self._session_cache = data
        if key:
            until = timezone.now() + timedelta(seconds=REPLACED_SECONDS)
            self.model.objects.filter(session_key=key).update(
                session_data=self.encode(replaced_mark()), expire_date=until
            )
