import pytest
from django.test import Client

from accounts.models import Contract
from auditlog.models import AuditEntry
from tests.concurrency import run_concurrently
from tests.helpers import is_locked, locked_at

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_wrong_passwords_lose_no_count_and_lock_once(contract):
    def attempt(_):
        return Client().post("/login/", {"contract_id": contract.contract_id, "password": "Wrong123"}).status_code

    results = run_concurrently(attempt, 12)
    assert results == [200] * 12
    contract.refresh_from_db()
    counted = AuditEntry.objects.filter(action="login.password", reason="wrong_password", contract=contract).count()
    refused = AuditEntry.objects.filter(action="login.password", reason="locked", contract=contract).count()
    assert contract.login_failures == counted  # every counted failure is in the database: no lost update
    assert counted + refused == 12  # every attempt was either counted or refused as locked
    assert counted >= 5
    assert is_locked(contract, "login")
    assert AuditEntry.objects.filter(action="login.lock", contract=contract).count() == 1


def test_no_login_succeeds_after_the_lock(contract):
    Contract.objects.filter(pk=contract.pk).update(login_failures=4)

    def attempt(i):
        password = "Passw0rd" if i % 2 else "Wrong123"
        return Client().post("/login/", {"contract_id": contract.contract_id, "password": password}).status_code

    for _ in range(3):
        run_concurrently(attempt, 8)
        contract.refresh_from_db()
        if is_locked(contract, "login"):
            break
        Contract.objects.filter(pk=contract.pk).update(login_failures=4)
    # a success may reset the count first (then no lock); a lock, once set, lets nobody in after it
    if is_locked(contract, "login"):
        ok_after = AuditEntry.objects.filter(
            action="login", outcome="ok", contract=contract, at__gt=locked_at(contract, "login")
        )
        assert not ok_after.exists()
