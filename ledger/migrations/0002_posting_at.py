from pathlib import Path

from django.db import migrations, models

SQL = Path(__file__).resolve().parents[1] / "sql" / "post.sql"  # ibank_post now writes the line's time too

BACKFILL = (
    "UPDATE transfers_posting SET at = "
    "(SELECT e.at FROM transfers_journalentry e WHERE e.id = transfers_posting.entry_id)"
)


def replace_post_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SQL.read_text(encoding="utf-8"), None)  # no parameters: "%" is literal


class Migration(migrations.Migration):
    """Each posting keeps its entry's time (issue 19): 入出金明細 reads an account's lines of a period by the
    ``(account, -at, -id)`` index, flat in the account's size. Existing lines get their entry's time."""

    dependencies = [("ledger", "0001_initial"), ("transfers", "0010_name_lookup")]

    operations = [
        migrations.AddField(
            model_name="posting",
            name="at",
            field=models.DateTimeField(editable=False, null=True, verbose_name="日時"),
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
        migrations.AlterField(
            model_name="posting",
            name="at",
            field=models.DateTimeField(editable=False, verbose_name="日時"),
        ),
        migrations.RemoveIndex(model_name="posting", name="posting_account_newest"),
        migrations.AddIndex(
            model_name="posting",
            index=models.Index(fields=["account", "-at", "-id"], name="posting_account_at"),
        ),
        migrations.RunPython(replace_post_function, migrations.RunPython.noop),
    ]
