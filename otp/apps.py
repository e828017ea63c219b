from django.apps import AppConfig


class OtpConfig(AppConfig):
    name = "otp"
    label = "ibank_otp"  # "otp" would clash with django_otp's template namespace and label conventions
    verbose_name = "ソフトウェアトークン"

    def ready(self):
        from . import authorization

        authorization.register()
