"""The desktop token shows what its code would authorize (issue 17, the shinkin 取引認証 idea): the payee and
amount of the transaction awaiting 認証, next to the code."""

import hashlib
import hmac

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from otp.models import SoftwareToken, TokenBinding
from otp.views import AUTHORIZING_DOMAIN, STATUS_DOMAIN
from tests.pages import Walker
from tests.payments.helpers import confirmed_other_bank


def _sign(key, text):
    return hmac.new(key, text.encode(), hashlib.sha1).hexdigest()


def test_the_status_tells_what_awaits_authorization_only_to_a_fresh_proof(
    client, make_contract, make_token, fake_clock
):
    customer = make_contract(balance=500_000)
    binding, key = make_token(customer, kind="desktop", bound_days_ago=30)
    token_id = binding.software_token.token_id
    confirmed_other_bank(customer, 70_000)

    def ask(now_step):
        return client.get(
            reverse("otp-desktop-status"),
            {
                "token_id": token_id,
                "proof": _sign(key, STATUS_DOMAIN + token_id),
                "now": _sign(key, f"{AUTHORIZING_DOMAIN}{token_id}:{now_step}"),
            },
        ).json()

    step = int(fake_clock.epoch()) // 30
    answer = ask(step)
    assert answer["state"] == "registered"
    [item] = answer["authorizing"]
    assert "7654321" in item["payee"] and item["amount"] == "70,440"  # with the other bank's fee
    assert "authorizing" not in ask(step - 2)  # a proof seen a minute ago tells nothing
    fake_clock.advance(301)  # 確認 expired: nothing awaits
    assert ask(int(fake_clock.epoch()) // 30)["authorizing"] == []


def test_a_confirmed_pay_easy_payment_is_shown_too_newest_first(client, make_contract, make_token, fake_clock, billers):
    from payments import payeasy

    customer = make_contract(balance=500_000)
    binding, key = make_token(customer, kind="desktop", bound_days_ago=30)
    token_id = binding.software_token.token_id
    confirmed_other_bank(customer, 70_000)
    fake_clock.advance(10)
    payment = payeasy.payment_prepare(
        actor=None, contract=customer, bill=billers["electricity"], from_account=customer.account
    )
    payeasy.payment_confirm(actor=None, contract=customer, payment=payment)
    step = int(fake_clock.epoch()) // 30
    answer = client.get(
        reverse("otp-desktop-status"),
        {
            "token_id": token_id,
            "proof": _sign(key, STATUS_DOMAIN + token_id),
            "now": _sign(key, f"{AUTHORIZING_DOMAIN}{token_id}:{step}"),
        },
    ).json()
    assert answer["authorizing"][0] == {"payee": "さくら電力株式会社（58001）", "amount": "8,640"}
    assert "7654321" in answer["authorizing"][1]["payee"]


@pytest.mark.django_db(transaction=True)
def test_the_desktop_token_shows_the_payee_and_amount_beside_the_code(page, live_server, make_contract):
    customer = make_contract(balance=500_000)
    page.goto(live_server.url + "/token/")
    page.get_by_role("button", name="デスクトップ型トークンを発行する").click()
    card = page.locator(".desktop-token")
    expect(card.locator(".token-state")).to_contain_text("まだ利用登録されていません")
    token = SoftwareToken.objects.get()
    SoftwareToken.objects.filter(pk=token.pk).update(status=SoftwareToken.Status.ACTIVE)
    TokenBinding.objects.bind(customer, token, login_otp=False)
    page.reload()
    expect(card.locator(".authorizing")).to_be_hidden()
    confirmed_other_bank(customer, 70_000)  # the customer (or a relay) has confirmed a transfer
    expect(card.locator(".authorizing-payee")).to_contain_text("7654321", timeout=8_000)  # within a poll
    expect(card.locator(".authorizing-amount")).to_have_text("70,440円")
    expect(card.locator(".authorizing")).to_contain_text("お心当たりのないお取引の場合は")
    Walker(page).assert_fine("desktop token with its authorizing box")  # 320 px and axe-core
