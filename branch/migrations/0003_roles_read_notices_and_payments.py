"""Both branch roles read the notices (SPEC §8: undeliverable notices are listed for staff, who resend them)
and the Pay-easy payments (a customer asks whether a bill went through). Until now only a superuser could."""

from django.db import migrations

GRANTED = [("notices", "view_notice"), ("transfers", "view_payment")]
ROLES = ["窓口担当", "役席"]


def grant_to_roles(apps, granted) -> None:
    """``granted`` ((app label, codename), …) to both roles, the permissions made first if need be."""
    from django.contrib.auth.management import create_permissions

    for label in {app_label for app_label, _codename in granted}:
        config = apps.get_app_config(label)
        if not getattr(config, "models_module", None):
            config.models_module = True  # a migration's app config stub: let create_permissions run
        create_permissions(config, apps=apps, verbosity=0)
    Group, Permission = apps.get_model("auth", "Group"), apps.get_model("auth", "Permission")
    permissions = [Permission.objects.get(content_type__app_label=a, codename=c) for a, c in granted]
    for group in Group.objects.filter(name__in=ROLES):
        group.permissions.add(*permissions)


def revoke_from_roles(apps, granted) -> None:
    Group, Permission = apps.get_model("auth", "Group"), apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name__in=ROLES):
        for app_label, codename in granted:
            group.permissions.remove(*Permission.objects.filter(content_type__app_label=app_label, codename=codename))


def grant(apps, schema_editor):
    grant_to_roles(apps, GRANTED)


def revoke(apps, schema_editor):
    revoke_from_roles(apps, GRANTED)


class Migration(migrations.Migration):
    dependencies = [
        ("branch", "0002_reset_request_token"),
        ("notices", "0001_squashed"),
        ("transfers", "0004_foreign_keys_served"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
