from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "お客様・口座"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_save

        from . import holds
        from .models import Contract

        # Logins write last_login themselves, with the session nonce, in one UPDATE.
        user_logged_in.disconnect(dispatch_uid="update_last_login")
        # Internet banking starts when its contract is made, whichever way (the core system's import, the
        # shell, demo data): the start hold (accounts.holds) is set then, from its created_at.
        post_save.connect(holds.at_start, sender=Contract, dispatch_uid="ibank_start_hold")
