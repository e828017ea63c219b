"""The admin's staff records: accounts added and their rights changed (audited), a lost phone's device removed
(audited, one by one or as a selection), and accounts kept for the record (deactivated, never deleted)."""

from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.models import StaffDevice, User
from auditlog.models import AuditEntry


def _device_of(username: str) -> StaffDevice:
    user = User.objects.create_user(username, password="staff-pass-123", is_staff=True)
    device = StaffDevice(user=user, name=username, confirmed=True)
    device.set_key(bytes(20))
    device.save()
    return device


def _removals() -> list[tuple[str, str]]:
    entries = AuditEntry.objects.filter(action="staff.device_delete").order_by("pk")
    return [(entry.actor, entry.detail["owner"]) for entry in entries]


def test_removing_a_lost_phones_device_is_audited(client, admin_superuser):
    device = _device_of("lost")
    response = client.post(reverse("admin:accounts_staffdevice_delete", args=[device.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not StaffDevice.objects.filter(pk=device.pk).exists()
    assert _removals() == [("staff:chief", "lost")]


def test_removing_devices_as_a_selection_audits_each(client, admin_superuser):
    devices = [_device_of("lost1"), _device_of("lost2")]
    response = client.post(
        reverse("admin:accounts_staffdevice_changelist"),
        {"action": "delete_selected", "_selected_action": [d.pk for d in devices], "post": "yes"},
    )
    assert response.status_code == 302
    assert not StaffDevice.objects.filter(pk__in=[d.pk for d in devices]).exists()
    assert sorted(_removals()) == [("staff:chief", "lost1"), ("staff:chief", "lost2")]


def test_a_staff_account_is_deactivated_not_deleted(client, admin_superuser):
    """The audit log names staff by their username: an account deleted (and its name given to someone else
    later) would blur who did what. A leaver's account is deactivated (有効 unticked) and stays."""
    from tests.helpers import refuses_deletion

    leaver = _device_of("leaver").user
    refuses_deletion(client, "accounts_user", leaver)
    assert StaffDevice.objects.filter(user=leaver).exists()


def _roles_made():
    from tests.branch.conftest import _roles

    _roles()
    return {group.name: group.pk for group in Group.objects.all()}


def _entries(action: str) -> list[dict]:
    return [entry.detail for entry in AuditEntry.objects.filter(action=action).order_by("pk")]


def test_adding_a_staff_account_and_giving_it_a_role_are_audited(client, admin_superuser):
    """Who was given which rights, by whom and when is the bank's record (the tamper-evident audit log), not
    only the admin's own history; never a password."""
    roles = _roles_made()
    secret = "New-clerk-pass-123"
    form = {"username": "newclerk", "password1": secret, "password2": secret, "usable_password": "true", "_save": "1"}
    response = client.post(reverse("admin:accounts_user_add"), form)
    assert response.status_code == 302, response.context["adminform"].form.errors
    newclerk = User.objects.get(username="newclerk")
    [added] = _entries("staff.account_add")
    assert (added["username"], added["staff"], added["superuser"], added["roles"]) == ("newclerk", False, False, [])
    change = reverse("admin:accounts_user_change", args=[newclerk.pk])
    data = {"username": "newclerk", "is_active": "on", "is_staff": "on", "groups": [roles["役席"]], "_save": "1"}
    assert client.post(change, data).status_code == 302
    [changed] = _entries("staff.account_change")
    assert (changed["username"], changed["staff"], changed["active"], changed["roles"]) == (
        "newclerk",
        True,
        True,
        ["役席"],
    )
    assert changed["changes"] and AuditEntry.objects.get(action="staff.account_change").actor == "staff:chief"
    password = reverse("admin:auth_user_password_change", args=[newclerk.pk])
    assert client.post(password, {"password1": "Other-pass-456", "password2": "Other-pass-456"}).status_code == 302
    assert len(_entries("staff.account_change")) == 2
    logged = str(list(AuditEntry.objects.filter(action__startswith="staff.account").values_list("detail", flat=True)))
    assert "New-clerk-pass-123" not in logged and "Other-pass-456" not in logged and "argon2" not in logged


def test_a_staff_device_is_shown_never_edited(client, admin_superuser):
    """Its owner enrolled it: the admin removes a lost phone's device, and never offers to change one."""
    device = _device_of("owner")
    page = client.get(reverse("admin:accounts_staffdevice_change", args=[device.pk])).content.decode()
    assert "owner" in page and 'name="_save"' not in page
    sent = client.post(reverse("admin:accounts_staffdevice_change", args=[device.pk]), {"_save": "1"})
    assert sent.status_code == 403


def test_only_a_superuser_changes_staff_accounts_even_with_the_permission_granted(client, db):
    """Rights are a superuser's to give: a clerk handed Django's 「change user」 permission one by one (never
    the house's way) still cannot make anyone, themselves included, a superuser."""
    from django.contrib.auth.models import Permission

    from tests.helpers import as_staff

    clerk = User.objects.create_user("clerk", password="clerk-pass-123", is_staff=True)
    clerk.user_permissions.add(*Permission.objects.filter(codename__in=["view_user", "change_user"]))
    as_staff(client, User.objects.get(pk=clerk.pk))
    change = reverse("admin:accounts_user_change", args=[clerk.pk])
    data = {"username": "clerk", "is_active": "on", "is_staff": "on", "is_superuser": "on", "_save": "1"}
    assert client.post(change, data).status_code == 403
    assert not User.objects.get(pk=clerk.pk).is_superuser
    assert not AuditEntry.objects.filter(action="staff.account_change").exists()
