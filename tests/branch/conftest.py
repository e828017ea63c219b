import pytest
from django.contrib.auth.models import Group

from accounts.models import User


def _roles():
    """The roles the migration made (a flushed database after a transactional test has lost them)."""
    from django.apps import apps

    if Group.objects.filter(name__in=["窓口担当", "役席"]).count() < 2:
        __import__("branch.migrations.0001_squashed", fromlist=["create_roles"]).create_roles(apps, None)
        __import__("branch.migrations.0003_roles_read_notices_and_payments", fromlist=["grant"]).grant(apps, None)
        __import__("branch.migrations.0004_roles_read_transfers", fromlist=["grant"]).grant(apps, None)


def _staff(username, role):
    _roles()
    user = User.objects.create_user(username, password=f"{username}-pass-123", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return User.objects.get(pk=user.pk)  # fresh permission cache


def _staff_fixture(username, role):
    """A fixture: the staff member ``username`` in the group ``role``."""

    @pytest.fixture
    def staff(db):
        return _staff(username, role)

    return staff


maker = _staff_fixture("madoguchi", "窓口担当")
maker2 = _staff_fixture("madoguchi2", "窓口担当")
checker = _staff_fixture("yakuseki", "役席")
checker2 = _staff_fixture("yakuseki2", "役席")
