from pathlib import Path

from django.db import migrations

SQL = Path(__file__).resolve().parent.parent / "sql" / "transfer_execute.sql"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SQL.read_text(encoding="utf-8"), None)  # no parameters: "%" is literal


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "DROP FUNCTION IF EXISTS ibank_transfer_execute(bigint, bigint, text, timestamptz, date, timestamptz,"
            " bigint, bigint, text, bigint, bigint, text, inet, text)"
        )


class Migration(migrations.Migration):
    """transfers.services.transfer_execute's one-round-trip path on PostgreSQL (see bench/transfers.py)."""

    dependencies = [("transfers", "0002_opening_balances"), ("ibank_otp", "0003_binding_software_token")]

    operations = [migrations.RunPython(create, drop)]
