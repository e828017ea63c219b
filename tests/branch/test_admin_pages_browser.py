"""The branch's pages (ibank 営業店管理) as the customer's are checked: in Chromium, each at 320 and 375 px for
sideways scrolling and by axe-core for serious or critical violations — the login, a 窓口担当's search,
contract page and operations (with errors, and the 資金移動用パスワード shown once), a 役席's decision, and every
list and record page a superuser reads."""

import re

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from auditlog.models import AuditEntry
from branch import services
from notices.models import Notice
from tests.branch.conftest import _staff
from tests.branch.test_reset_browser import _admin_login, _with_device
from tests.pages import Walker

pytestmark = pytest.mark.django_db(transaction=True)

#: every list page of the admin's registered models (app label, model)
LISTS = [
    ("accounts", "contract"),
    ("accounts", "account"),
    ("accounts", "user"),
    ("accounts", "staffdevice"),
    ("accounts", "staffenrollmentcode"),
    ("auditlog", "auditentry"),
    ("notices", "notice"),
    ("branch", "tokenresetrequest"),
    ("ibank_otp", "tokentype"),
    ("ibank_otp", "softwaretoken"),
    ("ibank_otp", "tokenbinding"),
    ("transfers", "transfer"),
    ("transfers", "payment"),
    ("transfers", "biller"),
    ("transfers", "bill"),
]


def test_the_branch_operations_fit_a_phone_and_pass_axe(page, live_server, token_contract, make_contract):
    base = live_server.url
    page.set_viewport_size({"width": 375, "height": 800})
    walk = Walker(page, base, preload=False)
    customer = make_contract()

    walk.visit("/admin/login/", "admin login")
    walk.press("ログイン", "admin login with errors")

    # -- a 窓口担当: the search, the contract, its operations -------------------------------------
    maker_key = _with_device(_staff("madoguchi", "窓口担当"), bytes(range(20)))
    _admin_login(page, base, "madoguchi", maker_key)
    walk.check("index (窓口担当)")
    page.goto(base + "/admin/accounts/contract/")
    page.locator("#searchbar").fill(customer.contract_id)
    page.locator("#searchbar").press("Enter")
    walk.check("contracts: searched")
    page.get_by_role("link", name=customer.contract_id).click()
    walk.check("contract")
    page.get_by_role("link", name="手続きを行う").click()
    walk.check("operation")
    walk.press("実行する", "operation with errors")
    page.locator("#id_operation").select_option("reset_transfer_password")
    page.locator("#id_reason").fill("暗証失念")
    page.locator("#id_reference").fill("F-2027-002")
    page.get_by_role("button", name="実行する").click()
    expect(page.locator(".new-transfer-password")).to_have_text(re.compile(r"^[0-9]{6}$"))
    walk.check("new 資金移動用パスワード, shown once")
    page.goto(base + f"/admin/accounts/contract/{token_contract.pk}/operate/")
    page.locator("#id_operation").select_option("token_reset_request")
    page.locator("#id_reason").fill("スマートフォン故障")
    page.locator("#id_reference").fill("R-0001")
    page.get_by_role("button", name="実行する").click()
    expect(page.locator(".messagelist")).to_contain_text("トークンIDのリセットを依頼する")
    walk.check("contract after an operation")
    page.context.clear_cookies()

    # -- a 役席 decides --------------------------------------------------------------------------
    checker_key = _with_device(_staff("yakuseki", "役席"), bytes(range(20, 40)))
    _admin_login(page, base, "yakuseki", checker_key)
    page.goto(base + "/admin/branch/tokenresetrequest/?status__exact=pending")
    page.get_by_role("link", name="承認・否認").click()
    walk.check("reset request: decision")

    assert len(walk.checked) >= 10, walk.checked
    assert not walk.problems, "\n".join(walk.problems)


def test_every_list_and_record_fits_a_phone_and_passes_axe(page, live_server, token_contract, make_contract, billers):
    """As a superuser: every list page and the first record of each (a test of its own, so that the two walks
    run side by side)."""
    base = live_server.url
    page.set_viewport_size({"width": 375, "height": 800})
    walk = Walker(page, base, preload=False)
    customer = make_contract()
    maker = _staff("madoguchi", "窓口担当")
    services.token_reset_request(actor=None, staff=maker, contract=token_contract, reason="故障", reference="R-1")
    # records to read: a request, and a reset's audit entries, lock rows and notice
    services.contract_transfer_password_reset(
        actor=None, staff=maker, contract=customer, reason="失念", reference="F-1"
    )
    boss = _staff("boss", "役席")
    type(boss).objects.filter(pk=boss.pk).update(is_superuser=True)
    boss_key = _with_device(boss, bytes(range(40, 60)))
    _admin_login(page, base, "boss", boss_key)
    walk.check("index (superuser)")
    for app, model in LISTS:
        walk.visit(f"/admin/{app}/{model}/", f"{app}.{model}: list")
        rows = page.locator("#result_list tbody th a, #result_list tbody td.field-__str__ a")
        if rows.count():
            rows.first.click()
            walk.check(f"{app}.{model}: record")
    walk.visit(f"/admin/auditlog/auditentry/?q={customer.contract_id}", "audit log: a 契約者ID")
    assert AuditEntry.objects.filter(contract=customer).exists() and Notice.objects.exists()
    assert Group.objects.filter(name="役席").exists()

    assert len(walk.checked) >= 28, walk.checked
    assert not walk.problems, "\n".join(walk.problems)


def test_every_list_of_the_admin_is_walked():
    """A model registered later without its line in LISTS would escape the walk."""
    from ibank.admin import admin_site

    assert {(model._meta.app_label, model._meta.model_name) for model in admin_site._registry} == set(LISTS)
