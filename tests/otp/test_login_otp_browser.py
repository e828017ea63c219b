"""Login with the one-time password, end to end in Chromium."""

import time

import pytest
from playwright.sync_api import expect

from accounts.models import Contract
from otp import totp
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def test_login_with_otp_end_to_end(page, live_server, token_contract):
    page.goto(live_server.url + "/login/")
    page.get_by_label("契約者ID（利用者番号）").fill(token_contract.contract_id)
    page.get_by_label("ログインパスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン", exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("ワンタイムパスワード認証")
    field = page.get_by_label("ワンタイムパスワード (半角数字)")
    expect(field).to_have_accessible_description(
        "トークンに表示されている数字6桁を入力してください。(30秒毎に数字が変更されます。)"
    )
    field.fill("000000")
    page.get_by_role("button", name="確認").click()
    expect(page.get_by_text("ワンタイムパスワードが正しくありません。")).to_be_visible()

    page.get_by_label("ワンタイムパスワード (半角数字)").fill(totp.totp(token_contract.key, time.time()))
    page.get_by_role("button", name="確認").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("メニュー")


def test_cancel_returns_to_login(page, live_server, token_contract):
    page.goto(live_server.url + "/login/")
    page.get_by_label("契約者ID（利用者番号）").fill(token_contract.contract_id)
    page.get_by_label("ログインパスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン", exact=True).click()
    page.get_by_role("button", name="中止").click()
    expect(page.get_by_text("ログインを中止しました。")).to_be_visible()
    assert Contract.objects.get(pk=token_contract.pk).logins.count() == 0
