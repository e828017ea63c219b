"""A change of the contract's settings sent twice by a double click, the second request evaluating its code
after the first applied the change: answered as the first was (the change, once), never "the code was used",
which the customer would take for a change not made."""

import pytest
from django.urls import reverse

from auditlog.models import AuditEntry
from otp import totp
from tests.conftest import CARD_GRID, PASSWORD, TRANSFER_PASSWORD
from tests.helpers import double_click, login

CHANGES = {
    "email": ("transfers-email", {"email": "new.taro@example.jp"}, "accounts-menu", "メールアドレスを変更しました。"),
    "limit": (
        "transfers-limit",
        {"limit": "3000000"},
        "transfers-limit",
        "振込限度額を変更しました。本日から適用されます。",
    ),
}


@pytest.mark.parametrize("topic", CHANGES)
def test_a_double_click_overlapping_the_first_is_answered_as_the_first(
    client, otp_customer, fake_clock, monkeypatch, topic
):
    page, value, after, told = CHANGES[topic]
    login(client, otp_customer)
    client.post(reverse(page), value)
    authorize = reverse(f"{page}-authorize")
    data = {"shown": client.get(authorize).context["shown"], "otp": totp.totp(otp_customer.key, fake_clock.t)}
    twin, response = double_click(monkeypatch, client, authorize, data)
    assert response["Location"] == reverse(after)
    assert told in twin.get(response["Location"]).content.decode()
    assert AuditEntry.objects.filter(action=f"{topic}.change", contract=otp_customer).count() == 1
    assert not AuditEntry.objects.filter(contract=otp_customer, outcome="failed").exclude(reason="reused").exists()


#: without a token a raise applies from tomorrow, within the lower ceiling (below the initial limit)
WITHOUT_TOKEN = {"email": CHANGES["email"], "limit": (*CHANGES["limit"][:1], {"limit": "150000"}, "transfers-limit")}
TOLD_WITHOUT_TOKEN = {"email": "メールアドレスを変更しました。", "limit": "振込限度額の変更を受け付けました。"}


@pytest.mark.parametrize("topic", CHANGES)
def test_the_page_sent_again_after_its_change_is_answered_as_the_first(client, contract, topic):
    """With the 資金移動用パスワード (nothing marks it used): the second request comes after the first changed
    the setting and ended its pending value; the page's name tells the change was made — not 「一定時間が経過
    したため」, which the customer would take for a change not made."""
    page, value, after = WITHOUT_TOKEN[topic][:3]
    told = TOLD_WITHOUT_TOKEN[topic]
    login(client, contract)
    if topic == "limit":
        client.post(reverse(page), {"limit": "100000"})  # lowered at once: what follows is a raise
    client.post(reverse(page), value)
    authorize = reverse(f"{page}-authorize")
    shown = client.get(authorize).context
    data = {"shown": shown["shown"], "attempt": shown["attempt"], "transfer_password": TRANSFER_PASSWORD}
    assert client.post(authorize, data)["Location"] == reverse(after)
    assert told in client.get(reverse(after)).content.decode()  # the first's message, shown
    again = client.post(authorize, data)
    assert again["Location"] == reverse(after)
    assert told in client.get(again["Location"]).content.decode()
    changes = AuditEntry.objects.filter(action=f"{topic}.change", contract=contract)
    assert changes.filter(detail__attempt=data["attempt"]).count() == 1  # made once


@pytest.mark.parametrize("topic", ["email", "limit", "transfer_password"])
def test_two_overlapping_clicks_authorized_by_the_transfer_password_change_once(client, contract, monkeypatch, topic):
    """Nothing marks the 資金移動用パスワード used: the second click's answer is right too (checked against the
    row as its request read it). What the first recorded meanwhile is not made again: one change, one notice."""
    from accounts.authorization import TransferPasswordMethod

    login(client, contract)
    if topic == "transfer_password":
        url = reverse("accounts-transfer-password")
        data = {"new_transfer_password": "240817", "new_transfer_password_again": "240817"}
    else:
        page, value, _after = WITHOUT_TOKEN[topic][:3]
        if topic == "limit":
            client.post(reverse(page), {"limit": "100000"})
        client.post(reverse(page), value)
        url = reverse(f"{page}-authorize")
        data = {"shown": client.get(url).context["shown"]}
    data = {**data, "attempt": client.get(url).context["attempt"], "transfer_password": TRANSFER_PASSWORD}
    _twin, response = double_click(monkeypatch, client, url, data, at=(TransferPasswordMethod, "authorize"))
    assert response.status_code == 302
    changes = AuditEntry.objects.filter(action=f"{topic}.change", contract=contract, detail__attempt=data["attempt"])
    assert changes.count() == 1
    assert not AuditEntry.objects.filter(contract=contract, outcome="failed").exists()


