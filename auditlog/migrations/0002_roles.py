from django.db import migrations

ROLES = ("窓口担当", "役席")


def grant(apps, schema_editor):
    """The branch roles read the audit log: its permission now belongs to this app."""
    from django.contrib.auth.management import create_permissions

    config = apps.get_app_config("auditlog")
    if not getattr(config, "models_module", None):
        config.models_module = True  # a migration's app config stub: let create_permissions run
    create_permissions(config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    view = Permission.objects.get(content_type__app_label="auditlog", codename="view_auditentry")
    for group in Group.objects.filter(name__in=ROLES):
        group.permissions.add(view)


class Migration(migrations.Migration):
    dependencies = [("auditlog", "0001_initial"), ("branch", "0002_roles"), ("accounts", "0016_audit_moved")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
