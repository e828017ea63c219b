from django.db import migrations, models

from ibank.migration_operations import AddIndexConcurrentlyOnPostgreSQL


class Migration(migrations.Migration):
    atomic = False  # CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ("transfers", "0001_squashed"),
    ]

    operations = [
        # When the contract first paid a payee (payments.new_payees, at every 入力): one range, in order, instead
        # of every transfer of the contract filtered and sorted.
        AddIndexConcurrentlyOnPostgreSQL(
            model_name="transfer",
            index=models.Index(
                fields=["contract", "bank_code", "branch_code", "payee_kind", "payee_number", "executed_at"],
                name="transfer_payee_paid",
            ),
        ),
    ]
