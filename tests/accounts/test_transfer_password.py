"""資金移動用パスワード変更: the new 資金移動用パスワード twice and the contract's authorization on one page (the
current 資金移動用パスワード itself where it is the method, counted toward the transaction lock; a token holder's
OTP); a hold begins and the customer is told. A malformed or weak new one is refused before any guess counts."""

import pytest
from django.urls import reverse

from accounts import authorization
from accounts.models import Contract, Lock
from auditlog.models import AuditEntry
from notices.models import Notice
from otp import totp
from tests.conftest import TRANSFER_PASSWORD
from tests.helpers import double_click, is_locked, login, set_lock

PAGE = reverse("accounts-transfer-password")
NEW = "240817"


def _change(client, *, new=NEW, again=None, **answer):
    answer = answer or {"transfer_password": TRANSFER_PASSWORD}
    data = {"new_transfer_password": new, "new_transfer_password_again": new if again is None else again}
    return client.post(PAGE, {**data, **answer})


def _authorizes(contract, secret) -> bool:
    contract = Contract.objects.get(pk=contract.pk)
    method = authorization.method_for(contract)
    return method.authorize(
        actor=None, contract=contract, data={"transfer_password": secret}, action="transfer.authorize"
    ).ok


def test_the_menu_offers_it_to_a_contract_with_one_and_not_to_a_card(client, contract, make_contract):
    login(client, contract)
    assert PAGE in client.get(reverse("accounts-menu")).content.decode()
    page = client.get(PAGE).content.decode()
    for name in ("new_transfer_password", "new_transfer_password_again", "transfer_password"):
        assert f'name="{name}"' in page, name
    card = make_contract(method=Contract.Method.CARD)
    client.cookies.clear()
    login(client, card)
    assert PAGE not in client.get(reverse("accounts-menu")).content.decode()
    # its page, reached by its address, says why and asks for nothing; a POST changes nothing
    page = client.get(PAGE).content.decode()
    assert "お客様カードをご利用いただいているため、資金移動用パスワードはございません。" in page
    assert 'name="new_transfer_password"' not in page and 'name="card' not in page
    data = {"new_transfer_password": "240817", "new_transfer_password_again": "240817", "transfer_password": "2468"}
    assert client.post(PAGE, data).status_code == 200
    card.refresh_from_db()
    assert not card.transfer_password
    assert not AuditEntry.objects.filter(contract=card, action__startswith="transfer_password").exists()


def test_the_change_is_authorized_by_the_current_one_told_and_held(
    client, contract, django_capture_on_commit_callbacks
):
    login(client, contract)
    with django_capture_on_commit_callbacks(execute=True):
        response = _change(client)
    assert response["Location"] == reverse("accounts-menu")
    assert "資金移動用パスワードを変更しました。" in client.get(response["Location"]).content.decode()
    assert AuditEntry.objects.filter(action="transfer_password.change", contract=contract, outcome="ok").exists()
    notice = Notice.objects.get(contract=contract, event="transfer_password_changed")
    assert "資金移動用パスワードを変更しました" in notice.body and NEW not in notice.body
    assert is_locked(contract, Lock.Kind.CHANGE_HOLD)
    assert _authorizes(contract, NEW) and not _authorizes(contract, TRANSFER_PASSWORD)


def test_a_wrong_current_one_is_a_counted_guess_and_changes_nothing(client, contract):
    login(client, contract)
    response = _change(client, transfer_password="97531")
    assert response.status_code == 200 and "資金移動用パスワードが正しくありません。" in response.content.decode()
    assert Contract.objects.get(pk=contract.pk).transaction_failures == 1
    assert not AuditEntry.objects.filter(action="transfer_password.change").exists()
    assert _authorizes(contract, TRANSFER_PASSWORD)


