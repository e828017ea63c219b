"""Login, menu, logout and the lockout message in Debian's Chromium."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import Contract
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def type_with_softkeyboard(page, text):
    page.get_by_role("button", name="ソフトウェアキーボード").click()
    keyboard = page.get_by_role("group", name="ソフトウェアキーボード")
    expect(keyboard).to_be_visible()
    for ch in text:
        if ch.isupper() != keyboard.get_by_role("button", name="abc", exact=True).is_visible():
            # switch case
            keyboard.get_by_role("button", name=re.compile(r"^(ABC|abc)$")).click()
        keyboard.get_by_role("button", name=ch, exact=True).click()
    keyboard.get_by_role("button", name="閉じる").click()
    expect(keyboard).to_be_hidden()


def test_login_with_softkeyboard_menu_and_logout(page, live_server, contract):
    page.goto(live_server.url + "/")
    expect(page).to_have_title(re.compile("ログイン"))
    page.get_by_label("契約者ID（利用者番号）").fill(contract.contract_id)
    type_with_softkeyboard(page, PASSWORD)
    assert page.get_by_label("ログインパスワード").input_value() == PASSWORD
    page.get_by_role("button", name="ログイン", exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("メニュー")
    expect(page.get_by_text("前回ログイン日時")).to_be_visible()
    expect(page.get_by_role("cell", name="100,000円")).to_be_visible()

    page.get_by_role("button", name="ログアウト").click()
    expect(page.get_by_text("ログアウトしました。")).to_be_visible()
    page.goto(live_server.url + "/menu/")
    expect(page.get_by_role("heading", level=1)).to_have_text("ログイン")


def test_softkeyboard_order_changes_between_openings(page, live_server, db):
    page.goto(live_server.url + "/login/")
    toggle = page.get_by_role("button", name="ソフトウェアキーボード")
    orders = set()
    for _ in range(4):
        toggle.click()
        orders.add(page.locator(".softkeyboard .key").all_inner_texts().__str__())
        toggle.click()
    assert len(orders) > 1


def test_lockout_message_in_the_browser(page, live_server, contract):
    page.goto(live_server.url + "/login/")
    for _ in range(5):
        page.get_by_label("契約者ID（利用者番号）").fill(contract.contract_id)
        page.get_by_label("ログインパスワード").fill("Wrong123")
        page.get_by_role("button", name="ログイン", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text(
        "ログインを停止しています。お取引店、またはインターネットバンキングヘルプデスク"
    )
    # what was typed in the ID is kept, the password is not
    expect(page.get_by_label("契約者ID（利用者番号）")).to_have_value(contract.contract_id)
    expect(page.get_by_label("ログインパスワード")).to_have_value("")
    assert Contract.objects.get(pk=contract.pk).login_locked_at is not None


def test_field_error_is_announced_with_the_field(page, live_server, db):
    page.goto(live_server.url + "/login/")
    page.get_by_label("契約者ID（利用者番号）").fill("abc")
    page.get_by_role("button", name="ログイン", exact=True).click()
    field = page.get_by_label("契約者ID（利用者番号）")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_accessible_description(re.compile("半角数字10桁"))


def test_no_csp_violations_on_the_login_page(page, live_server, db):
    violations = []
    page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.goto(live_server.url + "/login/")
    page.get_by_role("button", name="ソフトウェアキーボード").click()
    expect(page.locator(".softkeyboard")).to_be_visible()
    assert violations == []
