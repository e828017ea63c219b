"""A passkey's answers through the pages with a software authenticator (tests/phishing/passkey_steps.py): a
transfer, a Pay-easy payment, a limit raise and a login authorized once; a changed, foreign, copied or
relayed answer refused with the page's message, nothing moved; a double click answered as the first."""

import copy
import json

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from accounts.models import Account, Contract
from auditlog.models import AuditEntry
from passkeys.authorization import REFUSED
from payments.models import Transfer
from tests.authenticator import Authenticator
from tests.payments.helpers import confirm, enter, same_bank_data
from tests.phishing.passkey_steps import (
    EXAMPLES,
    changed_answer,
    confirmed_with_passkey,
    passkey_answer,
    registered,
    sent,
)


def test_a_transfer_authorized_by_the_passkey_moves_once(client, contract, stranger):
    authenticator, transfer, url, challenge, options = confirmed_with_passkey(client, contract, stranger)
    before = Account.objects.get(pk=contract.account.pk).balance
    answer = json.dumps(authenticator.get(options))
    response = client.post(url, sent(challenge, answer))
    assert response.status_code == 302
    assert Transfer.objects.get(pk=transfer.pk).status == Transfer.Status.DONE
    assert Account.objects.get(pk=contract.account.pk).balance == before - 1_000
    entry = AuditEntry.objects.get(action="transfer.authorize", contract=contract, outcome="ok")
    assert entry.detail["method"] == "passkey"


def test_an_answer_after_the_challenges_five_minutes_is_refused_and_moves_nothing(
    client, contract, stranger, fake_clock
):
    """The challenge lives as long as the browser is told to wait (300 s): an answer held back longer (a relay
    that waits for its moment) is refused as 「時間が経過しました」; a new challenge from the page works."""
    authenticator, transfer, url, challenge, options = confirmed_with_passkey(client, contract, stranger)
    answer = json.dumps(authenticator.get(options))
    fake_clock.advance(300)
    response = client.post(url, sent(challenge, answer))
    assert response.status_code == 200 and str(REFUSED["changed"]) in response.content.decode()
    assert Transfer.objects.get(pk=transfer.pk).status == Transfer.Status.CONFIRMED
    assert client.post(url, passkey_answer(client, url, authenticator)).status_code == 302
    assert Transfer.objects.get(pk=transfer.pk).status == Transfer.Status.DONE


@pytest.mark.django_db(transaction=True)
@EXAMPLES
@given(data=st.data())
def test_a_changed_assertion_is_refused_with_the_pages_message_and_moves_nothing(make_contract, data):

    client, contract, stranger = Client(), make_contract(), make_contract()
    authenticator, transfer, url, challenge, options = confirmed_with_passkey(client, contract, stranger)
    before = Account.objects.get(pk=contract.account.pk).balance
    changed = data.draw(changed_answer(authenticator.get(options)))
    response = client.post(url, sent(challenge, changed))
    if response.status_code == 302:  # a change the server rightly ignores (the extensions' report)
        assert Transfer.objects.get(pk=transfer.pk).status == Transfer.Status.DONE
        return
    assert response.status_code == 200
    assert str(REFUSED["invalid"]) in response.content.decode()
    assert Transfer.objects.get(pk=transfer.pk).status == Transfer.Status.CONFIRMED
    assert Account.objects.get(pk=contract.account.pk).balance == before


def test_an_assertion_by_a_passkey_this_contract_does_not_have_is_refused(client, contract, stranger):
    """Another authenticator (another customer's passkey, or none registered) answering this transfer's own
    challenge: refused as invalid, nothing moved."""
    _authenticator, transfer, url, challenge, options = confirmed_with_passkey(client, contract, stranger)
    answer = json.dumps(Authenticator().get(options))
    response = client.post(url, sent(challenge, answer))
    assert response.status_code == 200
    assert str(REFUSED["invalid"]) in response.content.decode()
    assert Transfer.objects.get(pk=transfer.pk).status == Transfer.Status.CONFIRMED


