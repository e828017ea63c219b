from django.db import models

from ibank.migration_operations import IndexMigration, indexes


class Migration(IndexMigration):
    dependencies = [("accounts", "0001_squashed")]

    # A contract's logins newest first (前回ログイン日時 at every login, the login history): one range, in order,
    # instead of all the contract's logins sorted.
    operations = indexes("loginrecord", models.Index(fields=["contract", "-at", "-id"], name="loginrecord_contract_at"))
