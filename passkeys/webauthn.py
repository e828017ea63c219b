"""The relying party for django-otp-webauthn: the host customers use (checked against ALLOWED_HOSTS by
``request.get_host()``), the bank's name, and the one origin that host makes."""

from dataclasses import replace

from django.conf import settings
from django_otp_webauthn.helpers import WebAuthnHelper
from webauthn.helpers.structs import UserVerificationRequirement


def origin(request) -> str:
    return f"{request.scheme}://{request.get_host()}"


def rp_id(request) -> str:
    """The host without its port (WebAuthn scopes credentials to a domain)."""
    return request.get_host().rsplit(":", 1)[0] if not request.get_host().startswith("[") else request.get_host()


def rp_name(request) -> str:
    return settings.BANK_NAME


class Helper(WebAuthnHelper):
    def get_generate_registration_options_kwargs(self, *, user) -> dict:
        """django-otp-webauthn's options, with the device's lock (user verification) required where it only
        prefers it: every use of a passkey requires it (passkeys.ceremony), so one made without it would
        authorize nothing — the browser asks for the lock, and an answer without it is refused."""
        options = super().get_generate_registration_options_kwargs(user=user)
        selection = options["authenticator_selection"]
        options["authenticator_selection"] = replace(selection, user_verification=UserVerificationRequirement.REQUIRED)
        return options

    def get_allowed_origins(self) -> list[str]:
        return [origin(self.request)]

    def get_credential_name(self, user) -> str:
        return "パスキー"

    def get_credential_display_name(self, user) -> str:
        contract = getattr(user, "contract", None)
        return contract.name if contract is not None else user.get_username()
