"""ログイン履歴 (issue 18): the last 20 logins and failed attempts, newest first, with channel, browser and
whether the environment was new."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.helpers import analyze, compiled_plan, known_environment, login, post_login

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "Version/17.0 Mobile/15E148 Safari/604.1"
)
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
DOCOMO = "DoCoMo/2.0 P903i(c100;TB;W24H12)"


def _rows(client):
    response = client.get(reverse("accounts-login-history"))
    assert response.status_code == 200
    return [(a.ok, a.channel, a.browser, a.new_environment, a.reason) for a in response.context["attempts"]]


def test_logins_and_failures_newest_first_with_browser_and_environment(contract, stranger, fake_clock):
    Client(HTTP_USER_AGENT=FIREFOX).post(
        reverse("accounts-login"), {"contract_id": contract.contract_id, "password": "x" * 8}
    )  # a wrong password, from Firefox on Linux
    fake_clock.advance(60)
    post_login(Client(HTTP_USER_AGENT=IPHONE), contract)  # a new environment, a phone
    fake_clock.advance(60)
    post_login(Client(), stranger, "wrong-password")  # another contract's failure: never shown here
    own = Client()
    known_environment(own, contract)
    fake_clock.advance(60)
    login(own, contract)
    assert _rows(own) == [
        (True, "パソコン", "Chrome（Windows）", False, ""),
        (True, "スマートフォン", "Safari（iOS）", True, ""),
        (False, "パソコン", "Firefox（Linux）", False, "パスワードの誤り"),
    ]
    page = own.get(reverse("accounts-login-history")).content.decode()
    assert "新しい環境" in page and "パスワードの誤り" in page


def test_a_failure_between_two_logins_stands_between_them(contract, fake_clock):
    """Logins and failures are one list in time: a wrong password tried after the phone's login is newer
    than that login, and the customer reads it where it happened."""
    post_login(Client(HTTP_USER_AGENT=IPHONE), contract)
    fake_clock.advance(60)
    Client(HTTP_USER_AGENT=FIREFOX).post(
        reverse("accounts-login"), {"contract_id": contract.contract_id, "password": "x" * 8}
    )
    fake_clock.advance(60)
    own = Client()
    login(own, contract)
    assert [(ok, browser) for ok, _channel, browser, _new, _reason in _rows(own)] == [
        (True, "Chrome（Windows）"),
        (False, "Firefox（Linux）"),
        (True, "Safari（iOS）"),
    ]


def test_a_failed_login_at_the_feature_phone_site_is_shown_on_it(contract, fake_clock):
    """A wrong password at /m/ says 携帯電話, as a login there does (LoginRecord.Channel.MOBILE), from a
    feature phone and from any other browser alike; the same browser's wrong password at /login/ does not."""
    wrong = {"contract_id": contract.contract_id, "password": "x" * 8}
    for agent, path in ((DOCOMO, "mobile-login"), (IPHONE, "mobile-login"), (IPHONE, "accounts-login")):
        Client(HTTP_USER_AGENT=agent).post(reverse(path), wrong)
        fake_clock.advance(60)
    own = Client()
    login(own, contract)
    assert _rows(own)[1:] == [
        (False, "スマートフォン", "Safari（iOS）", False, "パスワードの誤り"),
        (False, "携帯電話", "Safari（iOS）", False, "パスワードの誤り"),
        (False, "携帯電話", "携帯電話", False, "パスワードの誤り"),
    ]


def test_at_most_twenty(client, contract, fake_clock):
    from accounts.models import LoginRecord

    for _ in range(25):
        LoginRecord.objects.create(contract=contract, channel=LoginRecord.Channel.PC, browser="Edge（Windows）")
        fake_clock.advance(1)
    login(client, contract)
    rows = _rows(client)
    assert len(rows) == 20 and rows[0][2] == "Chrome（Windows）"  # this login first


@pytest.mark.postgres
def test_a_contracts_previous_logins_are_read_from_an_index(contract, stranger):
    """Every login reads the contract's logins before it (前回ログイン日時): one range of an index in order, not
    every login the contract ever made, sorted."""
    from accounts import services as account_services
    from accounts.models import LoginRecord

    LoginRecord.objects.bulk_create(LoginRecord(contract=c, channel="pc") for c in (contract, stranger) * 1_000)
    analyze(LoginRecord)  # the plan at size, as autovacuum's statistics show it: a tiny table makes any plan cheap
    plan = compiled_plan(account_services._PREVIOUS, contract.pk, 0)
    assert "loginrecord_contract_at" in plan and "Sort" not in plan, plan
