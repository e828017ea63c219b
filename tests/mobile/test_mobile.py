"""The feature-phone IB at /m/ (SPEC §6)."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Contract, LoginRecord
from tests.conftest import PASSWORD
from tests.transfers.helpers import login as browser_login

LOGIN = reverse("mobile-login")
MENU = reverse("mobile-menu")


def mobile_login(client, contract, password=PASSWORD):
    return client.post(LOGIN, {"contract_id": contract.contract_id, "password": password})


def _pages(client, contract):
    return [LOGIN, MENU, reverse("mobile-history", args=[contract.account.pk])]


def test_id_and_password_only_even_with_login_otp_chosen(client, token_contract):
    assert token_contract.binding.login_otp
    assert mobile_login(client, token_contract)["Location"] == MENU
    page = client.get(MENU).content.decode()
    assert "100,000円" in page
    assert LoginRecord.objects.get(contract=token_contract).channel == LoginRecord.Channel.MOBILE


def test_every_page_is_small_plain_html_with_a_title(client, contract):
    anonymous = client.get(LOGIN).content
    mobile_login(client, contract)
    for url in _pages(client, contract):
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content
        assert len(body) <= 5 * 1024, (url, len(body))
        html = body.decode()
        assert "<script" not in html and "<img" not in html and "<title>" in html
        assert "Content-Security-Policy" in response.headers and response.headers["X-Frame-Options"] == "DENY"
    assert len(anonymous) <= 5 * 1024


def test_numbered_menu_items_have_access_keys(client, contract):
    mobile_login(client, contract)
    assert 'accesskey="1"' in client.get(MENU).content.decode()


def test_the_lockout_is_shared_with_the_browser(client, contract):
    for _ in range(3):
        mobile_login(client, contract, "Wrong123")
    browser = Client()
    for _ in range(2):
        browser.post(reverse("accounts-login"), {"contract_id": contract.contract_id, "password": "Wrong123"})
    assert Contract.objects.get(pk=contract.pk).is_login_locked
    response = mobile_login(client, contract)
    assert "ログインを停止しています" in response.content.decode()


def test_a_mobile_login_ends_the_browser_session_and_vice_versa(contract):
    browser, phone = Client(), Client()
    browser_login(browser, contract)
    mobile_login(phone, contract)
    assert phone.get(MENU).status_code == 200
    assert browser.get(reverse("accounts-menu")).status_code == 302  # ended by the phone's login
    browser_login(browser, contract)
    assert phone.get(MENU)["Location"] == LOGIN


def test_another_contracts_history_is_404(client, contract, stranger):
    mobile_login(client, contract)
    assert client.get(reverse("mobile-history", args=[stranger.account.pk])).status_code == 404


@pytest.mark.parametrize("url", [MENU, "/m/history/1/"])
def test_pages_need_a_login(client, db, url):
    assert client.get(url)["Location"] == LOGIN
