"""What a clerk types into a branch operation is held to the length its record keeps (the lock's 理由 and
届出書番号, a new e-mail address): a longer one is named beside its field and nothing is done, never left for
the database to refuse (PostgreSQL: a server error)."""

import pytest
from django.urls import reverse

from accounts.models import Contract, Lock
from auditlog.models import AuditEntry
from tests.helpers import as_staff

OPERATE = "admin:branch-operate"
SENT = {"reason": "紛失届", "reference": "F-2027-001"}


@pytest.mark.parametrize(
    ("operation", "field", "typed"),
    [
        ("report_lost", "reason", "理" * 201),
        ("report_lost", "reference", "F" * 41),
        ("change_email", "value", "a" * 244 + "@example.jp"),
    ],
)
def test_a_value_longer_than_its_record_keeps_is_named_and_nothing_is_done(
    client, maker, token_contract, operation, field, typed
):
    as_staff(client, maker)
    data = {**SENT, "operation": operation, "value": "new@example.jp", field: typed}
    response = client.post(reverse(OPERATE, args=[token_contract.pk]), data)
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert not Lock.objects.filter(contract=token_contract, kind=Lock.Kind.LOST).exists()
    assert Contract.objects.get(pk=token_contract.pk).email == token_contract.email
    assert not AuditEntry.objects.filter(actor="staff:madoguchi", outcome="ok").exists()


@pytest.mark.parametrize("operation", ["report_lost", "change_email"])
def test_the_longest_values_are_taken(client, maker, token_contract, operation):
    as_staff(client, maker)
    data = {"operation": operation, "reason": "理" * 200, "reference": "F" * 40, "value": "a" * 243 + "@example.jp"}
    response = client.post(reverse(OPERATE, args=[token_contract.pk]), data)
    assert response.status_code == 302, response.context["form"].errors
