import pytest
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY

from accounts.models import AuditEntry, Contract, StaffDevice
from otp.models import TokenBinding

STAFF_KEY = bytes(range(20))


@pytest.fixture
def staff(django_user_model):
    user = django_user_model.objects.create_user("clerk", password="clerk-pass-123", is_staff=True, is_superuser=True)
    user.device = StaffDevice(user=user, name="clerk", confirmed=True)
    user.device.set_key(STAFF_KEY)
    user.device.save()
    return user


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = staff.device.persistent_id
    session.save()
    return client


def test_admin_needs_the_staff_otp_too(client, staff):
    client.force_login(staff)  # password only, no OTP
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]


def test_admin_with_staff_otp_opens(staff_client):
    assert staff_client.get(reverse("admin:index")).status_code == 200


def test_unlock_login_and_lift_ib_suspension_are_audited(staff_client, contract):
    from ibank import clock

    Contract.objects.filter(pk=contract.pk).update(
        login_failures=5, login_locked_at=clock.now(), ib_suspended_at=clock.now()
    )
    url = reverse("admin:accounts_contract_changelist")
    for action in ["unlock_login", "lift_ib_suspension"]:
        staff_client.post(url, {"action": action, "_selected_action": [contract.pk]})
    contract.refresh_from_db()
    assert contract.login_locked_at is None and contract.login_failures == 0 and contract.ib_suspended_at is None
    entries = AuditEntry.objects.filter(contract=contract, action__in=["login.unlock", "ib.resume"])
    assert {e.actor for e in entries} == {"staff:clerk"} and entries.count() == 2


def test_unlock_otp_is_audited(staff_client, token_contract):
    from ibank import clock

    TokenBinding.objects.filter(pk=token_contract.binding.pk).update(failures=5, locked_at=clock.now())
    staff_client.post(
        reverse("admin:ibank_otp_tokenbinding_changelist"),
        {"action": "unlock_otp", "_selected_action": [token_contract.binding.pk]},
    )
    binding = TokenBinding.objects.get(pk=token_contract.binding.pk)
    assert binding.locked_at is None and binding.failures == 0
    assert AuditEntry.objects.filter(action="otp.unlock", contract=token_contract, actor="staff:clerk").exists()


def test_secrets_are_never_shown(staff_client, make_contract, make_token):
    card_contract = make_contract(method=Contract.Method.CARD)
    binding, key = make_token(card_contract)
    pages = [
        staff_client.get(reverse("admin:accounts_contract_change", args=[card_contract.pk])),
        staff_client.get(reverse("admin:ibank_otp_softwaretoken_change", args=[binding.software_token_id])),
        staff_client.get(reverse("admin:ibank_otp_tokenbinding_change", args=[binding.pk])),
    ]
    stored_card = Contract.objects.values_list("card_cells", flat=True).get(pk=card_contract.pk)
    for response in pages:
        html = response.content.decode()
        assert response.status_code == 200
        assert key.hex() not in html and binding.software_token.secret not in html and stored_card not in html
        assert "argon2" not in html


def test_audit_log_is_read_only_in_the_admin(staff_client, contract):
    entry = AuditEntry.objects.create(action="test", outcome="ok", actor="x")
    assert staff_client.get(reverse("admin:accounts_auditentry_changelist")).status_code == 200
    response = staff_client.post(reverse("admin:accounts_auditentry_delete", args=[entry.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_audit_log_is_append_only_in_code(db):
    from django.core.exceptions import PermissionDenied

    entry = AuditEntry.objects.create(action="test", outcome="ok", actor="x")
    with pytest.raises(PermissionDenied):
        entry.save()
    with pytest.raises(PermissionDenied):
        entry.delete()
    with pytest.raises(PermissionDenied):
        AuditEntry.objects.filter(pk=entry.pk).update(action="changed")
    with pytest.raises(PermissionDenied):
        AuditEntry.objects.all().delete()


def test_unlock_transactions_lifts_only_the_transaction_lock_and_is_audited(staff_client, contract):
    from django.utils import timezone

    now = timezone.now()
    Contract.objects.filter(pk=contract.pk).update(
        transaction_failures=5, transaction_locked_at=now, login_locked_at=now
    )
    staff_client.post(
        reverse("admin:accounts_contract_changelist"),
        {"action": "unlock_transactions", "_selected_action": [contract.pk]},
    )
    contract.refresh_from_db()
    assert not contract.is_transaction_locked and contract.transaction_failures == 0
    assert contract.is_login_locked  # another kind of lock stays
    assert AuditEntry.objects.filter(action="transaction.unlock", contract=contract, actor="staff:clerk").exists()


def test_unlock_token_setup_is_its_own_action_and_audited(staff_client, contract):
    from django.utils import timezone

    now = timezone.now()
    Contract.objects.filter(pk=contract.pk).update(
        token_setup_failures=5, token_setup_locked_at=now, transaction_locked_at=now
    )
    staff_client.post(
        reverse("admin:accounts_contract_changelist"),
        {"action": "unlock_token_setup", "_selected_action": [contract.pk]},
    )
    contract.refresh_from_db()
    assert contract.token_setup_locked_at is None and contract.token_setup_failures == 0
    assert contract.is_transaction_locked  # another kind of lock stays
    assert AuditEntry.objects.filter(action="register.unlock", contract=contract, actor="staff:clerk").exists()
