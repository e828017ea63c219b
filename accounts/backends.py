from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from ibank.compiled import CompiledQuery

#: What a request loads with its user, in the same query: the contract, and what higher rooms register
#: with :func:`load_with_user` (otp: the token binding the authorization method reads on most pages).
_with_user: list[str] = ["contract"]

#: Every request runs it: compiled once per process (ibank.compiled); the id is unique, so no LIMIT.
_user_query = CompiledQuery(
    lambda user_id: get_user_model().objects.select_related(*_with_user).filter(pk=user_id), -7_000_000_001
)


def load_with_user(path: str) -> None:
    """Load ``path`` (a ``select_related`` path from the user) with every request's user."""
    if path not in _with_user:
        _with_user.append(path)
        _user_query.forget()


class IbankBackend(ModelBackend):
    """Django's ModelBackend, loading a customer's contract (and what is registered) with the user: one
    query per request, not several, compiled once."""

    def get_user(self, user_id):
        try:
            user_id = int(user_id)
        except (TypeError, ValueError):
            return None
        user = _user_query.first(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