@pytest.mark.parametrize(
    "new, again, field, message",
    [
        ("12ab", None, "new_transfer_password", "新しい資金移動用パスワードは半角数字4～8桁で入力してください。"),
        ("123", None, "new_transfer_password", "新しい資金移動用パスワードは半角数字4～8桁で入力してください。"),
        ("123456789", None, "new_transfer_password", "新しい資金移動用パスワードは半角数字4～8桁で入力してください。"),
        ("7777", None, "new_transfer_password", "同じ数字だけ、または連続した数字だけ"),
        ("345678", None, "new_transfer_password", "同じ数字だけ、または連続した数字だけ"),
        ("9876", None, "new_transfer_password", "同じ数字だけ、または連続した数字だけ"),
        (NEW, "240818", "new_transfer_password_again", "（確認用）が新しい資金移動用パスワードと一致しません。"),
        (TRANSFER_PASSWORD, None, "new_transfer_password", "現在の資金移動用パスワードと異なるものを"),
        ("", None, "new_transfer_password", "新しい資金移動用パスワードを入力してください。"),
    ],
)
def test_a_bad_new_one_names_the_field_and_counts_no_guess(client, contract, new, again, field, message):
    login(client, contract)
    response = _change(client, new=new, again=again)
    assert response.status_code == 200
    errors = response.context["own_form"].errors
    assert any(message in text for text in errors[field]), errors
    assert Contract.objects.get(pk=contract.pk).transaction_failures == 0  # the method's answer was not evaluated
    assert _authorizes(contract, TRANSFER_PASSWORD)


def test_full_width_digits_are_taken(client, contract):
    login(client, contract)
    assert _change(client, new="２４０８１７")["Location"] == reverse("accounts-menu")
    assert _authorizes(contract, NEW)


def test_a_token_holder_authorizes_with_the_otp(client, otp_customer, fake_clock):
    login(client, otp_customer)
    page = client.get(PAGE).content.decode()
    assert 'name="otp"' in page and 'name="transfer_password"' not in page
    assert _change(client, otp="000000").status_code == 200
    assert _change(client, otp=totp.totp(otp_customer.key, fake_clock.t))["Location"] == reverse("accounts-menu")
    stored = Contract.objects.get(pk=otp_customer.pk)
    assert stored.check_transfer_password(NEW)


def test_under_the_transaction_lock_the_page_says_whom_to_call(client, contract):
    set_lock(contract, Lock.Kind.TRANSACTION)
    login(client, contract)
    page = client.get(PAGE).content.decode()
    assert "お取引（振込・収納サービス等）を停止しています" in page and 'name="new_transfer_password"' not in page
    assert _change(client).status_code == 200 and _authorizes(contract, TRANSFER_PASSWORD) is False  # still locked
    assert Contract.objects.get(pk=contract.pk).check_transfer_password(TRANSFER_PASSWORD)


def test_a_double_click_overlapping_the_first_is_told_the_change(client, otp_customer, fake_clock, monkeypatch):
    login(client, otp_customer)
    data = {"new_transfer_password": NEW, "new_transfer_password_again": NEW}
    data["otp"] = totp.totp(otp_customer.key, fake_clock.t)
    twin, response = double_click(monkeypatch, client, PAGE, data)
    assert response["Location"] == reverse("accounts-menu")
    assert "資金移動用パスワードを変更しました。" in twin.get(response["Location"]).content.decode()
    assert AuditEntry.objects.filter(action="transfer_password.change", contract=otp_customer).count() == 1


def test_the_page_sent_again_after_its_change_counts_no_wrong_answer(client, contract):
    """A double click whose second request comes after the first changed it: the 資金移動用パスワード typed as the
    authorization is now the old one. The page's name tells the change was made: no answer is evaluated."""
    login(client, contract)
    attempt = client.get(PAGE).context["attempt"]
    data = {"new_transfer_password": NEW, "new_transfer_password_again": NEW, "attempt": attempt}
    data["transfer_password"] = TRANSFER_PASSWORD
    assert client.post(PAGE, data)["Location"] == reverse("accounts-menu")
    again = client.post(PAGE, data)
    assert again["Location"] == reverse("accounts-menu")
    assert "資金移動用パスワードを変更しました。" in client.get(again["Location"]).content.decode()
    assert Contract.objects.get(pk=contract.pk).transaction_failures == 0
    assert not AuditEntry.objects.filter(contract=contract, outcome="failed").exists()
    assert AuditEntry.objects.filter(action="transfer_password.change", contract=contract).count() == 1
    # Another page's name, or none, is no such proof: the old one is then a wrong answer like any other.
    other = {**data, "attempt": "0123456789abcdef"}
    assert client.post(PAGE, other).status_code == 200
    assert Contract.objects.get(pk=contract.pk).transaction_failures == 1
