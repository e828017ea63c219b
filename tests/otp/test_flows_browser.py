"""The customer's whole token story in Chromium, as in seeds 000–004:
issue a token, register it, log in with it, exchange it, stop it, log in without it.

The server's clock and the browser's are the same fake clock, moved 30 s
between steps, so every step gets a fresh code without waiting.
"""

import datetime

import pytest
from playwright.sync_api import expect

from auditlog.models import AuditEntry
from otp import totp
from otp.models import SoftwareToken, TokenBinding
from tests.conftest import CARD_GRID, TRANSFER_PASSWORD
from tests.helpers import fill_login

pytestmark = pytest.mark.django_db(transaction=True)

T0 = 1_900_000_005  # 5 s into a time step


def _flow_from_login(page, base, contract, link: str, first_step: str):
    """From the login page's link to a token flow, through its 利用者認証, to the flow's ``first_step``."""
    page.goto(base + "/login/")
    page.get_by_role("link", name=link).click()
    fill_login(page, contract)
    page.get_by_role("button", name="次へ").click()
    expect(page.locator('[aria-current="step"]')).to_have_text(first_step)


def browser_time(page, t):
    page.clock.set_fixed_time(datetime.datetime.fromtimestamp(t, tz=datetime.UTC))


def test_issue_register_login_exchange_stop_and_login_without(page, live_server, contract, fake_clock):
    fake_clock.t = T0
    browser_time(page, T0)
    base = live_server.url

    # 1. トークン発行 (mobile): the page shows the token ID and, for those who cannot scan, the key
    page.goto(base + "/login/")
    page.get_by_role("link", name="ソフトウェアトークンの入手はこちら").click()
    page.get_by_role("button", name="モバイル型トークンを発行する").click()
    mobile_id = page.locator("#token-id").inner_text()
    mobile_key = SoftwareToken.objects.get(token_id=mobile_id).key()
    assert page.locator("#secret").text_content() == totp.b32(mobile_key)

    # 2. 利用登録
    page.goto(base + "/login/")
    page.get_by_role("link", name="ワンタイムパスワードの利用登録／交換はこちら").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("ワンタイムパスワード利用登録／交換")
    fill_login(page, contract)
    page.get_by_role("button", name="次へ").click()
    expect(page.locator('[aria-current="step"]')).to_have_text("ワンタイムパスワード登録情報入力")
    page.get_by_label("トークンID").fill(mobile_id)
    page.get_by_label("ワンタイムパスワード").fill(totp.totp(mobile_key, fake_clock.t))
    page.get_by_label("認証する", exact=True).check()
    page.get_by_label("資金移動用パスワード").fill(TRANSFER_PASSWORD)
    page.get_by_role("button", name="登録").click()
    expect(page.get_by_text("ワンタイムパスワードの利用登録が完了しました。")).to_be_visible()
    page.get_by_role("link", name="ログイン画面に戻る").click()

    # 3. login with the one-time password
    fake_clock.advance(30)
    fill_login(page, contract)
    page.get_by_role("button", name="ログイン", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("ワンタイムパスワード認証")
    page.get_by_label("ワンタイムパスワード (半角数字)").fill(totp.totp(mobile_key, fake_clock.t))
    page.get_by_role("button", name="確認").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("メニュー")
    expect(page.locator(".token-id")).to_have_text(mobile_id)
    page.get_by_role("button", name="ログアウト").click()

    # 4. a desktop token, whose code this browser computes itself
    fake_clock.advance(30)
    browser_time(page, fake_clock.t)
    page.goto(base + "/token/")
    page.get_by_role("button", name="デスクトップ型トークンを発行する").click()
    desktop_id = page.locator(".desktop-token .token-id").inner_text()
    desktop_code = page.locator(".desktop-token .token-code")
    expect(desktop_code).to_have_text(totp.totp(SoftwareToken.objects.get(token_id=desktop_id).key(), fake_clock.t))

    # 5. 交換: old token's code, then the new token's ID and code
    code_from_desktop_page = desktop_code.inner_text()
    _flow_from_login(
        page, base, contract, "ワンタイムパスワードの利用登録／交換はこちら", "旧トークンのワンタイムパスワード入力"
    )
    page.get_by_label("ワンタイムパスワード").fill(totp.totp(mobile_key, fake_clock.t))
    page.get_by_role("button", name="次へ").click()
    expect(page.locator('[aria-current="step"]')).to_have_text("新トークン登録情報入力")
    page.get_by_label("トークンID").fill(desktop_id)
    page.get_by_label("ワンタイムパスワード").fill(code_from_desktop_page)
    page.get_by_role("button", name="登録").click()
    expect(page.get_by_text("ワンタイムパスワードの交換が完了しました。")).to_be_visible()
    assert TokenBinding.objects.get(contract=contract).software_token.token_id == desktop_id

    # 6. 利用停止 with the desktop token's next code
    fake_clock.advance(30)
    browser_time(page, fake_clock.t)
    page.goto(base + "/token/desktop/")
    stop_code = page.locator(".desktop-token .token-code")
    expect(stop_code).not_to_have_text(code_from_desktop_page)
    stop_code_text = stop_code.inner_text()
    _flow_from_login(page, base, contract, "ワンタイムパスワードの利用停止はこちら", "ワンタイムパスワード入力")
    page.get_by_label("ワンタイムパスワード").fill(stop_code_text)
    page.get_by_role("button", name="停止").click()
    expect(page.get_by_text("ワンタイムパスワードの利用停止が完了しました。(00001)")).to_be_visible()
    page.get_by_role("link", name="ログイン画面に戻る").click()

    # 7. login is ID + password only again
    fill_login(page, contract)
    page.get_by_role("button", name="ログイン", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("メニュー")
    expect(page.get_by_text("ワンタイムパスワードは利用登録されていません。")).to_be_visible()

    actions = set(AuditEntry.objects.filter(contract=contract, outcome="ok").values_list("action", flat=True))
    assert {"token.register", "login.otp", "token.exchange", "token.stop"} <= actions


def test_card_customer_registers_with_the_card_challenge(page, live_server, make_contract, fake_clock):
    from accounts.models import Contract
    from otp.services import token_issue

    card_contract = make_contract(method=Contract.Method.CARD)
    token, key = token_issue(kind="mobile")
    page.goto(live_server.url + "/otp/register/")
    fill_login(page, card_contract)
    page.get_by_role("button", name="次へ").click()
    page.get_by_label("トークンID").fill(token.token_id)
    page.get_by_label("ワンタイムパスワード").fill(totp.totp(key, fake_clock.t))
    page.get_by_label("認証しない").check()
    for cell in Contract.objects.get(pk=card_contract.pk).card_challenge.split():
        page.get_by_label(f"確認用パスワード（{cell}）").fill(CARD_GRID[cell])
    page.get_by_role("button", name="登録").click()
    expect(page.get_by_text("ワンタイムパスワードの利用登録が完了しました。")).to_be_visible()
