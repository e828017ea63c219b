"""A form is sent once (static/js/sent_once.js): a second press while the first is on its way sends nothing.

The server answers a second request as the first (tests/accounts/test_double_click*.py); these tests hold
that, on a line slow enough for a double click to land before the answer, the browser does not send it."""

import pytest
from django.conf import settings
from playwright.sync_api import expect

from accounts import services
from accounts.authorization import TransferPasswordMethod
from auditlog.models import AuditEntry
from notices.models import Notice
from payments.models import Transfer
from tests.conftest import TRANSFER_PASSWORD
from tests.helpers import browser_double_click, enter_transfer, fill_login, posts_sent, result_status, slowed

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_double_click_on_login_logs_in_once(page, live_server, contract, monkeypatch):
    slowed(monkeypatch, services, "check_password_pair")
    page.goto(live_server.url + "/login/")
    fill_login(page, contract)
    sent = posts_sent(page, "/login/")
    browser_double_click(page, page.get_by_role("button", name="ログイン", exact=True))
    expect(page.get_by_role("heading", level=1)).to_have_text("メニュー")
    assert len(sent) == 1
    assert contract.logins.count() == 1
    assert AuditEntry.objects.filter(contract=contract, action="login.password").count() == 1
    assert Notice.objects.filter(contract_id=contract.pk, event="login").count() == 1


def test_a_double_click_on_execute_sends_it_once_and_shows_the_result(page, live_server, make_contract, monkeypatch):
    slowed(monkeypatch, TransferPasswordMethod, "check")
    customer = make_contract(balance=100_000)
    payee = make_contract(balance=0)
    page.goto(live_server.url + "/login/")
    fill_login(page, customer)
    page.get_by_role("button", name="ログイン", exact=True).click()
    page.get_by_role("link", name="振込", exact=True).click()
    enter_transfer(page, bank=settings.IBANK_BANK_CODE, number=payee.account.number, amount="1000")
    page.get_by_role("button", name="確認", exact=True).click()
    page.get_by_label("資金移動用パスワード").fill(TRANSFER_PASSWORD)
    sent = posts_sent(page, "/authorize/")
    browser_double_click(page, page.get_by_role("button", name="実行"))
    expect(result_status(page)).to_have_text("お振込が完了しました。")
    assert len(sent) == 1
    assert Transfer.objects.get(contract=customer).status == Transfer.Status.DONE
    assert not AuditEntry.objects.filter(contract=customer, outcome="reused").exists()


def _stalled_login(page, live_server, contract):
    """The login page, filled in, on a line whose answers to a POST never come (a 204 leaves the page as it
    is): (the POSTs sent, the ログイン button). ``page.unroute`` ends the stall."""
    page.goto(live_server.url + "/login/")
    fill_login(page, contract)
    sent = posts_sent(page, "/login/")
    page.route(
        "**/login/", lambda route: route.fulfill(status=204) if route.request.method == "POST" else route.continue_()
    )
    return sent, page.get_by_role("button", name="ログイン", exact=True)


def test_a_page_the_browser_brings_back_can_be_sent_again(page, live_server, contract):
    sent, button = _stalled_login(page, live_server, contract)
    button.click()
    expect(page.locator("main form")).to_have_attribute("aria-busy", "true")
    expect(page.locator("#sending")).to_have_text("処理中です。そのままお待ちください。")  # read out, shown
    button.click()  # the first press's answer has not come: this one sends nothing
    page.wait_for_timeout(200)
    assert len(sent) == 1
    # The browser brings the page back from its cache (戻る, then 進む): it can be sent again.
    page.unroute("**/login/")
    page.evaluate("window.dispatchEvent(new PageTransitionEvent('pageshow', {persisted: true}))")
    expect(page.locator("#sending")).to_be_hidden()
    button.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("メニュー")
    assert len(sent) == 2


def test_a_press_that_brought_no_page_can_be_sent_again_ten_seconds_later(page, live_server, contract):
    page.clock.install()
    sent, button = _stalled_login(page, live_server, contract)  # the customer pressed 中止, or no answer came
    button.click()
    page.clock.fast_forward(9_000)
    button.click()
    page.wait_for_timeout(200)
    assert len(sent) == 1
    expect(page.locator("#sending")).to_be_visible()
    page.unroute("**/login/")
    page.clock.fast_forward(2_000)
    expect(page.locator("#sending")).to_be_hidden()  # no longer said once the press may be sent again
    button.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("メニュー")
    assert len(sent) == 2


@pytest.mark.parametrize("path", ["/login/", "/admin/login/"])
def test_what_is_said_while_a_form_is_on_its_way_is_a_live_region_from_the_start(page, live_server, path):
    """A screen reader reads out a live region's new text only if the region was in the accessibility tree
    before it: one hidden until then (display: none, the hidden attribute) says nothing. The status is on the
    page from the start, empty and taking no room."""
    page.goto(live_server.url + path)
    expect(page.get_by_role("status")).to_have_count(1)  # in the accessibility tree, before any press
    expect(page.locator("#sending")).to_have_text("")
    expect(page.locator("#sending")).to_be_hidden()  # and not seen
