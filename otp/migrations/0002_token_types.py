from django.db import migrations


def create_types(apps, schema_editor):
    TokenType = apps.get_model("ibank_otp", "TokenType")
    TokenType.objects.get_or_create(kind="mobile", defaults={"prefix": "SMBL"})  # otp.models.PREFIXES
    TokenType.objects.get_or_create(kind="desktop", defaults={"prefix": "SDSK"})


class Migration(migrations.Migration):
    dependencies = [("ibank_otp", "0001_initial")]

    operations = [migrations.RunPython(create_types, migrations.RunPython.noop)]
