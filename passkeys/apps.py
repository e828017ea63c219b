from django.apps import AppConfig


class PasskeysConfig(AppConfig):
    """Passkeys (WebAuthn) on django-otp-webauthn: registration, the transaction method bound to what it
    authorizes, and their part of the menu."""

    name = "passkeys"
    verbose_name = "パスキー"

    def ready(self):
        from accounts import authorization
        from accounts.login import register_second_factor

        from .authorization import METHOD
        from .login import SECOND_FACTOR

        authorization.register(METHOD, first=True)  # a passkey, when the contract has one, comes first
        register_second_factor(SECOND_FACTOR)  # after the OTP's (INSTALLED_APPS order): offered on its page
