"""The money pages on small screens (issue 18): the 支払口座 dropdown shows the whole balance at 320 and 375 px,
and /m/'s amount page fits 240 px. Measured with a Japanese font (IPAGothic, installed by ``make chromium``),
as a phone draws it."""

import pytest

from accounts.models import Account
from tests.conftest import PASSWORD
from tests.helpers import fill_login, registered_payee

pytestmark = pytest.mark.django_db(transaction=True)

#: The closed dropdown's text against the room it has (its width less padding and the arrow).
TEXT_AND_ROOM = """(select) => {
    const style = getComputedStyle(select);
    const context = document.createElement('canvas').getContext('2d');
    context.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    const text = select.options[select.selectedIndex].text;
    const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
    const em = context.measureText('あ').width / parseFloat(style.fontSize);
    return [text, context.measureText(text).width, select.clientWidth - padding - 20, em];
}"""


@pytest.fixture
def customer(make_contract):
    customer = make_contract(balance=1_151_860)
    Account.objects.create(
        contract=customer,
        branch_code="012",
        branch_name="駅前支店",
        kind=Account.Kind.CURRENT,
        number="7000001",
        holder_kana=customer.account.holder_kana,
        balance=10_000_000,
    )
    return customer


def test_the_paying_account_shows_its_whole_balance_on_a_phone(page, live_server, customer, billers):
    page.goto(live_server.url + "/login/")
    fill_login(page, customer)
    page.get_by_role("button", name="ログイン", exact=True).click()
    for path in ("/transfer/", "/payeasy/"):
        page.goto(live_server.url + path)
        if path == "/payeasy/":
            page.get_by_label("収納機関番号").fill("78901")
            page.get_by_role("button", name="次へ").click()
        select = page.get_by_label("支払口座")
        for option in ("1", "2"):
            select.select_option(index=int(option) - 1)
            for width in (320, 375):
                page.set_viewport_size({"width": width, "height": 800})
                text, needed, room, em = select.evaluate(TEXT_AND_ROOM)
                assert em > 0.9, "no Japanese font: the browser measures kana as a phone never would (make chromium)"
                assert "円" in text and needed <= room, (path, width, text, needed, room)
    assert "1,151,860円" in page.get_by_label("支払口座").inner_text()


def test_the_mobile_amount_page_fits_240_px(page, live_server, customer):
    payee = registered_payee(customer)
    page.set_viewport_size({"width": 240, "height": 320})
    page.goto(live_server.url + "/m/")
    page.get_by_label("契約者ID（利用者番号）").fill(customer.contract_id)
    page.get_by_label("ログインパスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.goto(live_server.url + f"/m/transfer/payee/{payee.pk}/")
    scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll <= inner, (scroll, inner)


def test_the_header_keeps_インターネットバンキング_whole_at_320_px(page, live_server):
    """The service's name goes under the bank's name as a whole, never split as 「インターネットバ／ンキング」."""
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(live_server.url + "/login/")
    name = page.locator(".bank-name span")
    assert name.inner_text() == "インターネットバンキング"
    assert name.evaluate("(span) => span.getClientRects().length") == 1  # one box: one line
    scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll <= inner, (scroll, inner)
