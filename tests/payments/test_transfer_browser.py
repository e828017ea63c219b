"""振込 end to end in Chromium: with the OTP (same bank, then another bank found by name) and with the card."""

import re
import time
from urllib.parse import parse_qs

import pytest
from django.conf import settings
from playwright.sync_api import expect

from accounts.models import Account, Contract
from payments.models import Transfer
from tests.conftest import CARD_GRID
from tests.helpers import authorize_with_otp, confirm_and_authorize_with_otp, enter_transfer, fill_login, result_status

pytestmark = pytest.mark.django_db(transaction=True)


def _login(page, live_server, contract):
    page.goto(live_server.url + "/login/")
    fill_login(page, contract)
    page.get_by_role("button", name="ログイン", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("メニュー")


def test_transfers_with_the_otp_same_bank_and_other_bank(page, live_server, make_contract, make_token):
    customer = make_contract(balance=1_000_000)
    _binding, key = make_token(customer, login_otp=False, bound_days_ago=1)
    payee = make_contract(balance=0)
    _login(page, live_server, customer)

    page.get_by_role("link", name="振込", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("振込")
    enter_transfer(
        page,
        bank=settings.IBANK_BANK_CODE,
        branch="001",
        number=payee.account.number,
        name="てすと　たろう",
        amount="１２，０００",
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("振込内容の確認")
    expect(page.locator(".facts")).to_contain_text(payee.account.holder_kana)
    confirm_and_authorize_with_otp(page, key, time.time())
    expect(result_status(page)).to_have_text("お振込が完了しました。")
    reference = page.locator(".reference").inner_text()
    assert Transfer.objects.get(reference=reference).status == Transfer.Status.DONE
    assert Account.objects.get(pk=payee.account.pk).balance == 12_000
    page.get_by_role("button", name="この振込先を登録する").click()
    expect(page.get_by_text("振込先を登録しました。")).to_be_visible()

    # Another bank, found by name and by the branch's reading.
    page.get_by_role("link", name="メニューに戻る").first.click()
    page.get_by_role("link", name="振込", exact=True).click()
    page.get_by_role("link", name="金融機関・支店を名前から検索する").click()
    page.get_by_label("金融機関名（漢字・ひらがな・カタカナ）").fill("みつびし")
    page.get_by_role("button", name="検索").click()
    page.get_by_role("link", name=re.compile("三菱ＵＦＪ")).click()
    page.get_by_label("支店名（漢字・ひらがな・カタカナ）").fill("ほんてん")
    page.get_by_role("button", name="検索").click()
    page.get_by_role("link", name=re.compile("本店")).click()
    expect(page.get_by_label("金融機関コード")).to_have_value("0005")
    expect(page.get_by_label("支店番号")).to_have_value("001")
    enter_transfer(page, number="7654321", name="ﾔﾏﾀﾞ ﾊﾅｺ", amount="30000")
    expect(page.locator(".facts")).to_contain_text("440円")
    page.get_by_role("button", name="確認", exact=True).click()
    authorize_with_otp(page, key, time.time() + 30)  # the next code
    expect(result_status(page)).to_have_text("お振込を受け付けました。")
    expect(page.locator(".status")).to_have_text("受付済")

    page.get_by_role("link", name="入出金明細を見る").click()
    expect(page.locator("table.history tbody tr")).to_have_count(4)  # fee, other bank, same bank, deposit
    expect(page.locator("table.history")).to_contain_text("ﾔﾏﾀﾞ ﾊﾅｺ")

    # Over the limit (500,000 a day): refused, naming what is left.
    page.get_by_role("link", name="メニューに戻る").first.click()
    page.get_by_role("link", name="振込", exact=True).click()
    enter_transfer(
        page, bank=settings.IBANK_BANK_CODE, branch="001", number=payee.account.number, name="ﾃｽﾄ", amount="500000"
    )
    expect(page.get_by_text("本日お振込いただける金額はあと458,000円です。")).to_be_visible()
    expect(page.get_by_label("口座番号")).to_have_value(payee.account.number)


def test_transfer_with_the_card_challenge(page, live_server, make_contract):
    customer = make_contract(method=Contract.Method.CARD)
    payee = make_contract(balance=0)
    _login(page, live_server, customer)
    page.get_by_role("link", name="振込", exact=True).click()
    enter_transfer(
        page, bank=settings.IBANK_BANK_CODE, branch="001", number=payee.account.number, name="ﾃｽﾄ", amount="5000"
    )
    page.get_by_role("button", name="確認", exact=True).click()
    labels = page.locator("label[for^=id_card_]")
    expect(labels).to_have_count(4)
    cells = []
    for i in range(4):
        cells.append(re.search(r"（(\w\d)）", labels.nth(i).inner_text()).group(1))
        page.locator(f"#id_card_{i}").fill(CARD_GRID[cells[-1]])
    with page.expect_request(lambda r: r.method == "POST" and r.url.endswith("/authorize/")) as sent:
        page.get_by_role("button", name="実行").click()
    # The cells asked come back with the digits: a second click's right answer is then not taken for a guess.
    assert parse_qs(sent.value.post_data)["card_cells"] == [" ".join(cells)]
    expect(result_status(page)).to_have_text("お振込が完了しました。")
    assert Account.objects.get(pk=customer.account.pk).balance == 95_000
