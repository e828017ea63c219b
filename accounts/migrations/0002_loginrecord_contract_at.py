from django.db import migrations, models

from ibank.migration_operations import AddIndexConcurrentlyOnPostgreSQL


class Migration(migrations.Migration):
    atomic = False  # CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ("accounts", "0001_squashed"),
    ]

    operations = [
        # A contract's logins newest first (前回ログイン日時 at every login, the login history): one range, in
        # order, instead of all the contract's logins sorted.
        AddIndexConcurrentlyOnPostgreSQL(
            model_name="loginrecord",
            index=models.Index(fields=["contract", "-at", "-id"], name="loginrecord_contract_at"),
        ),
    ]
