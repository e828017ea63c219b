"""The desktop token computes codes in the browser; they must equal the server's."""

import datetime
import re

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


def test_a_stopped_desktop_token_says_so_instead_of_showing_codes(page, live_server, contract):
    from django.conf import settings

    from otp.models import TokenBinding

    page.goto(live_server.url + "/token/")
    page.get_by_role("button", name="デスクトップ型トークンを発行する").click()
    card = page.locator(".desktop-token")
    expect(card.get_by_role("heading", level=2)).to_have_text(f"{settings.BANK_NAME} ソフトウェアトークン")
    expect(card.locator(".token-state")).to_contain_text("まだ利用登録されていません")
    expect(card.locator(".token-code")).to_have_text(re.compile(r"^[0-9]{6}$"))
    # Removal is a separate, confirmed action, away from the code and its countdown.
    assert card.get_by_role("button", name=re.compile("削除")).count() == 0
    expect(page.locator("#desktop-remove")).to_be_visible()

    token = SoftwareToken.objects.get()
    SoftwareToken.objects.filter(pk=token.pk).update(status=SoftwareToken.Status.RETIRED)  # stopped or reset
    assert not TokenBinding.objects.exists()
    page.reload()
    expect(card.locator(".token-state")).to_contain_text("無効になっています")
    expect(card.locator(".token-code")).to_have_count(0)
    page.on("dialog", lambda dialog: dialog.accept())
    page.locator("#desktop-remove").get_by_role("button", name=re.compile(token.token_id)).click()
    expect(page.locator(".desktop-token")).to_have_count(0)
    expect(page.locator("#desktop-empty")).to_be_visible()