@pytest.mark.parametrize("topic", CHANGES)
def test_a_second_click_before_the_first_made_the_change_is_answered_as_the_first(
    client, otp_customer, fake_clock, monkeypatch, topic
):
    """The second click's code is evaluated after the first's was accepted, before the first made the change
    (it finds the code used and the change not yet in force): it is still answered with the change, made once."""
    from accounts import steps
    from tests.helpers import answered_after, twin_of

    page, value, after, told = CHANGES[topic]
    login(client, otp_customer)
    client.post(reverse(page), value)
    authorize = reverse(f"{page}-authorize")
    shown = client.get(authorize).context
    data = {"shown": shown["shown"], "attempt": shown["attempt"], "otp": totp.totp(otp_customer.key, fake_clock.t)}
    twin, seconds = twin_of(client), []
    answered_after(monkeypatch, lambda: seconds.append(twin.post(authorize, data)), at=(steps, "one_change"))
    first = client.post(authorize, data)
    assert [first["Location"], seconds[0]["Location"]] == [reverse(after)] * 2
    assert told in twin.get(reverse(after)).content.decode()
    assert AuditEntry.objects.filter(action=f"{topic}.change", contract=otp_customer).count() == 1
    assert not AuditEntry.objects.filter(contract=otp_customer, outcome="failed").exclude(reason="reused").exists()


def test_a_code_accepted_when_the_same_value_was_asked_before_changes_nothing_now(client, otp_customer, fake_clock):
    """The same raise asked for again later (lowered meanwhile): the code that authorized the first ask is a
    used code, not an answer to this one."""
    login(client, otp_customer)
    authorize = reverse("transfers-limit-authorize")
    code = totp.totp(otp_customer.key, fake_clock.t)

    def ask_and_answer():
        client.post(reverse("transfers-limit"), {"limit": "3000000"})
        shown = client.get(authorize).context
        return client.post(authorize, {"shown": shown["shown"], "attempt": shown["attempt"], "otp": code})

    assert ask_and_answer()["Location"] == reverse("transfers-limit")
    fake_clock.advance(5)  # the code is still within the verifier's window, as used
    client.post(reverse("transfers-limit"), {"limit": "100000"})  # a lowering applies at once
    again = ask_and_answer()
    assert again.status_code == 200 and "使用済み" in again.content.decode()
    assert AuditEntry.objects.filter(action="limit.change", contract=otp_customer).count() == 2
    assert otp_customer.__class__.objects.get(pk=otp_customer.pk).daily_transfer_limit == 100_000


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("topic", CHANGES)
def test_six_clicks_at_once_with_the_otp_are_each_answered_with_the_change(otp_customer, fake_clock, topic):
    from django.test import Client

    from tests.concurrency import run_concurrently
    from tests.helpers import twin_of

    page, value, after, _told = CHANGES[topic]
    client = Client()
    login(client, otp_customer)
    client.post(reverse(page), value)
    authorize = reverse(f"{page}-authorize")
    shown = client.get(authorize).context
    data = {"shown": shown["shown"], "attempt": shown["attempt"], "otp": totp.totp(otp_customer.key, fake_clock.t)}
    responses = run_concurrently(lambda _i: twin_of(client).post(authorize, data), 6)
    assert [(r.status_code, r.get("Location")) for r in responses] == [(302, reverse(after))] * 6
    assert AuditEntry.objects.filter(action=f"{topic}.change", contract=otp_customer).count() == 1
    assert not AuditEntry.objects.filter(contract=otp_customer, outcome="failed").exclude(reason="reused").exists()


SECRETS = {
    "transfer_password": ("accounts-transfer-password", {"new_transfer_password": "240817"}),
    "password": ("accounts-password", {"current_password": PASSWORD, "new_password": "Sakura2027"}),
}


@pytest.mark.parametrize("phone", [False, True], ids=["browser", "phone"])
def test_a_password_change_sent_again_with_the_old_cookie_goes_to_the_menu(
    client, otp_customer, contract, fake_clock, phone
):
    """The change gives the session a new key; the second press left before the first's answer came, with the
    old key: it is sent to the menu (where the browser holds the new key and the change is said), not to the
    login page as a customer logged out; the old key logs no one in, and ten seconds on it is a key as any."""
    from tests.helpers import twin_of
    from tests.mobile.test_mobile import mobile_login

    if phone:  # /m/: a contract without a token authorizes with its 資金移動用パスワード
        prefix, customer = "mobile", contract
        mobile_login(client, customer, PASSWORD)
        authorization = {"transfer_password": TRANSFER_PASSWORD}
    else:
        prefix, customer = "accounts", otp_customer
        login(client, customer)
        authorization = {"otp": totp.totp(customer.key, fake_clock.t)}
    url, fields = reverse(f"{prefix}-password"), SECRETS["password"][1]
    data = {**fields, "new_password_again": fields["new_password"], **authorization}
    data["attempt"] = client.get(url).context["attempt"]
    second, later = twin_of(client), twin_of(client)
    menu = reverse(f"{prefix}-menu")
    assert client.post(url, data)["Location"] == menu
    assert second.post(url, data)["Location"] == menu
    assert second.get(menu).status_code == 302  # not logged in by the old key
    assert "ログインパスワードを変更しました" in client.get(menu).content.decode()
    fake_clock.advance(11)
    assert later.post(url, data)["Location"].startswith(reverse(f"{prefix}-login"))
    assert AuditEntry.objects.filter(action="password.change", contract=customer).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("topic", SECRETS)
