"""Staff log in to the admin with their password and their own OTP, in Chromium."""

import pytest
from django_otp.oath import totp as django_otp_totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)


def test_staff_admin_login_with_otp_and_no_csp_violations(page, live_server, django_user_model, contract):
    staff = django_user_model.objects.create_user("clerk", password="clerk-pass-123", is_staff=True, is_superuser=True)
    device = TOTPDevice.objects.create(user=staff, name="clerk")
    violations = []
    page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)

    page.goto(live_server.url + "/admin/")
    page.locator("#id_username").fill("clerk")
    page.locator("#id_password").fill("clerk-pass-123")
    page.locator("#id_otp_token").fill("000000")
    page.get_by_role("button", name="ログイン").click()
    expect(page.locator(".errornote")).to_be_visible()  # a wrong OTP keeps staff out

    page.locator("#id_password").fill("clerk-pass-123")
    page.locator("#id_otp_device").select_option(device.persistent_id)
    page.locator("#id_otp_token").fill(str(django_otp_totp(device.bin_key)).zfill(6))
    page.get_by_role("button", name="ログイン").click()
    expect(page.locator("#site-name")).to_contain_text("ibank 営業店管理")

    page.goto(live_server.url + f"/admin/accounts/contract/{contract.pk}/change/")
    expect(page.locator("#id_name")).to_have_value(contract.name)
    page.goto(live_server.url + "/admin/accounts/contract/")
    expect(page.get_by_text(contract.contract_id)).to_be_visible()
    assert violations == []
