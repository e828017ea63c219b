"""A token reset request names the token it is about (the one bound when it was made)."""

import django.db.models.deletion
from django.db import migrations, models


def name_the_pending_requests_token(apps, schema_editor):
    """A request still pending is about the token bound now (nothing could have changed it unnoticed before:
    the approval reset whatever was bound). Decided requests keep no token."""
    TokenResetRequest = apps.get_model("branch", "TokenResetRequest")
    TokenBinding = apps.get_model("ibank_otp", "TokenBinding")
    for request in TokenResetRequest.objects.filter(status="pending"):
        binding = TokenBinding.objects.filter(contract_id=request.contract_id).first()
        if binding is not None:
            TokenResetRequest.objects.filter(pk=request.pk).update(token_id=binding.software_token_id)


class Migration(migrations.Migration):
    dependencies = [
        ("branch", "0001_squashed"),
        ("ibank_otp", "0001_squashed"),
    ]

    operations = [
        migrations.AddField(
            model_name="tokenresetrequest",
            name="token",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="ibank_otp.softwaretoken",
                verbose_name="トークンID",
            ),
        ),
        migrations.RunPython(name_the_pending_requests_token, migrations.RunPython.noop),
    ]
