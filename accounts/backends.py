from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class IbankBackend(ModelBackend):
    """Django's ModelBackend, loading a customer's contract with the user: one query per request, not two."""

    def get_user(self, user_id):
        user = get_user_model().objects.select_related("contract").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
