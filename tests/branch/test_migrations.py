"""The branch's data migrations, run on rows as the previous schema left them."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from branch.models import TokenResetRequest

BEFORE, AFTER = ("branch", "0001_squashed"), ("branch", "0002_reset_request_token")
LATEST = ("branch", "0004_roles_read_transfers")


@pytest.mark.django_db(transaction=True)
def test_a_pending_request_is_about_the_token_bound_when_the_migration_runs(token_contract, maker, checker):
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    old = executor.loader.project_state([BEFORE]).apps.get_model("branch", "TokenResetRequest")
    common = {"contract_id": token_contract.pk, "reason": "故障", "requested_by_id": maker.pk}
    pending = old.objects.create(**common, reference="R-1", status="pending")
    decided = old.objects.create(**common, reference="R-0", status="rejected", approved_by_id=checker.pk)
    executor = MigrationExecutor(connection)  # the graph as it is on disk again
    executor.migrate([AFTER])
    assert TokenResetRequest.objects.get(pk=pending.pk).token_id == token_contract.binding.software_token_id
    assert TokenResetRequest.objects.get(pk=decided.pk).token_id is None  # history is not rewritten
    MigrationExecutor(connection).migrate([LATEST])  # the next test's database as the code expects it


@pytest.mark.django_db(transaction=True)
def test_the_roles_made_earlier_are_granted_the_notices_and_payments(maker):
    """A bank that ran 0001 has its roles already: 0003 adds to them (and only to them), and undoes it."""
    from django.contrib.auth.models import Group, Permission

    granted = {("notices", "view_notice"), ("transfers", "view_payment")}

    def held(name):
        perms = Group.objects.get(name=name).permissions.values_list("content_type__app_label", "codename")
        return granted & set(perms)

    MigrationExecutor(connection).migrate([AFTER])
    for group in Group.objects.filter(name__in=["窓口担当", "役席"]):  # as 0001 made them
        group.permissions.remove(*Permission.objects.filter(codename__in=[c for _, c in granted]))
    other = Group.objects.create(name="本部")
    MigrationExecutor(connection).migrate([LATEST])
    assert held("窓口担当") == held("役席") == granted and held("本部") == set()
    MigrationExecutor(connection).migrate([AFTER])
    assert held("窓口担当") == held("役席") == set()
    MigrationExecutor(connection).migrate([LATEST])
    other.delete()


@pytest.mark.django_db(transaction=True)
def test_the_roles_made_earlier_read_the_transfers(maker):
    from django.contrib.auth.models import Group

    def held(name):
        return Group.objects.get(name=name).permissions.filter(codename="view_transfer").exists()

    MigrationExecutor(connection).migrate([("branch", "0003_roles_read_notices_and_payments")])
    assert not held("窓口担当") and not held("役席")
    MigrationExecutor(connection).migrate([LATEST])
    assert held("窓口担当") and held("役席")
