"""A new staff member's device, enrolled as the README tells it, in Chromium: a superuser issues the 登録コード on
the staff member's page, the staff member enters it after their password, scans the QR code (here: reads its
otpauth:// URI) and enters the app's first code; then the password and that app open the admin. Each page on
the way is checked as every page is (320 and 375 px, axe: tests.pages)."""

import base64
import time
import urllib.parse

import pyotp
import pytest
from playwright.sync_api import expect

from accounts.models import StaffDevice
from tests.pages import Walker

pytestmark = pytest.mark.django_db(transaction=True)

KEY = bytes(range(20))


def test_a_superuser_issues_the_code_and_the_new_staff_member_enrolls(page, live_server, django_user_model):
    chief = django_user_model.objects.create_user("chief", password="chief-pass-123", is_staff=True, is_superuser=True)
    device = StaffDevice(user=chief, name="chief", confirmed=True)
    device.set_key(KEY)
    device.save()
    newbie = django_user_model.objects.create_user("newbie", password="newbie-pass-123", is_staff=True)
    violations = []
    page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)

    page.goto(live_server.url + "/admin/")
    page.locator("#id_username").fill("chief")
    page.locator("#id_password").fill("chief-pass-123")
    page.locator("#id_otp_token").fill(pyotp.TOTP(base64.b32encode(KEY).decode()).at(time.time()))
    page.get_by_role("button", name="ログイン").click()
    walk = Walker(page, live_server.url, preload=False)
    walk.visit(f"/admin/accounts/user/{newbie.pk}/change/", "staff member")
    page.get_by_role("link", name="登録コードを発行").click()
    walk.press("登録コードを発行する", "登録コード, shown once")
    code = page.locator(".enrollment-code").inner_text()
    assert len(code.replace(" ", "")) == 12

    second_browser = page.context.browser.new_context(locale="ja-JP")  # the new staff member's own
    other = second_browser.new_page()
    theirs = Walker(other, live_server.url, preload=False)
    other.goto(live_server.url + "/admin/")
    other.locator("#id_username").fill("newbie")
    other.locator("#id_password").fill("newbie-pass-123")
    other.get_by_role("button", name="ログイン").click()
    expect(other.get_by_label("登録コード")).to_be_visible()
    expect(other.locator(".staff-qr")).to_have_count(0)  # no QR code for the password alone
    theirs.check("enrolment: 登録コード")
    other.get_by_label("登録コード").fill("0000 0000 0000")
    other.get_by_role("button", name="次へ").click()
    expect(other.locator(".errornote")).to_contain_text("登録コードが正しくありません")
    theirs.check("enrolment: a wrong 登録コード")
    other.get_by_label("登録コード").fill(code)
    other.get_by_role("button", name="次へ").click()
    expect(other.locator(".staff-qr svg")).to_be_visible()
    theirs.check("enrolment: the QR code")
    uri = other.locator("details code").text_content()
    secret = urllib.parse.parse_qs(urllib.parse.urlparse(uri).query)["secret"][0]
    other.get_by_label("ワンタイムパスワード").fill(pyotp.TOTP(secret).now())
    other.get_by_role("button", name="登録", exact=True).click()
    expect(other.locator("#site-name")).to_contain_text("ibank 営業店管理")
    second_browser.close()
    assert StaffDevice.objects.get(user=newbie).confirmed
    assert violations == []
    assert not walk.problems + theirs.problems, walk.problems + theirs.problems