def test_a_copy_of_the_passkey_that_counts_behind_it_is_refused(client, contract, stranger):
    """An authenticator keeps a signature counter; one that answers with a count not above the last one seen
    is a copy of the key (a cloned authenticator): refused as invalid, nothing moved."""
    authenticator, first, url, challenge, options = confirmed_with_passkey(client, contract, stranger)
    copied = copy.deepcopy(authenticator)
    answer = json.dumps(authenticator.get(options))
    assert client.post(url, sent(challenge, answer)).status_code == 302
    assert Transfer.objects.get(pk=first.pk).status == Transfer.Status.DONE
    _response, second = enter(client, same_bank_data(contract, stranger, amount=2_000))
    confirm(client, second)
    url = reverse("transfers-authorize", args=[second.reference])
    form = client.get(url).context["form"]
    answer = json.dumps(copied.get(json.loads(form.passkey.options)))  # the same count the first answer had
    response = client.post(url, sent(form.passkey.id, answer))
    assert response.status_code == 200
    assert str(REFUSED["invalid"]) in response.content.decode()
    assert Transfer.objects.get(pk=second.pk).status == Transfer.Status.CONFIRMED


def test_a_passkey_login_through_the_pages_gets_a_new_session_and_the_menu(client, contract):
    from accounts.login import PENDING_LOGIN
    from passkeys.login import FAILED
    from tests.helpers import post_login

    authenticator = registered(client, contract)
    browser = Client()
    assert post_login(browser, contract)["Location"] == reverse("passkeys-login")
    pending_key = browser.session.session_key
    page = browser.get(reverse("passkeys-login"))
    answer = json.dumps(authenticator.get(json.loads(page.context["options"])))
    response = browser.post(reverse("passkeys-login"), sent(page.context["challenge_id"], answer))
    assert response["Location"] == reverse("accounts-menu")
    assert browser.session.session_key != pending_key  # no session fixed before the login survives it
    assert PENDING_LOGIN not in browser.session  # the pending login ends with it
    assert browser.get(reverse("accounts-menu")).status_code == 200
    assert AuditEntry.objects.filter(action="login.passkey", contract=contract, outcome="ok").count() == 1
    # The same answer relayed into another login of the contract (its password typed elsewhere): refused.
    relay = Client()
    post_login(relay, contract)
    replayed = relay.post(reverse("passkeys-login"), sent(page.context["challenge_id"], answer), follow=True)
    assert replayed.redirect_chain == [(reverse("passkeys-login"), 302)]
    assert str(FAILED) in replayed.content.decode()
    assert relay.get(reverse("accounts-menu")).status_code == 302  # not logged in
    refused = AuditEntry.objects.filter(action="login.passkey", contract=contract, outcome="failed").get()
    assert refused.reason == "changed"


