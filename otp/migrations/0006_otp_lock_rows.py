"""The OTP lock of a binding becomes an open Lock row of kind "otp" (issue 15); the field goes."""

from django.db import migrations


def forwards(apps, schema_editor):
    TokenBinding = apps.get_model("ibank_otp", "TokenBinding")
    Lock = apps.get_model("accounts", "Lock")
    Lock.objects.bulk_create(
        Lock(contract_id=binding.contract_id, kind="otp", reason="too_many_failures", set_at=binding.locked_at,
             set_by="migration")
        for binding in TokenBinding.objects.filter(locked_at__isnull=False)
    )


def backwards(apps, schema_editor):
    TokenBinding = apps.get_model("ibank_otp", "TokenBinding")
    Lock = apps.get_model("accounts", "Lock")
    for lock in Lock.objects.filter(kind="otp", lifted_at__isnull=True):
        TokenBinding.objects.filter(contract_id=lock.contract_id).update(locked_at=lock.set_at)


class Migration(migrations.Migration):
    dependencies = [
        ("ibank_otp", "0005_japanese_labels"),
        ("accounts", "0014_locks"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
        migrations.RemoveField(model_name="tokenbinding", name="locked_at"),
    ]
