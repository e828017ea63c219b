from django.db import migrations



def replace(apps, schema_editor):
    module = __import__("transfers.migrations.0003_transfer_execute_function", fromlist=["create"])
    module.create(apps, schema_editor)


class Migration(migrations.Migration):
    """The function now honours a pending limit change (CREATE OR REPLACE from the same SQL file)."""

    dependencies = [("transfers", "0003_transfer_execute_function"), ("accounts", "0010_pending_limit")]

    operations = [migrations.RunPython(replace, migrations.RunPython.noop)]
