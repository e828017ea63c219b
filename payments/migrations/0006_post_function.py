from pathlib import Path

from django.db import migrations

SQL = Path(__file__).resolve().parents[2] / "ledger" / "sql" / "post.sql"  # the one engine: ledger.books.post
OLD = (
    "DROP FUNCTION IF EXISTS ibank_transfer_execute(bigint, bigint, text, timestamptz, date, timestamptz,"
    " bigint, bigint, text, bigint, bigint, text, inet, text)"
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(OLD)
        schema_editor.execute(SQL.read_text(encoding="utf-8"), None)  # no parameters: "%" is literal


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS ibank_post(jsonb)")


class Migration(migrations.Migration):
    """One money engine (issue 15): ledger.post's one round trip on PostgreSQL (CREATE OR REPLACE from
    sql/post.sql; a later change of the file comes with a migration that runs this again)."""

    dependencies = [("transfers", "0005_payeasy"), ("accounts", "0014_locks")]

    operations = [migrations.RunPython(create, drop)]
