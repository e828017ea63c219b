import pytest
from django.contrib.auth.models import Group

from accounts.models import User


def _roles():
    """The roles the migration made (a flushed database after a transactional test has lost them)."""
    from django.apps import apps

    if Group.objects.filter(name__in=["窓口担当", "役席"]).count() < 2:
        __import__("branch.migrations.0001_squashed", fromlist=["create_roles"]).create_roles(apps, None)


def _staff(username, role):
    _roles()
    user = User.objects.create_user(username, password=f"{username}-pass-123", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return User.objects.get(pk=user.pk)  # fresh permission cache


@pytest.fixture
def maker(db):
    return _staff("madoguchi", "窓口担当")


@pytest.fixture
def maker2(db):
    return _staff("madoguchi2", "窓口担当")


@pytest.fixture
def checker(db):
    return _staff("yakuseki", "役席")


@pytest.fixture
def checker2(db):
    return _staff("yakuseki2", "役席")
