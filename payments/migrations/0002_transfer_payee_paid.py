from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class AddIndexConcurrentlyOnPostgreSQL(AddIndexConcurrently):
    """CREATE INDEX CONCURRENTLY on PostgreSQL, so that a bank's transfers table takes no write lock while it is
    built; an ordinary CREATE INDEX elsewhere (SQLite)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        return migrations.AddIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        return migrations.AddIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)


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
