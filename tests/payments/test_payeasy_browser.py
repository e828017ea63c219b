"""収納サービス (Pay-easy) end to end in Chromium, authorized with the OTP."""

import time

import pytest
from playwright.sync_api import expect

from accounts.models import Account
from payments.models import Bill, Payment
from tests.helpers import confirm_and_authorize_with_otp, fill_login, result_status

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_bill_paid_with_the_otp(page, live_server, make_contract, make_token, billers):
    customer = make_contract(balance=200_000)
    _binding, key = make_token(customer, login_otp=False, bound_days_ago=1)
    page.goto(live_server.url + "/login/")
    fill_login(page, customer)
    page.get_by_role("button", name="ログイン", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("メニュー")

    page.get_by_role("link", name="収納サービス（Pay-easy）").click()
    page.get_by_label("収納機関番号").fill("78901")
    page.get_by_role("button", name="次へ").click()
    expect(page.locator(".facts")).to_contain_text("さくら市")
    page.get_by_label("納付番号").fill("1234567890123456")
    page.get_by_label("確認番号").fill("123456")
    page.get_by_label("納付区分").fill("101")
    page.get_by_role("button", name="確認画面へ").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("払込内容の確認")
    expect(page.locator(".facts")).to_contain_text("固定資産税（第3期）")
    expect(page.locator(".facts")).to_contain_text("45,600円")
    confirm_and_authorize_with_otp(page, key, time.time())

    expect(result_status(page)).to_have_text("お支払いが完了しました。")
    reference = page.locator(".reference").inner_text()
    assert Payment.objects.get(reference=reference).status == Payment.Status.DONE
    assert Bill.objects.get(pk=billers["tax"].pk).paid_reference == reference
    assert Account.objects.get(pk=customer.account.pk).balance == 200_000 - 45_600
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