def test_a_double_click_with_the_passkey_moves_once_and_is_answered_as_the_first(client, contract, stranger):
    """The same answer sent twice (a double click): the second finds its challenge used and is answered with
    the transfer's result, as the first was — never told refused, never counted toward a lock."""
    authenticator, transfer, url, challenge, options = confirmed_with_passkey(client, contract, stranger)
    data = sent(challenge, authenticator.get(options))
    first, second = client.post(url, data), client.post(url, data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Transfer.objects.get(pk=transfer.pk).status == Transfer.Status.DONE
    assert Account.objects.get(pk=contract.account.pk).balance == 100_000 - 1_000
    assert not AuditEntry.objects.filter(action="transfer.authorize", contract=contract, outcome="failed").exists()
    assert Contract.objects.get(pk=contract.pk).transaction_failures == 0


@pytest.mark.parametrize("waits_at", ["before the challenge is read", "after the challenge is read"])
def test_a_double_click_overlapping_the_first_is_answered_as_the_first(
    client, contract, stranger, monkeypatch, waits_at
):
    """The second request passed its checks before the first moved the money, then finds the challenge used —
    or, having read it unused, finds the passkey's counter moved past its answer by the first: answered with
    the result, as the first was; audited as a reuse, never as a bad answer."""
    from passkeys import ceremony
    from passkeys.authorization import PasskeyMethod
    from tests.helpers import double_click

    authenticator, transfer, url, challenge, options = confirmed_with_passkey(client, contract, stranger)
    data = sent(challenge, authenticator.get(options))
    at = (PasskeyMethod, "authorize") if waits_at.startswith("before") else (ceremony, "parsed")
    twin, response = double_click(monkeypatch, client, url, data, at=at)
    assert response["Location"] == reverse("transfers-result", args=[transfer.reference])
    assert transfer.reference in twin.get(response["Location"]).content.decode()  # the result, with its 受付番号
    assert Transfer.objects.get(pk=transfer.pk).status == Transfer.Status.DONE
    assert Account.objects.get(pk=contract.account.pk).balance == 100_000 - 1_000
    failed = AuditEntry.objects.filter(action="transfer.authorize", contract=contract, outcome="failed")
    assert set(failed.values_list("reason", flat=True)) <= {"reused"}
    assert Contract.objects.get(pk=contract.pk).transaction_failures == 0


@pytest.mark.parametrize("answer", ["", "{", "[" * 100_000, '{"id": "x"}', "null"])
def test_an_assertion_that_is_no_credential_is_refused(client, contract, stranger, answer):
    _authenticator, transfer, url, challenge, _options = confirmed_with_passkey(client, contract, stranger)
    response = client.post(url, sent(challenge, answer))
    assert response.status_code == 200
    assert Transfer.objects.get(pk=transfer.pk).status == Transfer.Status.CONFIRMED


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_eight_simultaneous_submissions_of_one_answer_move_money_once(make_contract):
    """The same assertion sent eight times at once from the customer's session (separate connections): one
    movement, no server error, every answer the result, no lock, no wrong answer audited."""

    from ledger.models import JournalEntry
    from tests.concurrency import posted_at_once

    client, contract, stranger = Client(), make_contract(), make_contract()
    authenticator, transfer, url, challenge, options = confirmed_with_passkey(client, contract, stranger)
    data = sent(challenge, authenticator.get(options))
    statuses = posted_at_once(client, url, data, 8)
    assert statuses == [302] * 8  # each on the result: none told 「既に使われています」 while the money moves
    assert JournalEntry.objects.filter(reference=transfer.reference).count() == 1
    assert Account.objects.get(pk=contract.account.pk).balance == 100_000 - 1_000
    assert Contract.objects.get(pk=contract.pk).transaction_failures == 0
    failed = AuditEntry.objects.filter(action="transfer.authorize", contract=contract, outcome="failed")
    assert set(failed.values_list("reason", flat=True)) <= {"reused"}


@pytest.mark.parametrize("waits_at", ["verify_login", "parsed"])
def test_a_double_click_of_the_passkey_login_goes_to_the_menu_it_logged_in_to(client, contract, monkeypatch, waits_at):
    """The second click is answered after the first logged in with the same answer: not 「認証できませんでした」
    on a login page whose session the first ended, but the menu, which the first's session opens."""

    from passkeys import ceremony
    from tests.helpers import double_click, post_login

    authenticator = registered(client, contract)
    browser = Client()
    post_login(browser, contract)
    page = browser.get(reverse("passkeys-login"))
    data = sent(page.context["challenge_id"], authenticator.get(json.loads(page.context["options"])))
    _twin, response = double_click(monkeypatch, browser, reverse("passkeys-login"), data, at=(ceremony, waits_at))
    assert response["Location"] == reverse("accounts-menu")
    assert browser.get(reverse("accounts-menu")).status_code == 200  # the first click's session
    failed = AuditEntry.objects.filter(action="login.passkey", contract=contract, outcome="failed")
    assert set(failed.values_list("reason", flat=True)) <= {"reused"}


def test_the_login_answer_sent_again_after_the_login_goes_to_the_menu(client, contract):
    """Sent again from the logged-in browser (a second press of the button, once the first logged in): the
    menu, not 「一定時間が経過したため」 on the login page."""
    from tests.helpers import post_login

    authenticator = registered(client, contract)
    browser = Client()
    post_login(browser, contract)
    page = browser.get(reverse("passkeys-login"))
    data = sent(page.context["challenge_id"], authenticator.get(json.loads(page.context["options"])))
    assert browser.post(reverse("passkeys-login"), data)["Location"] == reverse("accounts-menu")
    assert browser.post(reverse("passkeys-login"), data)["Location"] == reverse("accounts-menu")
    assert browser.get(reverse("accounts-menu")).status_code == 200
    assert AuditEntry.objects.filter(action="login.passkey", contract=contract, outcome="ok").count() == 1


def _login_answered(make_contract):
    """A contract with a passkey, a browser past its password at the passkey's login page, and the answer
    to send: (browser, contract, the form's data)."""
    from tests.helpers import post_login

    contract = make_contract()
    authenticator = registered(Client(), contract)
    browser = Client()
    post_login(browser, contract)
    page = browser.get(reverse("passkeys-login"))
    return browser, contract, sent(page.context["challenge_id"], authenticator.get(json.loads(page.context["options"])))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_six_simultaneous_submissions_of_the_login_answer_each_go_to_the_menu(make_contract):
    from tests.concurrency import run_concurrently
    from tests.helpers import twin_of

    browser, contract, data = _login_answered(make_contract)
    responses = run_concurrently(lambda _i: twin_of(browser).post(reverse("passkeys-login"), data), 6)
    assert [r.get("Location") for r in responses] == [reverse("accounts-menu")] * 6
    assert AuditEntry.objects.filter(action="login.passkey", contract=contract, outcome="ok").count() == 1


def test_the_login_answer_sent_again_with_the_old_cookie_after_the_login_goes_to_the_menu(make_contract):
    """The second press leaves after the first logged in, with the cookie whose key that login replaced: the
    menu, not 「一定時間が経過したため」."""
    from tests.helpers import twin_of

    browser, contract, data = _login_answered(make_contract)
    second = twin_of(browser)
    assert browser.post(reverse("passkeys-login"), data)["Location"] == reverse("accounts-menu")
    assert second.post(reverse("passkeys-login"), data)["Location"] == reverse("accounts-menu")
    assert second.get(reverse("accounts-menu")).status_code == 302  # the old key logs no one in
    assert AuditEntry.objects.filter(action="login.passkey", contract=contract, outcome="ok").count() == 1


def test_a_pay_easy_payment_authorized_by_the_passkey_pays_once(client, contract, billers):
    from payments.models import Payment

    authenticator = registered(client, contract)
    client.post(reverse("payeasy-new"), {"biller_number": "58001"})
    numbers = {"customer_number": "12345678901234", "confirmation_number": "1234"}
    response = client.post(reverse("payeasy-numbers"), {"from_account": contract.account.pk, **numbers})
    reference = response["Location"].split("/")[2]
    client.post(reverse("payeasy-confirm", args=[reference]))
    url = reverse("payeasy-authorize", args=[reference])
    answer = passkey_answer(client, url, authenticator)
    assert client.post(url, answer)["Location"] == reverse("payeasy-result", args=[reference])
    assert Payment.objects.get(reference=reference).status == Payment.Status.DONE
    assert Account.objects.get(pk=contract.account.pk).balance == 100_000 - 8_640
    assert client.post(url, answer)["Location"] == reverse("payeasy-result", args=[reference])  # sent again
    assert Account.objects.get(pk=contract.account.pk).balance == 100_000 - 8_640


def test_a_limit_raise_authorized_by_the_passkey_applies_at_once(client, contract):
    from payments import services

    authenticator = registered(client, contract)
    client.post(reverse("transfers-limit"), {"limit": "100000"})  # lowered at once: what follows is a raise
    assert client.post(reverse("transfers-limit"), {"limit": "150000"})["Location"] == reverse(
        "transfers-limit-authorize"
    )
    url = reverse("transfers-limit-authorize")
    shown = client.get(url).context["shown"]
    response = client.post(url, {"shown": shown, **passkey_answer(client, url, authenticator)})
    assert response["Location"] == reverse("transfers-limit")
    assert services.daily_limit(Contract.objects.get(pk=contract.pk), services.today()) == 150_000


def test_an_answer_for_the_limit_page_does_not_authorize_a_transfer(client, contract, stranger):
    """The challenge is bound to what the page authorizes: an answer made on the limit's page, sent to a
    transfer's 認証, is refused as made for something else; nothing moves."""
    authenticator, transfer, transfer_url, _challenge, _options = confirmed_with_passkey(client, contract, stranger)
    client.post(reverse("transfers-limit"), {"limit": "100000"})
    client.post(reverse("transfers-limit"), {"limit": "150000"})
    answer = passkey_answer(client, reverse("transfers-limit-authorize"), authenticator)
    response = client.post(transfer_url, answer)
    assert response.status_code == 200
    assert str(REFUSED["changed"]) in response.content.decode()
    assert Transfer.objects.get(pk=transfer.pk).status == Transfer.Status.CONFIRMED


def test_a_synced_passkey_whose_counter_stays_zero_authorizes_every_time(client, contract, stranger):
    """A passkey kept in a phone's keychain answers with a signature counter of 0 each time: not a copy, and
    each transfer it authorizes moves once."""
    authenticator = registered(client, contract, Authenticator(counts=False))
    for amount in (1_000, 2_000):
        _response, transfer = enter(client, same_bank_data(contract, stranger, amount=amount))
        confirm(client, transfer)
        url = reverse("transfers-authorize", args=[transfer.reference])
        assert client.post(url, passkey_answer(client, url, authenticator)).status_code == 302
        assert Transfer.objects.get(pk=transfer.pk).status == Transfer.Status.DONE
    assert Account.objects.get(pk=contract.account.pk).balance == 100_000 - 3_000


def test_an_answer_without_the_devices_lock_is_refused(client, contract, stranger):
    """The passkey must be unlocked by the customer (fingerprint, face, PIN: user verification), not only
    touched: an answer that says only a touch is refused, nothing moves."""
    authenticator, transfer, url, challenge, options = confirmed_with_passkey(client, contract, stranger)
    authenticator.verifies = False
    answer = json.dumps(authenticator.get(options))
    response = client.post(url, sent(challenge, answer))
    assert str(REFUSED["invalid"]) in response.content.decode()
    assert Transfer.objects.get(pk=transfer.pk).status == Transfer.Status.CONFIRMED


@pytest.mark.parametrize(
    "origin, rp_id",
    [("https://ibank-login.example", "testserver"), ("https://ibank-login.example", "ibank-login.example")],
)
def test_an_answer_made_on_another_site_is_refused(client, contract, stranger, origin, rp_id):
    """What a phishing kit that relays the page would get: the browser signs the site it is on (the kit's
    origin, and for its own domain another key scope). Refused, nothing moves: why a passkey cannot be relayed
    as a code can."""
    authenticator, transfer, url, challenge, options = confirmed_with_passkey(client, contract, stranger)
    authenticator.origin, authenticator.rp_id = origin, rp_id
    answer = json.dumps(authenticator.get(options))
    response = client.post(url, sent(challenge, answer))
    assert str(REFUSED["invalid"]) in response.content.decode()
    assert Transfer.objects.get(pk=transfer.pk).status == Transfer.Status.CONFIRMED


def test_every_change_a_passkey_authorizes_is_made_with_its_answer(client, contract):
    """The e-mail address, the login password and the 資金移動用パスワード, each authorized on its page by a real
    passkey answer (each page's challenge is bound to what that page shows)."""
    from django.contrib.auth.hashers import check_password

    from tests.conftest import PASSWORD

    authenticator = registered(client, contract)
    client.post(reverse("transfers-email"), {"email": "new.taro@example.jp"})
    url = reverse("transfers-email-authorize")
    shown = client.get(url).context["shown"]
    assert client.post(url, {"shown": shown, **passkey_answer(client, url, authenticator)}).status_code == 302
    assert Contract.objects.get(pk=contract.pk).email == "new.taro@example.jp"

    url, new = reverse("accounts-password"), "Newpass123"
    page = client.get(url).context
    typed = {"current_password": PASSWORD, "new_password": new, "new_password_again": new, "attempt": page["attempt"]}
    assert client.post(url, {**typed, **passkey_answer(client, url, authenticator)}).status_code == 302
    assert check_password(new, Contract.objects.select_related("user").get(pk=contract.pk).user.password)

    url = reverse("accounts-transfer-password")
    page = client.get(url).context
    typed = {"new_transfer_password": "24680", "new_transfer_password_again": "24680", "attempt": page["attempt"]}
    assert client.post(url, {**typed, **passkey_answer(client, url, authenticator)}).status_code == 302
    assert Contract.objects.get(pk=contract.pk).check_transfer_password("24680")


def test_the_passkey_may_be_skipped_only_where_it_is_the_whole_second_step(make_contract, make_token):
    """Without the OTP at login, 「パスキーを使わずにログイン」 logs in as before the passkey; with it, the
    passkey's page stands in for the code and a skip sent to it logs nothing in."""
    from tests.helpers import post_login

    alone = make_contract()
    registered(Client(), alone)
    browser = Client()
    post_login(browser, alone)
    assert browser.get(reverse("passkeys-login")).context["may_skip"]
    assert browser.post(reverse("passkeys-login"), {"skip": "1"})["Location"] == reverse("accounts-menu")
    assert browser.get(reverse("accounts-menu")).status_code == 200

    with_code = make_contract()
    registered(Client(), with_code)
    make_token(with_code)  # 認証する: the code at login too
    browser = Client()
    assert post_login(browser, with_code)["Location"] == reverse("accounts-login-otp")
    assert not browser.get(reverse("passkeys-login")).context["may_skip"]
    assert browser.post(reverse("passkeys-login"), {"skip": "1"}).status_code == 200  # the page again
    assert browser.get(reverse("accounts-menu")).status_code == 302
    logins = AuditEntry.objects.filter(action="login", outcome="ok")
    assert logins.filter(contract=alone).count() == 2  # at registration, and the skip
    assert logins.filter(contract=with_code).count() == 1  # at registration only


def test_a_lock_set_after_the_password_ends_the_passkey_login(make_contract):
    """The branch's IB取引中止 lands between the password and the passkey: the answer logs nothing in, the
    pending login is gone (lifting the lock does not revive it), and the login page says so."""
    from accounts import locks
    from accounts.models import Lock
    from passkeys.login import EXPIRED
    from tests.helpers import post_login

    contract = make_contract()
    authenticator = registered(Client(), contract)
    logins = AuditEntry.objects.filter(action="login", contract=contract, outcome="ok")
    assert logins.count() == 1  # at registration
    browser = Client()
    post_login(browser, contract)
    page = browser.get(reverse("passkeys-login"))
    answer = sent(page.context["challenge_id"], authenticator.get(json.loads(page.context["options"])))
    locks.set_lock(contract, Lock.Kind.IB_SUSPENSION, reason="test", by="staff:clerk")
    response = browser.post(reverse("passkeys-login"), answer, follow=True)
    assert response.redirect_chain[-1][0] == reverse("accounts-login")
    assert str(EXPIRED) in response.content.decode()
    locks.lift(contract, Lock.Kind.IB_SUSPENSION, by="staff:clerk")
    assert browser.post(reverse("passkeys-login"), answer)["Location"] == reverse("accounts-login")
    assert browser.get(reverse("accounts-menu")).status_code == 302
    assert logins.count() == 1 and not AuditEntry.objects.filter(action="login.passkey", outcome="ok").exists()
