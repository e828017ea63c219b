"""The branch's admin sends a form once too (static/js/sent_once.js): a double click on 実行する on a slow line
carries out the operation once — one new 資金移動用パスワード, one entry, one letter's notice — and the
password shown is the one that works."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import Contract
from auditlog.models import AuditEntry
from branch import services
from notices.models import Notice
from tests.branch.conftest import _staff
from tests.branch.test_reset_browser import _admin_login, _with_device
from tests.helpers import browser_double_click, posts_sent, slowed

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_double_click_on_an_operation_does_it_once(page, live_server, contract, monkeypatch):
    base = live_server.url
    _admin_login(page, base, "madoguchi", _with_device(_staff("madoguchi", "窓口担当"), bytes(range(20))))
    slowed(monkeypatch, services, "contract_transfer_password_reset")
    page.goto(base + f"/admin/accounts/contract/{contract.pk}/operate/")
    page.locator("#id_operation").select_option("reset_transfer_password")
    page.locator("#id_reason").fill("暗証失念")
    page.locator("#id_reference").fill("F-2027-002")
    sent = posts_sent(page, "/operate/")
    browser_double_click(page, page.get_by_role("button", name="実行する"))
    expect(page.locator(".new-transfer-password")).to_have_text(re.compile(r"^[0-9]{6}$"))
    assert len(sent) == 1
    resets = AuditEntry.objects.filter(contract=contract, action__contains="transfer_password", outcome="ok")
    assert resets.count() == 1, list(resets.values_list("action", flat=True))
    assert Notice.objects.filter(contract_id=contract.pk).count() == 1
    shown = page.locator(".new-transfer-password").inner_text()
    assert Contract.objects.get(pk=contract.pk).check_transfer_password(shown)


def test_while_an_operation_is_on_its_way_the_page_says_so(page, live_server, contract):
    """On a line whose answer has not come, the clerk is told the press went (a status read out), and the
    operation is not sent again."""
    base = live_server.url
    _admin_login(page, base, "madoguchi", _with_device(_staff("madoguchi", "窓口担当"), bytes(range(20))))
    page.goto(base + f"/admin/accounts/contract/{contract.pk}/operate/")
    expect(page.locator("#sending")).to_be_hidden()
    page.locator("#id_operation").select_option("reset_transfer_password")
    page.locator("#id_reason").fill("暗証失念")
    page.locator("#id_reference").fill("F-2027-003")
    sent = posts_sent(page, "/operate/")
    page.route(  # the POST's answer never comes (a 204 leaves the page as it is)
        "**/operate/", lambda route: route.fulfill(status=204) if route.request.method == "POST" else route.continue_()
    )
    button = page.get_by_role("button", name="実行する")
    button.click()
    expect(page.get_by_role("status")).to_have_text("処理中です。そのままお待ちください。")
    button.click()
    page.wait_for_timeout(200)
    assert len(sent) == 1
