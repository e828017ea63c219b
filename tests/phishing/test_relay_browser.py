"""The relay scenario in Chromium: the kit's browser is a new browser context, given the customer's password
and a valid code; the never-paid payee at another bank is refused there, while the customer's own browser
(a context that carries its device cookie) still pays the payee paid before."""

import pytest
from playwright.sync_api import expect

from accounts.models import Account
from notices.models import Notice
from otp import totp
from payments.models import Transfer
from tests.helpers import enter_transfer, fill_login, paid_before

pytestmark = pytest.mark.django_db(transaction=True)


def _login(page, live_server, customer, code, *, known):
    page.goto(live_server.url + "/login/")
    fill_login(page, customer, known=known)
    page.get_by_role("button", name="ログイン", exact=True).click()
    page.get_by_label("ワンタイムパスワード").fill(code)
    page.get_by_role("button", name="確認", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("メニュー")


@pytest.fixture
def contexts(browser):
    """New browser contexts (each its own cookies), closed before the live server stops."""
    made = []

    def new():
        made.append(browser.new_context(locale="ja-JP", timezone_id="Asia/Tokyo"))
        page = made[-1].new_page()
        page.set_default_timeout(10_000)
        return page

    yield new
    for context in made:
        context.close()


def test_the_kits_browser_cannot_pay_a_new_payee(contexts, live_server, token_contract, stranger, fake_clock):
    customer = token_contract
    Account.objects.filter(pk=customer.account.pk).update(balance=600_000)
    paid_before(customer, stranger)
    kit = contexts()
    _login(kit, live_server, customer, totp.totp(customer.key, fake_clock.epoch()), known=False)
    expect(kit.get_by_text("お取引の制限")).to_be_visible()
    kit.get_by_role("link", name="振込", exact=True).click()
    enter_transfer(kit, bank="0005", number="7654321", name="ﾔﾏﾀﾞ ﾊﾅｺ", amount="200000")
    expect(kit.locator("#id_payee_number_error")).to_contain_text("はじめてのお振込先へのお振込")
    assert not Transfer.objects.filter(contract=customer, payee_number="7654321").exists()
    assert Notice.objects.filter(contract_id=customer.pk, event="login").count() == 1

    own = contexts()
    fake_clock.advance(31)
    _login(own, live_server, customer, totp.totp(customer.key, fake_clock.epoch()), known=True)
    own.get_by_role("link", name="振込", exact=True).click()
    enter_transfer(own, bank="1999", branch=stranger.account.branch_code, number=stranger.account.number, amount="3000")
    own.get_by_role("button", name="確認", exact=True).click()
    fake_clock.advance(31)
    own.get_by_label("ワンタイムパスワード").fill(totp.totp(customer.key, fake_clock.epoch()))
    own.get_by_role("button", name="実行").click()
    expect(own.get_by_text("受付番号")).to_be_visible()
    assert Transfer.objects.get(contract=customer, amount=3_000).status == Transfer.Status.DONE
