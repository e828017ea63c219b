"""Staff see undeliverable notices in the admin and resend them (Chromium): the list, 再送, the audit entry."""

import base64
import time

import pyotp
import pytest
from playwright.sync_api import expect

from accounts.models import StaffDevice
from auditlog.models import AuditEntry
from notices.models import Notice
from notices.outbox import notify

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.real_worker]


def test_an_undeliverable_notice_is_listed_and_resent(page, live_server, django_user_model, contract):
    staff = django_user_model.objects.create_user("clerk", password="clerk-pass-123", is_staff=True, is_superuser=True)
    device = StaffDevice(user=staff, name="clerk", confirmed=True)
    device.set_key(bytes(range(20)))
    device.save()
    notify(contract, "ib_suspended")
    notice = Notice.objects.get()
    Notice.objects.filter(pk=notice.pk).update(
        status=Notice.Status.FAILED, attempts=6, last_error="ConnectionRefusedError: [Errno 111] Connection refused"
    )

    page.goto(live_server.url + "/admin/")
    page.locator("#id_username").fill("clerk")
    page.locator("#id_password").fill("clerk-pass-123")
    page.locator("#id_otp_token").fill(pyotp.TOTP(base64.b32encode(device.bin_key()).decode()).at(time.time()))
    page.get_by_role("button", name="ログイン").click()
    page.goto(live_server.url + "/admin/notices/notice/?status__exact=failed")
    row = page.locator("#result_list tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(contract.contract_id)
    expect(row).to_contain_text("Connection refused")
    expect(row).to_contain_text("送信失敗")
    row.locator("input.action-select").check()
    page.locator("select[name=action]").select_option("resend")
    page.get_by_role("button", name="実行").click()
    expect(page.locator(".messagelist")).to_contain_text("1件のお知らせを再送します。")
    notice.refresh_from_db()
    assert notice.status == Notice.Status.PENDING and notice.attempts == 0
    entry = AuditEntry.objects.get(action="notice.resend")
    assert entry.contract_id == contract.pk and entry.actor == "staff:clerk"
