from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from ibank.compiled import CompiledQuery

from . import locks

#: What a request loads with its user, in the same query: the contract, and what higher rooms register
#: with :func:`load_with_user` (otp: the token binding the authorization method reads on most pages).
_with_user: list[str] = ["contract"]

#: Every request runs it: compiled once per process (ibank.compiled); the id is unique, so no LIMIT. The
#: contract's open locks come in the same statement (accounts.locks.read_with): most pages ask the gate.
_user_query = CompiledQuery(
    lambda user_id: locks.read_with(
        get_user_model().objects.select_related(*_with_user).filter(pk=user_id), contract_of="contract__id"
    ),
    -7_000_000_001,
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
        if user is None or not self.user_can_authenticate(user):
            return None
        if hasattr(user, "contract"):
            locks.adopt(user.contract, user)
        return user
