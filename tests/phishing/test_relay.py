"""The real-time phishing relay (issue 17), as an attacker runs it: the customer's password and each code are
relayed to a fresh browser at once; the kit's target is a payee the customer never paid, at another bank."""

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from accounts import holds
from accounts.models import Account, Contract, Lock
from auditlog.models import AuditEntry
from notices.models import Notice
from otp import totp
from payments.models import Transfer
from tests.conftest import PASSWORD
from tests.helpers import is_locked, known_environment, paid_before, post_login
from tests.payments.helpers import other_bank_data, same_bank_data, send

pytestmark = pytest.mark.real_worker


@pytest.fixture(autouse=True)
def _keep_the_test_connection(monkeypatch):
    """db_worker recycles its connection between tasks; here it shares the test's transaction."""
    monkeypatch.setattr("django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None)


def run_worker():
    call_command("db_worker", batch=True, interval=0, startup_delay=False, verbosity=0)


def _login_with_code(client, contract, fake_clock):
    """ID + password, then the token's current code (what the kit relays as the customer types it)."""
    assert post_login(client, contract)["Location"] == reverse("accounts-login-otp")
    code = totp.totp(contract.key, fake_clock.epoch())
    response = client.post(reverse("accounts-login-otp"), {"otp": code})
    assert response["Location"] == reverse("accounts-menu")


def test_a_relayed_login_moves_nothing_to_a_new_payee_and_the_customer_is_told(
    token_contract, stranger, fake_clock, smtp_settings, start_smtp
):
    customer = token_contract
    Account.objects.filter(pk=customer.account.pk).update(balance=600_000)
    paid_before(customer, stranger)  # the customer's own payee, paid two months ago
    inbox = start_smtp()

    attacker = Client(HTTP_USER_AGENT="Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/126.0 Safari/537.36")
    _login_with_code(attacker, customer, fake_clock)
    assert is_locked(customer, Lock.Kind.ENVIRONMENT_HOLD)

    # The kit's payee at another bank: refused at 入力, with why, until when and whom to call.
    response = attacker.post(reverse("transfers-new"), other_bank_data(customer, amount=500_000))
    assert response.status_code == 200
    error = response.context["form"].errors["payee_number"][0]
    assert "新しいご利用環境（ブラウザ）からのログイン" in error and "はじめてのお振込先" in error
    assert "0120-000-000" in error
    assert not Transfer.objects.filter(contract=customer, amount__gt=1).exists()  # not even a draft
    assert Account.objects.get(pk=customer.account.pk).balance == 600_000
    assert AuditEntry.objects.filter(action="transfer.input", contract=customer, reason="held").count() == 1

    # The customer is told of the login at once (the worker delivers it through the real relay).
    run_worker()
    notice = Notice.objects.get(contract_id=customer.pk, event="login")
    assert notice.status == Notice.Status.SENT
    body = inbox.messages[0]
    assert "ログインのお知らせ" in notice.subject and customer.email in body
    assert "はじめてのご利用環境（新しい環境）" in notice.body
    assert "Chrome（Windows）" in notice.body and "（日本時間）" in notice.body
    assert "お心当たりがない場合" in notice.body and "メニューの「IB取引中止」から中止する" in notice.body
    # No link to follow (a phishing mail's way): the customer goes by their own bookmark, and is told so.
    assert "://" not in notice.body and reverse("accounts-suspend") not in notice.body
    assert "ログイン画面などへのリンクをご案内することはありません" in notice.body

    # The customer, in their own browser, still pays the payee they paid before (with their code).
    own = Client()
    known_environment(own, customer)
    fake_clock.advance(31)  # the next code
    _login_with_code(own, customer, fake_clock)
    fake_clock.advance(31)
    code = totp.totp(customer.key, fake_clock.epoch())
    _response, transfer = send(own, same_bank_data(customer, stranger, amount=3_000), otp=code)
    assert transfer.status == Transfer.Status.DONE


def test_pay_easy_is_refused_to_a_relayed_login(client, contract, billers):
    post_login(client, contract)  # a new browser: no device cookie
    response = client.get(reverse("payeasy-new"))
    assert "収納サービス（Pay-easy）をご利用いただけません" in response.content.decode()
    assert "収納機関番号" not in response.content.decode()


def test_a_known_browser_is_not_held_and_its_login_is_told_unless_turned_off(client, contract):
    known_environment(client, contract)
    post_login(client, contract)
    assert not is_locked(contract, Lock.Kind.ENVIRONMENT_HOLD)
    notice = Notice.objects.get(contract_id=contract.pk, event="login")
    assert "ご利用いただいたことのある環境" in notice.body
    Contract.objects.filter(pk=contract.pk).update(notify_known_logins=False)
    client.post(reverse("accounts-logout"))
    post_login(client, contract)
    assert Notice.objects.filter(contract_id=contract.pk, event="login").count() == 1  # not told again
    other = Client()
    post_login(other, contract)  # a new environment is always told, whatever the setting
    assert Notice.objects.filter(contract_id=contract.pk, event="login").count() == 2


def test_a_transfer_confirmed_before_a_hold_is_refused_at_its_authorization(client, contract, fake_clock):
    """The gate is asked again at 認証: a hold that began after 確認 still refuses the new payee."""
    from payments.ui import TRANSFER_CONFIRMED_KEY  # noqa: F401 (the step's session key)
    from tests.payments.helpers import authorize, confirm, enter

    known_environment(client, contract)
    post_login(client, contract)
    _response, transfer = enter(client, other_bank_data(contract, amount=5_000))
    confirm(client, transfer)
    # Meanwhile the branch resets the token (or the limit is raised elsewhere): a hold begins.
    holds.begin(contract, Lock.Kind.CHANGE_HOLD, reason="token_reset", actor=None)
    response = authorize(client, transfer)
    assert response.status_code == 200 and "トークンIDのリセットの後、一定期間" in response.content.decode()
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.CONFIRMED
    assert Account.objects.get(pk=contract.account.pk).balance == 100_000


def test_a_login_on_the_phone_is_told_too(contract):
    phone = Client(HTTP_USER_AGENT="DoCoMo/2.0 P903i(c100;TB;W24H12)")
    response = phone.post(reverse("mobile-login"), {"contract_id": contract.contract_id, "password": PASSWORD})
    assert response["Location"] == reverse("mobile-menu")
    notice = Notice.objects.get(contract_id=contract.pk, event="login")
    assert "ご利用チャネル　携帯電話" in notice.body and "ブラウザ・OS　　携帯電話" in notice.body
