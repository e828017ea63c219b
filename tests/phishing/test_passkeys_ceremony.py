"""The passkey ceremonies through the views with a software authenticator (tests/authenticator.py): what a
browser sends, accepted; the same answer with any part of it changed — by a hostile page or a broken
authenticator — refused with the page's own message, never a server error, nothing stored, no money
moved. Chromium's virtual authenticator covers the pages' script (test_passkeys_browser.py)."""

import base64
import copy
import json
import os

import pytest
from django.urls import reverse
from django_otp_webauthn.models import WebAuthnCredential
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Account, Contract
from auditlog.models import AuditEntry
from notices.models import Notice
from passkeys.authorization import REFUSED
from passkeys.views import FAILED
from payments.models import Transfer
from tests.authenticator import Authenticator, b64url
from tests.conftest import TRANSFER_PASSWORD
from tests.helpers import login
from tests.payments.helpers import confirm, enter, same_bank_data

COMPLETE = "passkeys-complete"


def _ready(client, contract):
    """Logged in from a known browser, the registration authorized with the contract's method."""
    login(client, contract)
    page = client.get(reverse("passkeys-authorize")).content.decode()
    attempt = page.split('name="attempt" value="', 1)[1].split('"', 1)[0]
    response = client.post(reverse("passkeys-authorize"), {"attempt": attempt, "transfer_password": TRANSFER_PASSWORD})
    assert response.status_code == 302, response.content.decode()[:400]


def _begin(client) -> dict:
    response = client.post(reverse("passkeys-begin"), "{}", content_type="application/json")
    assert response.status_code == 200
    return response.json()


def _complete(client, answer):
    body = answer if isinstance(answer, str | bytes) else json.dumps(answer)
    return client.post(reverse(COMPLETE), body, content_type="application/json")


def _refusals(contract) -> list[str]:
    """The reasons of the contract's refused registrations, as audited."""
    entries = AuditEntry.objects.filter(action="passkey.register", contract=contract, outcome="failed")
    return list(entries.order_by("pk").values_list("reason", flat=True))


def _registered(client, contract) -> Authenticator:
    _ready(client, contract)
    authenticator = Authenticator()
    response = _complete(client, authenticator.create(_begin(client)))
    assert response.status_code == 200, response.content.decode()
    return authenticator


def test_a_passkey_made_by_an_authenticator_is_registered_audited_and_told(client, contract):
    _registered(client, contract)
    device = WebAuthnCredential.objects.get(user=contract.user)
    assert device.name == "パスキー1"
    assert AuditEntry.objects.filter(action="passkey.register", contract=contract, outcome="ok").count() == 1
    assert Notice.objects.filter(contract_id=contract.pk, event="passkey_registered").count() == 1
    assert "パスキーを登録しました。" in client.get(reverse("passkeys")).content.decode()


def test_a_credential_id_registered_already_is_refused_not_a_server_error(client, contract, make_contract):
    """Another contract's answer naming a credential ID that is registered (an answer made up, since
    attestation "none" signs nothing): refused, and the passkey stays its owner's alone (django-otp-webauthn
    keeps the ID's digest unique)."""
    from django.test import Client

    owner = _registered(client, contract)
    other, crafted = make_contract(), Authenticator()
    crafted.credential_id = owner.credential_id
    _ready(second := Client(), other)
    response = _complete(second, crafted.create(_begin(second)))
    assert (response.status_code, response.json()) == (400, {"detail": str(FAILED)})
    assert list(WebAuthnCredential.objects.values_list("user_id", flat=True)) == [contract.user_id]
    assert _refusals(other) == ["registered"]


def _hostile_values():
    scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40)
    encoded = st.binary(max_size=80).map(b64url)
    return st.recursive(
        scalars | encoded,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=3),
        max_leaves=6,
    )


def _paths(value, path=()):
    """Every place in a JSON value: each key of each object, each item of each list."""
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*path, index))


