"""In Chromium: a 窓口担当 requests a token ID reset, a 役席 approves it, the customer registers a new token
and logs in with it."""

import base64
import time

import pyotp
import pytest
from playwright.sync_api import expect

from accounts.models import StaffDevice
from otp import totp
from otp.models import TokenBinding
from otp.services import token_issue
from tests.branch.conftest import _staff
from tests.conftest import PASSWORD, TRANSFER_PASSWORD
from tests.helpers import result_status

pytestmark = pytest.mark.django_db(transaction=True)


def _with_device(user, key):
    device = StaffDevice(user=user, name="d", confirmed=True)
    device.set_key(key)
    device.save()
    return key


def _admin_login(page, base, username, key):
    page.goto(base + "/admin/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(f"{username}-pass-123")
    page.locator("#id_otp_token").fill(pyotp.TOTP(base64.b32encode(key).decode()).at(time.time()))
    page.get_by_role("button", name="ログイン").click()
    expect(page.locator("#site-name")).to_contain_text("ibank 営業店管理")


def test_two_person_reset_then_the_customer_registers_a_new_token(page, live_server, token_contract):
    base = live_server.url
    maker_key = _with_device(_staff("madoguchi", "窓口担当"), bytes(range(20)))
    checker_key = _with_device(_staff("yakuseki", "役席"), bytes(range(20, 40)))
    old_token_id = token_contract.binding.software_token.token_id

    _admin_login(page, base, "madoguchi", maker_key)
    page.goto(base + "/admin/accounts/contract/")
    page.locator("#searchbar").fill(old_token_id)
    page.locator("#searchbar").press("Enter")
    page.get_by_role("link", name=token_contract.contract_id).click()
    page.get_by_role("link", name="手続きを行う").click()
    page.locator("#id_operation").select_option("token_reset_request")
    page.locator("#id_reason").fill("スマートフォン故障")
    page.locator("#id_reference").fill("R-0001")
    page.get_by_role("button", name="実行する").click()
    expect(page.locator(".messagelist")).to_contain_text("トークンIDのリセットを依頼する")
    page.context.clear_cookies()

    _admin_login(page, base, "yakuseki", checker_key)
    page.goto(base + "/admin/branch/tokenresetrequest/?status__exact=pending")
    page.get_by_role("link", name="承認・否認").click()
    expect(page.locator("#content-main")).to_contain_text("madoguchi")
    page.get_by_role("button", name="承認する").click()
    expect(page.locator(".messagelist")).to_contain_text("リセットを承認しました。")
    assert not TokenBinding.objects.filter(contract=token_contract).exists()
    page.context.clear_cookies()

    # The customer registers a new token from the login page and logs in with it.
    new, key = token_issue(kind="mobile")
    page.goto(base + "/login/")
    page.get_by_role("link", name="ワンタイムパスワードの利用登録／交換はこちら").click()
    page.get_by_label("契約者ID（利用者番号）").fill(token_contract.contract_id)
    page.get_by_label("ログインパスワード").fill(PASSWORD)
    page.get_by_role("button", name="次へ").click()
    page.get_by_label("トークンID").fill(new.token_id)
    page.get_by_label("ワンタイムパスワード", exact=True).fill(totp.totp(key, time.time()))
    page.get_by_label("認証する").check()
    page.get_by_label("資金移動用パスワード").fill(TRANSFER_PASSWORD)
    page.get_by_role("button", name="登録").click()
    expect(result_status(page)).to_contain_text("ワンタイムパスワードの利用登録が完了しました。")
    page.get_by_role("link", name="ログイン画面に戻る").click()
    page.get_by_label("契約者ID（利用者番号）").fill(token_contract.contract_id)
    page.get_by_label("ログインパスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン", exact=True).click()
    page.get_by_label("ワンタイムパスワード (半角数字)").fill(totp.totp(key, time.time() + 30))
    page.get_by_role("button", name="確認").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("メニュー")
