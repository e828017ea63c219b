"""The desktop token computes codes in the browser; they must equal the server's."""

import datetime

import pytest
from playwright.sync_api import expect

from otp import totp
from otp.models import SoftwareToken

pytestmark = pytest.mark.django_db(transaction=True)

FIXED = datetime.datetime(2031, 5, 17, 3, 20, 7, tzinfo=datetime.UTC)


def test_desktop_token_shows_the_servers_code_for_a_fixed_time(page, live_server):
    page.clock.set_fixed_time(FIXED)
    page.goto(live_server.url + "/token/")
    page.get_by_role("button", name="デスクトップ型トークンを発行する").click()
    expect(page).to_have_url(live_server.url + "/token/desktop/")
    card = page.locator(".desktop-token")
    expect(card).to_have_count(1)
    token = SoftwareToken.objects.get()
    expect(card.locator(".token-id")).to_have_text(token.token_id)
    expected = totp.totp(token.key(), FIXED.timestamp())
    expect(card.locator(".token-code")).to_have_text(expected)
    seconds_left = 30 - int(FIXED.timestamp()) % 30
    expect(card.locator(".remaining")).to_have_text(f"あと{seconds_left}秒")

    # it survives a reload: the key stays in the browser, not in the page
    page.reload()
    expect(page.locator(".desktop-token .token-code")).to_have_text(expected)
    assert "data-secret" not in page.content()

    # the copy buttons copy the token ID and the code
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.locator(".desktop-token .token-row").nth(1).get_by_role("button", name="コピー").click()
    assert page.evaluate("navigator.clipboard.readText()") == expected


def test_desktop_token_key_is_not_extractable(page, live_server):
    page.goto(live_server.url + "/token/")
    page.get_by_role("button", name="デスクトップ型トークンを発行する").click()
    expect(page.locator(".desktop-token")).to_have_count(1)
    extractable = page.evaluate(
        """() => new Promise((resolve) => {
            const r = indexedDB.open("ibank-desktop-token", 1);
            r.onsuccess = () => {
                const get = r.result.transaction("tokens").objectStore("tokens").getAll();
                get.onsuccess = () => resolve(get.result.map((t) => [t.key.extractable, typeof t.secret]));
            };
        })"""
    )
    assert extractable == [[False, "undefined"]]