@st.composite
def _changed(draw, answer: dict):
    """``answer`` with one place replaced by a hostile value, removed, or a byte of one of its encoded parts
    flipped (a signature, the authenticator's data, the client data)."""
    changed = copy.deepcopy(answer)
    paths = [p for p in _paths(answer) if p]
    path = draw(st.sampled_from(paths))
    parent = changed
    for step in path[:-1]:
        parent = parent[step]
    how = draw(st.sampled_from(["replace", "remove", "flip"]))
    if how == "remove" and isinstance(parent, dict):
        del parent[path[-1]]
    elif how == "flip" and isinstance(parent[path[-1]], str) and parent[path[-1]]:
        text = parent[path[-1]]
        try:
            raw = bytearray(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        except ValueError:
            raw = bytearray(text.encode())
        if raw:  # a place drawn independently of the length (a signature's varies)
            raw[draw(st.integers(0, 2**16)) % len(raw)] ^= draw(st.integers(1, 255))
        parent[path[-1]] = b64url(bytes(raw))
    else:
        parent[path[-1]] = draw(_hostile_values())
    return changed


#: answers changed a run (``make fuzz`` runs IBANK_FUZZ_EXAMPLES of them)
EXAMPLES = settings(
    max_examples=int(os.environ.get("IBANK_FUZZ_EXAMPLES", "30")),
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.mark.django_db(transaction=True)
@EXAMPLES
@given(data=st.data())
def test_a_changed_registration_is_refused_and_stores_nothing(make_contract, data):
    from django.test import Client

    client, contract = Client(), make_contract()
    _ready(client, contract)
    authenticator = Authenticator()
    answer = authenticator.create(_begin(client))
    changed = data.draw(_changed(answer))
    response = _complete(client, changed)
    if response.status_code == 200:
        # A change in what nothing signs (attestation "none": the transports, the extensions' report, even the
        # authenticator's data) registers what it says: one passkey, as any registration.
        assert WebAuthnCredential.objects.filter(user=contract.user).count() == 1
        assert Notice.objects.filter(contract_id=contract.pk, event="passkey_registered").count() == 1
        return
    assert (response.status_code, response.json()) == (400, {"detail": str(FAILED)})
    assert not WebAuthnCredential.objects.filter(user=contract.user).exists()
    assert not Notice.objects.filter(contract_id=contract.pk, event="passkey_registered").exists()
    assert _refusals(contract) == ["invalid"]


def _confirmed_with_passkey(client, contract, stranger):
    authenticator = _registered(client, contract)
    _response, transfer = enter(client, same_bank_data(contract, stranger, amount=1_000))
    confirm(client, transfer)
    url = reverse("transfers-authorize", args=[transfer.reference])
    form = client.get(url).context["form"]
    return authenticator, transfer, url, form.passkey.id, json.loads(form.passkey.options)


def test_a_transfer_authorized_by_the_passkey_moves_once(client, contract, stranger):
    authenticator, transfer, url, challenge, options = _confirmed_with_passkey(client, contract, stranger)
    before = Account.objects.get(pk=contract.account.pk).balance
    answer = json.dumps(authenticator.get(options))
    response = client.post(url, {"passkey_challenge": challenge, "passkey_assertion": answer})
    assert response.status_code == 302
    assert Transfer.objects.get(pk=transfer.pk).status == Transfer.Status.DONE
    assert Account.objects.get(pk=contract.account.pk).balance == before - 1_000
    entry = AuditEntry.objects.get(action="transfer.authorize", contract=contract, outcome="ok")
    assert entry.detail["method"] == "passkey"


@pytest.mark.django_db(transaction=True)
@EXAMPLES
@given(data=st.data())
def test_a_changed_assertion_is_refused_with_the_pages_message_and_moves_nothing(make_contract, data):
    from django.test import Client

    client, contract, stranger = Client(), make_contract(), make_contract()
    authenticator, transfer, url, challenge, options = _confirmed_with_passkey(client, contract, stranger)
    before = Account.objects.get(pk=contract.account.pk).balance
    changed = data.draw(_changed(authenticator.get(options)))
    response = client.post(url, {"passkey_challenge": challenge, "passkey_assertion": json.dumps(changed)})
    if response.status_code == 302:  # a change the server rightly ignores (the extensions' report)
        assert Transfer.objects.get(pk=transfer.pk).status == Transfer.Status.DONE
        return
    assert response.status_code == 200
    assert str(REFUSED["invalid"]) in response.content.decode()
    assert Transfer.objects.get(pk=transfer.pk).status == Transfer.Status.CONFIRMED
    assert Account.objects.get(pk=contract.account.pk).balance == before


@pytest.mark.parametrize(
    "body", ["", "{", "[]", '"text"', "null", "1e999", '{"response": []}', "\x00", "[" * 100_000, b"\xff\xfe"]
)
def test_a_registration_answer_that_is_no_credential_is_refused(client, contract, body):
    _ready(client, contract)
    _begin(client)
    response = _complete(client, body)
    assert (response.status_code, response.json()) == (400, {"detail": str(FAILED)})
    assert not WebAuthnCredential.objects.filter(user=contract.user).exists()
    assert _refusals(contract) == ["invalid"]


@pytest.mark.parametrize("report", [None, "credProps", [], {"credProps": None}, {"credProps": "rk"}, {"credProps": []}])
def test_a_malformed_report_of_the_extensions_is_no_report(client, contract, report):
    """The client's report of its extensions is unsigned and says only whether the passkey is discoverable:
    in another shape than the spec's it is no report — the passkey registers, discoverable or not unknown."""
    _ready(client, contract)
    answer = Authenticator().create(_begin(client))
    answer["clientExtensionResults"] = report
    assert _complete(client, answer).status_code == 200
    assert WebAuthnCredential.objects.get(user=contract.user).discoverable is None


def test_a_well_formed_report_of_the_extensions_is_kept(client, contract):
    _registered(client, contract)
    assert WebAuthnCredential.objects.get(user=contract.user).discoverable is True


def test_a_registration_whose_session_ended_on_its_way_is_refused(client, contract, monkeypatch):
    """A 紛失届 (which ends the sessions) committed while the answer was on its way, just before the ceremony
    took the contract's row: the answer is refused as any other, and nothing is stored."""
    _ready(client, contract)
    answer = Authenticator().create(_begin(client))
    lock_row = Contract.lock_row

    def after_a_lost_report(self):
        self.user.rotate_session_nonce()
        return lock_row(self)

    monkeypatch.setattr(Contract, "lock_row", after_a_lost_report)
    response = _complete(client, answer)
    assert (response.status_code, response.json()) == (400, {"detail": str(FAILED)})
    assert not WebAuthnCredential.objects.filter(user=contract.user).exists()
    assert _refusals(contract) == ["ended"]


def test_an_assertion_by_a_passkey_this_contract_does_not_have_is_refused(client, contract, stranger):
    """Another authenticator (another customer's passkey, or none registered) answering this transfer's own
    challenge: refused as invalid, nothing moved."""
    _authenticator, transfer, url, challenge, options = _confirmed_with_passkey(client, contract, stranger)
    answer = json.dumps(Authenticator().get(options))
    response = client.post(url, {"passkey_challenge": challenge, "passkey_assertion": answer})
    assert response.status_code == 200
    assert str(REFUSED["invalid"]) in response.content.decode()
    assert Transfer.objects.get(pk=transfer.pk).status == Transfer.Status.CONFIRMED


def test_a_copy_of_the_passkey_that_counts_behind_it_is_refused(client, contract, stranger):
    """An authenticator keeps a signature counter; one that answers with a count not above the last one seen
    is a copy of the key (a cloned authenticator): refused as invalid, nothing moved."""
    authenticator, first, url, challenge, options = _confirmed_with_passkey(client, contract, stranger)
    copied = copy.deepcopy(authenticator)
    answer = json.dumps(authenticator.get(options))
    assert client.post(url, {"passkey_challenge": challenge, "passkey_assertion": answer}).status_code == 302
    assert Transfer.objects.get(pk=first.pk).status == Transfer.Status.DONE
    _response, second = enter(client, same_bank_data(contract, stranger, amount=2_000))
    confirm(client, second)
    url = reverse("transfers-authorize", args=[second.reference])
    form = client.get(url).context["form"]
    answer = json.dumps(copied.get(json.loads(form.passkey.options)))  # the same count the first answer had
    response = client.post(url, {"passkey_challenge": form.passkey.id, "passkey_assertion": answer})
    assert response.status_code == 200
    assert str(REFUSED["invalid"]) in response.content.decode()
    assert Transfer.objects.get(pk=second.pk).status == Transfer.Status.CONFIRMED


def test_a_passkey_login_through_the_pages_gets_a_new_session_and_the_menu(client, contract):
    from django.test import Client

    from tests.helpers import post_login

    authenticator = _registered(client, contract)
    browser = Client()
    assert post_login(browser, contract)["Location"] == reverse("passkeys-login")
    pending_key = browser.session.session_key
    page = browser.get(reverse("passkeys-login"))
    answer = json.dumps(authenticator.get(json.loads(page.context["options"])))
    response = browser.post(
        reverse("passkeys-login"), {"passkey_challenge": page.context["challenge_id"], "passkey_assertion": answer}
    )
    assert response["Location"] == reverse("accounts-menu")
    assert browser.session.session_key != pending_key  # no session fixed before the login survives it
    assert browser.get(reverse("accounts-menu")).status_code == 200
    assert AuditEntry.objects.filter(action="login.passkey", contract=contract, outcome="ok").count() == 1
    # The same answer relayed into another login of the contract (its password typed elsewhere): refused.
    relay = Client()
    post_login(relay, contract)
    replayed = relay.post(
        reverse("passkeys-login"), {"passkey_challenge": page.context["challenge_id"], "passkey_assertion": answer}
    )
    assert replayed["Location"] == reverse("passkeys-login")
    assert relay.get(reverse("accounts-menu")).status_code == 302  # not logged in
    refused = AuditEntry.objects.filter(action="login.passkey", contract=contract, outcome="failed").get()
    assert refused.reason == "changed"


def test_a_double_click_with_the_passkey_moves_once_and_is_answered_as_the_first(client, contract, stranger):
    """The same answer sent twice (a double click): the second finds its challenge used and is answered with
    the transfer's result, as the first was — never told refused, never counted toward a lock."""
    authenticator, transfer, url, challenge, options = _confirmed_with_passkey(client, contract, stranger)
    data = {"passkey_challenge": challenge, "passkey_assertion": json.dumps(authenticator.get(options))}
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

    authenticator, transfer, url, challenge, options = _confirmed_with_passkey(client, contract, stranger)
    data = {"passkey_challenge": challenge, "passkey_assertion": json.dumps(authenticator.get(options))}
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
    _authenticator, transfer, url, challenge, _options = _confirmed_with_passkey(client, contract, stranger)
    response = client.post(url, {"passkey_challenge": challenge, "passkey_assertion": answer})
    assert response.status_code == 200
    assert Transfer.objects.get(pk=transfer.pk).status == Transfer.Status.CONFIRMED


def test_an_answer_with_no_ceremony_under_way_is_refused(client, contract):
    """The registration authorized, the authenticator's answer sent without the options asked first (or a
    second time, the options used): refused and audited as such."""
    _ready(client, contract)
    response = _complete(client, Authenticator().create({"challenge": b64url(b"made up")}))
    assert (response.status_code, response.json()) == (400, {"detail": str(FAILED)})
    assert _refusals(contract) == ["no_ceremony"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_eight_simultaneous_submissions_of_one_answer_move_money_once(make_contract):
    """The same assertion sent eight times at once from the customer's session (separate connections): one
    movement, no server error, every answer the result or the page again, no lock, no wrong answer audited."""
    from django.test import Client

    from ledger.models import JournalEntry
    from tests.concurrency import run_concurrently

    client, contract, stranger = Client(), make_contract(), make_contract()
    authenticator, transfer, url, challenge, options = _confirmed_with_passkey(client, contract, stranger)
    data = {"passkey_challenge": challenge, "passkey_assertion": json.dumps(authenticator.get(options))}
    cookies = client.cookies

    def submit(_i):
        other = Client()
        other.cookies = cookies
        return other.post(url, data).status_code

    statuses = run_concurrently(submit, 8)
    assert all(status in (200, 302) for status in statuses), statuses
    assert JournalEntry.objects.filter(reference=transfer.reference).count() == 1
    assert Account.objects.get(pk=contract.account.pk).balance == 100_000 - 1_000
    assert Contract.objects.get(pk=contract.pk).transaction_failures == 0
    failed = AuditEntry.objects.filter(action="transfer.authorize", contract=contract, outcome="failed")
    assert set(failed.values_list("reason", flat=True)) <= {"reused"}


@pytest.mark.parametrize("waits_at", ["verify_login", "parsed"])
def test_a_double_click_of_the_passkey_login_goes_to_the_menu_it_logged_in_to(client, contract, monkeypatch, waits_at):
    """The second click is answered after the first logged in with the same answer: not 「認証できませんでした」
    on a login page whose session the first ended, but the menu, which the first's session opens."""
    from django.test import Client

    from passkeys import ceremony
    from tests.helpers import double_click, post_login

    authenticator = _registered(client, contract)
    browser = Client()
    post_login(browser, contract)
    page = browser.get(reverse("passkeys-login"))
    data = {
        "passkey_challenge": page.context["challenge_id"],
        "passkey_assertion": json.dumps(authenticator.get(json.loads(page.context["options"]))),
    }
    _twin, response = double_click(monkeypatch, browser, reverse("passkeys-login"), data, at=(ceremony, waits_at))
    assert response["Location"] == reverse("accounts-menu")
    assert browser.get(reverse("accounts-menu")).status_code == 200  # the first click's session
    failed = AuditEntry.objects.filter(action="login.passkey", contract=contract, outcome="failed")
    assert set(failed.values_list("reason", flat=True)) <= {"reused"}


def _passkey_answer(client, url, authenticator) -> dict:
    """What the authorization page's passkey button sends for the challenge the page offers."""
    form = client.get(url).context["form"]
    return {
        "passkey_challenge": form.passkey.id,
        "passkey_assertion": json.dumps(authenticator.get(json.loads(form.passkey.options))),
    }


def test_a_pay_easy_payment_authorized_by_the_passkey_pays_once(client, contract, billers):
    from payments.models import Payment

    authenticator = _registered(client, contract)
    client.post(reverse("payeasy-new"), {"biller_number": "58001"})
    numbers = {"customer_number": "12345678901234", "confirmation_number": "1234"}
    response = client.post(reverse("payeasy-numbers"), {"from_account": contract.account.pk, **numbers})
    reference = response["Location"].split("/")[2]
    client.post(reverse("payeasy-confirm", args=[reference]))
    url = reverse("payeasy-authorize", args=[reference])
    answer = _passkey_answer(client, url, authenticator)
    assert client.post(url, answer)["Location"] == reverse("payeasy-result", args=[reference])
    assert Payment.objects.get(reference=reference).status == Payment.Status.DONE
    assert Account.objects.get(pk=contract.account.pk).balance == 100_000 - 8_640
    assert client.post(url, answer)["Location"] == reverse("payeasy-result", args=[reference])  # sent again
    assert Account.objects.get(pk=contract.account.pk).balance == 100_000 - 8_640


def test_a_limit_raise_authorized_by_the_passkey_applies_at_once(client, contract):
    from payments import services

    authenticator = _registered(client, contract)
    client.post(reverse("transfers-limit"), {"limit": "100000"})  # lowered at once: what follows is a raise
    assert client.post(reverse("transfers-limit"), {"limit": "150000"})["Location"] == reverse(
        "transfers-limit-authorize"
    )
    url = reverse("transfers-limit-authorize")
    shown = client.get(url).context["shown"]
    response = client.post(url, {"shown": shown, **_passkey_answer(client, url, authenticator)})
    assert response["Location"] == reverse("transfers-limit")
    assert services.daily_limit(Contract.objects.get(pk=contract.pk), services.today()) == 150_000


def test_an_answer_for_the_limit_page_does_not_authorize_a_transfer(client, contract, stranger):
    """The challenge is bound to what the page authorizes: an answer made on the limit's page, sent to a
    transfer's 認証, is refused as made for something else; nothing moves."""
    authenticator, transfer, transfer_url, _challenge, _options = _confirmed_with_passkey(client, contract, stranger)
    client.post(reverse("transfers-limit"), {"limit": "100000"})
    client.post(reverse("transfers-limit"), {"limit": "150000"})
    answer = _passkey_answer(client, reverse("transfers-limit-authorize"), authenticator)
    response = client.post(transfer_url, answer)
    assert response.status_code == 200
    assert str(REFUSED["changed"]) in response.content.decode()
    assert Transfer.objects.get(pk=transfer.pk).status == Transfer.Status.CONFIRMED
