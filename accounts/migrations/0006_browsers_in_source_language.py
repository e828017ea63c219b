"""A browser is recorded in the bank's source language (accounts.browsers): until now the two words of the record
that are translated were written in the language of the login's page. Records made on English pages are written
as every other; the pages translate them for their reader."""

from django.db import migrations
from django.db.models import Value
from django.db.models.functions import Replace

# What an English page recorded → the record (the message ids of accounts.browsers).
WORDS = [("Feature phone", "携帯電話"), ("Unknown browser", "不明なブラウザ")]


def _rewrite(apps, pairs):
    for name in ("KnownEnvironment", "LoginRecord"):
        model = apps.get_model("accounts", name)
        for old, new in pairs:
            model.objects.filter(browser__startswith=old).update(browser=Replace("browser", Value(old), Value(new)))


def forwards(apps, schema_editor):
    _rewrite(apps, WORDS)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0005_staff_enrollment_code")]

    # Backwards leaves the records as they are: each reads right in either version.
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
