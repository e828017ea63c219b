"""ibank_post runs the statements Python composes for the guards, the link and the audit entry, each prepared
once a connection (ibank_run); the entry is written first, so that a claim points its row to it."""

import importlib

from django.db import migrations

_initial = importlib.import_module("ledger.migrations.0001_squashed")


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_squashed")]

    operations = [migrations.RunPython(_initial.create_post_function, migrations.RunPython.noop)]
