from django.db import migrations

VIEW = [
    ("accounts", "view_contract"),
    ("accounts", "view_account"),
    ("accounts", "view_auditentry"),
    ("ibank_otp", "view_tokenbinding"),
    ("ibank_otp", "view_softwaretoken"),
    ("branch", "view_tokenresetrequest"),
]
ROLES = {
    # maker: enters requests and the one-person operations
    "窓口担当": [*VIEW, ("branch", "request_token_reset"), ("branch", "operate_contract")],
    # checker: approves (or rejects) what a 窓口担当 entered
    "役席": [*VIEW, ("branch", "approve_token_reset")],
}


def create_roles(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for label in ("accounts", "ibank_otp", "branch"):
        config = apps.get_app_config(label)
        if not getattr(config, "models_module", None):
            config.models_module = True  # a migration's app config stub: let create_permissions run
        create_permissions(config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, permissions in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        # A model that moved to another app since (the audit log: auditlog 0002 grants it there) is skipped.
        found = [Permission.objects.filter(content_type__app_label=a, codename=c).first() for a, c in permissions]
        group.permissions.set([p for p in found if p is not None])


class Migration(migrations.Migration):
    dependencies = [
        ("branch", "0001_initial"),
        ("accounts", "0007_contract_cancelled_at_contract_lost_reported_at"),
        ("ibank_otp", "0004_token_setup_lock"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
