from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

#: What a request loads with its user, in the same query: the contract, and what higher rooms register
#: with :func:`load_with_user` (otp: the token binding the authorization method reads on most pages).
_with_user: list[str] = ["contract"]


def load_with_user(path: str) -> None:
    """Load ``path`` (a ``select_related`` path from the user) with every request's user."""
    if path not in _with_user:
        _with_user.append(path)


class IbankBackend(ModelBackend):
    """Django's ModelBackend, loading a customer's contract (and what is registered) with the user: one
    query per request, not several."""

    def get_user(self, user_id):
        user = get_user_model().objects.select_related(*_with_user).filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