def test_six_clicks_at_once_of_a_secrets_change_with_the_otp_are_each_told_the_change(otp_customer, fake_clock, topic):
    """No entry binds an answer to a new secret, so a used code never changes one: the clicks that find it used
    wait for the change the first is making, and are told it."""
    from django.test import Client

    from tests.concurrency import run_concurrently
    from tests.helpers import twin_of

    url_name, fields = SECRETS[topic]
    client = Client()
    login(client, otp_customer)
    url = reverse(url_name)
    again = {f"{name}_again": value for name, value in fields.items() if name.startswith("new_")}
    data = {**fields, **again, "attempt": client.get(url).context["attempt"]}
    data["otp"] = totp.totp(otp_customer.key, fake_clock.t)
    responses = run_concurrently(lambda _i: twin_of(client).post(url, data), 6)
    assert [(r.status_code, r.get("Location")) for r in responses] == [(302, reverse("accounts-menu"))] * 6
    assert AuditEntry.objects.filter(action=f"{topic}.change", contract=otp_customer).count() == 1
    assert not AuditEntry.objects.filter(contract=otp_customer, outcome="failed").exclude(reason="reused").exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_clicks_in_the_gap_between_the_firsts_answer_and_its_change_are_told_the_change(
    otp_customer, fake_clock, monkeypatch
):
    """The first click's code is accepted, then it is slow to start its change (half a second): the clicks
    that find the code used meanwhile wait for that change and are told it, never 「使用済み」."""
    import time

    from django.test import Client

    from otp.authorization import OtpMethod
    from tests.concurrency import run_concurrently
    from tests.helpers import twin_of

    original, slowed = OtpMethod.authorize, []

    def slow_after_the_first_acceptance(self, **kwargs):
        outcome = original(self, **kwargs)
        if outcome.ok and not slowed:
            slowed.append(True)
            time.sleep(0.5)
        return outcome

    monkeypatch.setattr(OtpMethod, "authorize", slow_after_the_first_acceptance)
    client = Client()
    login(client, otp_customer)
    url = reverse("accounts-transfer-password")
    data = {"new_transfer_password": "240817", "new_transfer_password_again": "240817"}
    data |= {"attempt": client.get(url).context["attempt"], "otp": totp.totp(otp_customer.key, fake_clock.t)}
    responses = run_concurrently(lambda _i: twin_of(client).post(url, data), 4)
    assert [(r.status_code, r.get("Location")) for r in responses] == [(302, reverse("accounts-menu"))] * 4
    assert AuditEntry.objects.filter(action="transfer_password.change", contract=otp_customer).count() == 1


@pytest.mark.parametrize("topic", CHANGES)
def test_a_card_customers_second_click_before_the_first_made_the_change_is_answered_as_the_first(
    client, make_contract, monkeypatch, topic
):
    """With the お客様カード, the form as the page sends it: the second click comes whole after the first's
    answer consumed the challenge, before the first made the change. The cells it sends back are those just
    answered, so its right answer is recognised (never counted or audited as wrong) and it is told the change."""
    from accounts import steps
    from accounts.models import Contract
    from tests.helpers import answered_after, card_answer_as_sent, twin_of

    contract = make_contract(method=Contract.Method.CARD)
    page, value, after = WITHOUT_TOKEN[topic][:3]
    login(client, contract)
    if topic == "limit":
        client.post(reverse(page), {"limit": "100000"})  # lowered at once: what follows is a raise
    client.post(reverse(page), value)
    authorize = reverse(f"{page}-authorize")
    data = card_answer_as_sent(client.get(authorize).content.decode(), CARD_GRID)
    twin, seconds = twin_of(client), []
    answered_after(monkeypatch, lambda: seconds.append(twin.post(authorize, data)), at=(steps, "one_change"))
    first = client.post(authorize, data)
    assert [first["Location"], seconds[0]["Location"]] == [reverse(after)] * 2
    assert TOLD_WITHOUT_TOKEN[topic] in twin.get(reverse(after)).content.decode()
    changes = AuditEntry.objects.filter(action=f"{topic}.change", contract=contract, detail__attempt=data["attempt"])
    assert changes.count() == 1  # made once (the limit's lowering before it is a change of its own)
    assert Contract.objects.get(pk=contract.pk).transaction_failures == 0
    assert not AuditEntry.objects.filter(contract=contract, outcome="failed").exclude(reason="reused").exists()
