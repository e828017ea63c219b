"""Login, menu, logout and the lockout message in Debian's Chromium."""

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.helpers import is_locked

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
        with page.expect_navigation():  # the next try is typed into the page this one brings back
            page.get_by_role("button", name="ログイン", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text(
        "ログインを停止しています。お取引店、またはインターネットバンキングヘルプデスク"
    )
    # what was typed in the ID is kept, the password is not
    expect(page.get_by_label("契約者ID（利用者番号）")).to_have_value(contract.contract_id)
    expect(page.get_by_label("ログインパスワード")).to_have_value("")
    assert is_locked(contract, "login")


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


def test_the_software_keyboard_is_one_tab_stop_with_arrow_keys_and_escape(page, live_server, db):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server.url + "/login/")
    toggle = page.get_by_role("button", name="ソフトウェアキーボード")
    toggle.click()
    keyboard = page.get_by_role("group", name="ソフトウェアキーボード")
    expect(keyboard).to_be_visible()
    keys = keyboard.locator("button.key")
    first = keys.nth(0)
    expect(first).to_be_focused()
    # One tab stop: every key but the focused one is out of the tab order; Tab leaves the keyboard.
    assert (
        page.evaluate("[...document.querySelectorAll('.softkeyboard .key')].filter(k => k.tabIndex === 0).length") == 1
    )
    page.keyboard.press("ArrowRight")
    expect(keys.nth(1)).to_be_focused()
    page.keyboard.press("ArrowLeft")
    expect(first).to_be_focused()
    page.keyboard.press("ArrowDown")  # into the letters' row
    assert page.evaluate("document.activeElement.closest('.softkeyboard-row').classList.contains('letters')")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="ログイン", exact=True)).to_be_focused()

    # A key press is announced without the character.
    page.keyboard.press("Shift+Tab")
    typed = page.evaluate("document.activeElement.textContent")
    page.keyboard.press("Enter")
    live = page.locator("#softkeyboard-live-id_password")
    expect(live).to_have_text("1文字入力しました")
    assert typed not in live.inner_text()
    assert page.get_by_label("ログインパスワード").input_value() == typed

    # The ten digits in one row on a desktop.
    tops = page.evaluate("[...document.querySelectorAll('.softkeyboard-row.digits .key')].map(k => k.offsetTop)")
    assert len(tops) == 10 and len(set(tops)) == 1

    page.keyboard.press("Escape")
    expect(keyboard).to_be_hidden()
    expect(toggle).to_be_focused()


def test_the_software_keyboard_is_a_regular_grid_on_a_phone(page, live_server, db):
    page.set_viewport_size({"width": 320, "height": 700})
    page.goto(live_server.url + "/login/")
    page.get_by_role("button", name="ソフトウェアキーボード").click()
    rows = page.evaluate(
        """[...document.querySelectorAll('.softkeyboard-row.digits .key')].reduce(
            (acc, k) => { acc[k.offsetTop] = (acc[k.offsetTop] || 0) + 1; return acc; }, {})"""
    )
    assert sorted(rows.values()) == [5, 5]
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_focus_goes_to_the_error_and_to_the_code_field(page, live_server, contract, make_contract, make_token):
    # A refused login: the error summary has the focus.
    page.goto(live_server.url + "/login/")
    page.get_by_label("契約者ID（利用者番号）").fill(contract.contract_id)
    page.get_by_label("ログインパスワード").fill("Wrong123")
    page.get_by_role("button", name="ログイン", exact=True).click()
    expect(page.locator(".form-errors")).to_be_focused()
    # Field errors only: the first invalid field has the focus.
    page.get_by_label("契約者ID（利用者番号）").fill("")
    page.get_by_role("button", name="ログイン", exact=True).click()
    expect(page.get_by_label("契約者ID（利用者番号）")).to_be_focused()
    # The one-time password page: the code field has the focus.
    customer = make_contract()
    make_token(customer, login_otp=True)
    page.get_by_label("契約者ID（利用者番号）").fill(customer.contract_id)
    page.get_by_label("ログインパスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン", exact=True).click()
    expect(page.get_by_label("ワンタイムパスワード (半角数字)")).to_be_focused()
    page.get_by_role("button", name="確認").click()
    expect(page.get_by_label("ワンタイムパスワード (半角数字)")).to_be_focused()
    expect(page.locator("#id_otp_error")).to_have_text("ワンタイムパスワードを入力してください。")


def test_the_suspend_page_offers_logout_and_checkboxes_are_large(page, live_server, contract):
    page.goto(live_server.url + "/login/")
    page.get_by_label("契約者ID（利用者番号）").fill(contract.contract_id)
    page.get_by_label("ログインパスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン", exact=True).click()
    page.goto(live_server.url + "/menu/suspend/")
    expect(page.get_by_role("button", name="ログアウト")).to_be_visible()
    box = page.get_by_role("checkbox").bounding_box()
    assert box["width"] >= 24 and box["height"] >= 24
    # The skip link leads to the content.
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="本文へスキップ")).to_be_focused()
