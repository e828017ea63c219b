"""The branch's data migrations, run on rows as the previous schema left them."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from branch.models import TokenResetRequest

BEFORE, AFTER = ("branch", "0001_squashed"), ("branch", "0002_reset_request_token")


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
