"""ログインパスワードの再設定 (a forgotten password, on a written request): a 窓口担当 issues a temporary password,
shown once for the letter; the customer logs in with it and may do nothing but set their own."""

import re

from django.test import Client
from django.urls import reverse

from accounts.models import Contract, Lock, User
from auditlog.models import AuditEntry
from notices.models import Notice
from tests.conftest import PASSWORD, TRANSFER_PASSWORD
from tests.helpers import as_staff, is_locked, login, post_login, set_lock

OPERATE = "admin:branch-operate"


def _reset(client, contract, **form):
    data = {"operation": "reset_login_password", "reason": "パスワード失念", "reference": "F-2027-001", **form}
    return client.post(reverse(OPERATE, args=[contract.pk]), data)


def _temporary(response) -> str:
    return re.search(r'class="temporary-password">([a-z0-9]+)<', response.content.decode())[1]


def test_a_clerk_issues_a_temporary_password_shown_once(client, maker, contract, django_capture_on_commit_callbacks):
    customer = Client()
    login(customer, contract)
    set_lock(contract, Lock.Kind.LOGIN)  # a customer who forgot it has often locked the login too
    as_staff(client, maker)
    with django_capture_on_commit_callbacks(execute=True):
        response = _reset(client, contract)
    assert response.status_code == 200
    temporary = _temporary(response)
    assert len(temporary) == 10 and re.search("[a-z]", temporary) and re.search("[0-9]", temporary)
    assert "no-cache" in response["Cache-Control"]
    # Shown on this response only: not in the session, a message, the log or the notice.
    assert temporary not in str(dict(client.session)) and "messages" not in response.cookies
    entry = AuditEntry.objects.get(action="password.reset")
    assert entry.actor == f"staff:{maker.username}" and entry.detail["reference"] == "F-2027-001"
    assert temporary not in str(entry.detail)
    notice = Notice.objects.get(contract=contract, event="password_reset")
    assert "郵送でお送りします" in notice.body and temporary not in notice.body
    # The old password is gone, the customer's session ended, the login's lock lifted with the old password.
    assert customer.get(reverse("accounts-menu"))["Location"].startswith(reverse("accounts-login"))
    assert not is_locked(contract, Lock.Kind.LOGIN)
    assert post_login(Client(), contract, PASSWORD).status_code == 200
    assert is_locked(contract, Lock.Kind.TEMPORARY_PASSWORD) and is_locked(contract, Lock.Kind.CHANGE_HOLD)
    contract.refresh_from_db()
    assert contract.login_failures == 1  # the old password just tried counts as any wrong one
    assert User.objects.get(pk=contract.user_id).check_password(temporary)


def test_a_reset_starts_the_count_of_wrong_passwords_again(client, maker, contract):
    """Four wrong passwords, not yet locked, then the reset: the count guarded the old password, so one typo of
    the temporary password is the first of five again, not the fifth."""
    Contract.objects.filter(pk=contract.pk).update(login_failures=4)
    as_staff(client, maker)
    _temporary(_reset(client, contract))
    assert post_login(Client(), contract, "Wrong12345").status_code == 200
    contract.refresh_from_db()
    assert contract.login_failures == 1 and not is_locked(contract, Lock.Kind.LOGIN)


def test_with_the_temporary_password_only_its_change_is_open(client, maker, make_contract):
    """Logged in with it, the menu says why; a transfer is refused; the change lifts the lock."""
    contract = make_contract()
    as_staff(client, maker)
    temporary = _temporary(_reset(client, contract))
    customer = Client()
    login(customer, contract, temporary)
    menu = customer.get(reverse("accounts-menu")).content.decode()
    assert "ログインパスワードが仮パスワードのため" in menu
    transfer = customer.get(reverse("transfers-new")).content.decode()
    assert "ログインパスワードが仮パスワードのため" in transfer and 'name="amount"' not in transfer
    response = customer.post(
        reverse("accounts-password"),
        {
            "current_password": temporary,
            "new_password": "Sakura2027",
            "new_password_again": "Sakura2027",
            "transfer_password": TRANSFER_PASSWORD,
        },
    )
    assert response["Location"] == reverse("accounts-menu")
    assert not is_locked(contract, Lock.Kind.TEMPORARY_PASSWORD)
    lifted = Lock.objects.get(contract=contract, kind=Lock.Kind.TEMPORARY_PASSWORD)
    assert lifted.lifted_by == f"customer:{contract.contract_id}"
    assert 'name="amount"' in customer.get(reverse("transfers-new")).content.decode()


def test_the_written_forms_number_and_a_reason_are_required(client, maker, contract):
    as_staff(client, maker)
    before = User.objects.get(pk=contract.user_id).password
    response = _reset(client, contract, reference="")
    assert response.status_code == 200 and "届出書番号を入力してください。" in response.content.decode()
    assert 'class="temporary-password"' not in response.content.decode()
    assert User.objects.get(pk=contract.user_id).password == before
    assert not AuditEntry.objects.filter(action="password.reset").exists()


def test_a_checker_cannot_reset(client, checker, contract):
    as_staff(client, checker)
    before = User.objects.get(pk=contract.user_id).password
    response = _reset(client, contract)
    assert "この操作を行う権限がありません。" in response.content.decode()
    assert User.objects.get(pk=contract.user_id).password == before


def test_on_the_phone_it_is_changed_there_too(client, maker, contract):
    """A customer with a feature phone only is not left at a dead end: /m/'s menu says why transactions wait
    and leads to its own ログインパスワード変更, authorized by the 資金移動用パスワード."""
    from tests.mobile.test_mobile import MENU, mobile_login

    as_staff(client, maker)
    temporary = _temporary(_reset(client, contract))
    phone = Client()
    assert mobile_login(phone, contract, temporary)["Location"] == MENU
    menu = phone.get(MENU).content.decode()
    assert "メニューの「ログインパスワード変更」から" in menu and reverse("mobile-password") in menu
    page = phone.get(reverse("mobile-password"))
    assert page.status_code == 200 and len(page.content) < 5_000 and "<script" not in page.content.decode()
    data = {"current_password": temporary, "new_password": "Sakura2027", "new_password_again": "Sakura2027"}
    response = phone.post(reverse("mobile-password"), {**data, "transfer_password": TRANSFER_PASSWORD})
    assert response["Location"] == MENU
    menu = phone.get(MENU).content.decode()
    assert "ログインパスワードを変更しました。" in menu and reverse("mobile-transfer") in menu
    assert not is_locked(contract, Lock.Kind.TEMPORARY_PASSWORD)
    assert post_login(Client(), contract, "Sakura2027")["Location"] == reverse("accounts-menu")
