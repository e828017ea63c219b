"""Staff log in to the admin with their password and their own OTP, in Chromium."""

import base64
import time

import pyotp
import pytest
from playwright.sync_api import expect

from accounts.models import StaffDevice

pytestmark = pytest.mark.django_db(transaction=True)


def test_staff_admin_login_with_otp_and_no_csp_violations(page, live_server, django_user_model, contract):
    staff = django_user_model.objects.create_user("clerk", password="clerk-pass-123", is_staff=True, is_superuser=True)
    device = StaffDevice(user=staff, name="clerk", confirmed=True)
    device.set_key(bytes(range(20)))
    device.save()
    violations = []
    page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)

    page.goto(live_server.url + "/admin/")
    page.locator("#id_username").fill("clerk")
    page.locator("#id_password").fill("clerk-pass-123")
    page.locator("#id_otp_token").fill("000000")
    page.get_by_role("button", name="ログイン").click()
    expect(page.locator(".errornote")).to_be_visible()  # a wrong OTP keeps staff out

    page.locator("#id_password").fill("clerk-pass-123")
    page.locator("#id_otp_token").fill(pyotp.TOTP(base64.b32encode(device.bin_key()).decode()).at(time.time()))
    page.get_by_role("button", name="ログイン").click()
    expect(page.locator("#site-name")).to_contain_text("ibank 営業店管理")

    page.goto(live_server.url + f"/admin/accounts/contract/{contract.pk}/change/")
    expect(page.locator(".field-name .readonly")).to_have_text(contract.name)
    page.goto(live_server.url + "/admin/accounts/contract/")
    expect(page.get_by_text(contract.contract_id)).to_be_visible()
    assert violations == []
