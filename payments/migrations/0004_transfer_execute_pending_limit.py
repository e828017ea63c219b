from django.db import migrations


class Migration(migrations.Migration):
    """Replaced ibank_transfer_execute (see 0003); nothing to do since the one engine replaced it (0006)."""

    dependencies = [("transfers", "0003_transfer_execute_function"), ("accounts", "0010_pending_limit")]

    operations = []
