from django.db import migrations


class Migration(migrations.Migration):
    """Created ibank_transfer_execute, the second money engine, on PostgreSQL. It is gone (0006: one engine,
    ibank_post); a database that ran this step before has its function dropped there."""

    dependencies = [("transfers", "0002_opening_balances"), ("ibank_otp", "0003_binding_software_token")]

    operations = []
