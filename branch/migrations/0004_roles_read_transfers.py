"""Both branch roles read the 振込 (a customer on the phone reads out a 受付番号: did it go through?), as they
read the Pay-easy payments (0003). Until now no page showed a transfer to staff."""

import importlib

from django.db import migrations

_0003 = importlib.import_module("branch.migrations.0003_roles_read_notices_and_payments")
GRANTED = [("transfers", "view_transfer")]


def grant(apps, schema_editor):
    _0003.grant_to_roles(apps, GRANTED)


def revoke(apps, schema_editor):
    _0003.revoke_from_roles(apps, GRANTED)


class Migration(migrations.Migration):
    dependencies = [("branch", "0003_roles_read_notices_and_payments")]

    operations = [migrations.RunPython(grant, revoke)]
