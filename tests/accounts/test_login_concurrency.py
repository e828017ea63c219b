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


def test_a_burst_from_a_clean_count_lets_no_right_password_in_after_the_lock(contract):
    """Ten guesses at once with no failure before them (each request reads a count of 0): nine wrong, one
    right. Five of the wrong ones are counted before or after the right one, so the burst always locks; the
    right one, checked while the wrong ones locked the contract, is refused: no login after the lock."""
    right = {5}

    def attempt(i):
        password = "Passw0rd" if i in right else "Wrong123"
        return Client().post("/login/", {"contract_id": contract.contract_id, "password": password}).status_code

    run_concurrently(attempt, 10)
    assert is_locked(contract, "login")
    # In the order the entries were written, not by their times: the lock's time is taken when its counting
    # statement starts, which may then wait for a right password's transaction (its reset of the count, its
    # login) to commit first. A right password accepted before the lock writes its login before the lock's
    # entry; one let in after the lock writes it after.
    lock_entry = AuditEntry.objects.get(action="login.lock", contract=contract)
    assert not AuditEntry.objects.filter(action="login", outcome="ok", contract=contract, pk__gt=lock_entry.pk).exists()


def test_a_burst_at_the_staff_login_never_lets_a_right_code_in_after_the_lock(db):
    """A phished clerk's password and a burst of codes (some wrong, the right one sent several times) one guess
    before the lock: at most one login, every wrong code counted or refused as locked, a repeated right code
    never counted as wrong, and a lock once set stays set (a late right code does not lift it)."""
    import base64

    import pyotp

    from accounts.models import StaffDevice, User
    from staff.services import STAFF_MAX_FAILURES

    clerk = User.objects.create_user("clerk", password="clerk-pass-123", is_staff=True, is_superuser=True)
    device = StaffDevice(user=clerk, name="clerk", confirmed=True)
    device.set_key(bytes(range(20)))
    device.save()
    User.objects.filter(pk=clerk.pk).update(staff_failures=STAFF_MAX_FAILURES - 1)
    right = pyotp.TOTP(base64.b32encode(bytes(range(20))).decode()).now()
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"

    def attempt(i):
        otp = right if i % 2 else wrong
        form = {"username": "clerk", "password": "clerk-pass-123", "otp_token": otp, "next": "/admin/"}
        return Client().post("/admin/login/", form).status_code

    results = run_concurrently(attempt, 10)
    assert set(results) <= {200, 302}, results
    entries = AuditEntry.objects.filter(action="admin.login")
    reasons = [e.reason for e in entries]
    assert len(reasons) == 10 and results.count(302) == reasons.count("") <= 1
    assert set(reasons) <= {"", "wrong_otp", "locked", "reused_otp"}
    assert reasons.count("wrong_otp") >= 1  # the first wrong code counted is the fifth failure: the lock
    lock = AuditEntry.objects.get(action="admin.lock")
    assert User.objects.get(pk=clerk.pk).staff_locked_until is not None  # nothing lifted it
    assert not entries.filter(outcome="ok", at__gt=lock.at).exists()
