from django.db import migrations


class Migration(migrations.Migration):
    """One name for one thing: ``token_id`` is the printed token ID (SMBL…), so the
    binding's foreign key to the token is ``software_token`` (column ``software_token_id``)."""

    dependencies = [("ibank_otp", "0002_token_types")]

    operations = [migrations.RenameField("tokenbinding", "token", "software_token")]
