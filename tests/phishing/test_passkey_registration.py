"""Registering a passkey through the pages with a software authenticator (tests/phishing/passkey_steps.py):
what a browser sends, registered; the same answer with any part of it changed — by a hostile page or a broken
authenticator — refused with the page's own message and audited with its reason, never a server error,
nothing stored. Chromium's virtual authenticator covers the pages' script (test_passkeys_browser.py)."""

import cbor2
import pytest
from django.test import Client
from django.urls import reverse
from django_otp_webauthn.models import WebAuthnCredential
from hypothesis import given
from hypothesis import strategies as st

from accounts.models import Contract
from auditlog.models import AuditEntry
from notices.models import Notice
from passkeys.views import FAILED
from tests.authenticator import Authenticator, b64url
from tests.phishing.passkey_steps import (
    EXAMPLES,
    answer_to,
    begin,
    changed_answer,
    complete,
    ready_to_register,
    refused_registrations,
    registered,
)


def test_a_passkey_made_by_an_authenticator_is_registered_audited_and_told(client, contract):
    registered(client, contract)
    device = WebAuthnCredential.objects.get(user=contract.user)
    assert device.name == "パスキー1"
    assert AuditEntry.objects.filter(action="passkey.register", contract=contract, outcome="ok").count() == 1
    notice = Notice.objects.get(contract_id=contract.pk, event="passkey_registered")
    assert "パスキー（パスキー1）が登録されました。" in notice.body  # the name the list shows
    assert "パスキーを登録しました。" in client.get(reverse("passkeys")).content.decode()
    # One authorization, one passkey: another needs the method again.
    response = client.post(reverse("passkeys-begin"), "{}", content_type="application/json")
    assert response.status_code == 403 and WebAuthnCredential.objects.filter(user=contract.user).count() == 1


def test_a_credential_id_registered_already_is_refused_not_a_server_error(client, contract, make_contract):
    """Another contract's answer naming a credential ID that is registered (an answer made up, since
    attestation "none" signs nothing): refused, and the passkey stays its owner's alone (django-otp-webauthn
    keeps the ID's digest unique)."""

    owner = registered(client, contract)
    other, crafted = make_contract(), Authenticator()
    crafted.credential_id = owner.credential_id
    ready_to_register(second := Client(), other)
    response = complete(second, crafted.create(begin(second)))
    assert (response.status_code, response.json()) == (400, {"detail": str(FAILED)})
    assert list(WebAuthnCredential.objects.values_list("user_id", flat=True)) == [contract.user_id]
    assert refused_registrations(other) == ["registered"]


@pytest.mark.django_db(transaction=True)
@EXAMPLES
@given(data=st.data())
def test_a_changed_registration_is_refused_and_stores_nothing(make_contract, data):

    client, contract = Client(), make_contract()
    ready_to_register(client, contract)
    authenticator = Authenticator()
    answer = authenticator.create(begin(client))
    changed = data.draw(changed_answer(answer))
    response = complete(client, changed)
    if response.status_code == 200:
        # A change in what nothing signs (attestation "none": the transports, the extensions' report, even the
        # authenticator's data) registers what it says: one passkey, as any registration.
        assert WebAuthnCredential.objects.filter(user=contract.user).count() == 1
        assert Notice.objects.filter(contract_id=contract.pk, event="passkey_registered").count() == 1
        return
    assert (response.status_code, response.json()) == (400, {"detail": str(FAILED)})
    assert not WebAuthnCredential.objects.filter(user=contract.user).exists()
    assert not Notice.objects.filter(contract_id=contract.pk, event="passkey_registered").exists()
    assert refused_registrations(contract) == ["invalid"]


class _BrokenKey(Authenticator):
    """An authenticator whose attested public key is ``cose`` (a COSE key lacking a part, or no map at all)."""

    def __init__(self, cose):
        super().__init__()
        self.cose = cose

    def _public_key(self) -> bytes:
        return cbor2.dumps(self.cose)


_X, _Y = bytes(range(32)), bytes(range(32, 64))


@pytest.mark.parametrize(
    "cose",
    [
        {3: -7, -1: 1, -2: _X, -3: _Y},  # no key type
        {1: 2, -1: 1, -2: _X, -3: _Y},  # no algorithm
        {1: 2, 3: -7, -2: _X, -3: _Y},  # an EC2 key without its curve
        {1: 2, 3: -7, -1: 1, -3: _Y},  # without x
        {1: 1, 3: -8, -2: _X},  # an OKP key without its curve
        {1: 3, 3: -257, -2: b"\x01\x00\x01"},  # an RSA key without its modulus
        [2, -7, 1],  # a list
        "key",
        7,
    ],
)
def test_a_registration_whose_public_key_is_malformed_is_refused(client, contract, cose):
    """A byte changed in the attested key (a broken authenticator, or one made up) may leave it without a part
    py_webauthn 3.0.1 reads without looking (``decoded_key[COSEKey.KTY]``: a KeyError, not its own
    InvalidPublicKeyStructure): refused as any answer the verification refuses, never a server error."""
    ready_to_register(client, contract)
    response = complete(client, _BrokenKey(cose).create(begin(client)))
    assert (response.status_code, response.json()) == (400, {"detail": str(FAILED)})
    assert not WebAuthnCredential.objects.filter(user=contract.user).exists()
    assert refused_registrations(contract) == ["invalid"]


@pytest.mark.parametrize(
    "body", ["", "{", "[]", '"text"', "null", "1e999", '{"response": []}', "\x00", "[" * 100_000, b"\xff\xfe"]
)
def test_a_registration_answer_that_is_no_credential_is_refused(client, contract, body):
    ready_to_register(client, contract)
    begin(client)
    response = complete(client, body)
    assert (response.status_code, response.json()) == (400, {"detail": str(FAILED)})
    assert not WebAuthnCredential.objects.filter(user=contract.user).exists()
    assert refused_registrations(contract) == ["invalid"]


@pytest.mark.parametrize("report", [None, "credProps", [], {"credProps": None}, {"credProps": "rk"}, {"credProps": []}])
def test_a_malformed_report_of_the_extensions_is_no_report(client, contract, report):
    """The client's report of its extensions is unsigned and says only whether the passkey is discoverable:
    in another shape than the spec's it is no report — the passkey registers, discoverable or not unknown."""
    ready_to_register(client, contract)
    answer = Authenticator().create(begin(client))
    answer["clientExtensionResults"] = report
    assert complete(client, answer).status_code == 200
    assert WebAuthnCredential.objects.get(user=contract.user).discoverable is None


def test_a_well_formed_report_of_the_extensions_is_kept(client, contract):
    registered(client, contract)
    assert WebAuthnCredential.objects.get(user=contract.user).discoverable is True


def test_a_registration_whose_session_ended_on_its_way_is_refused(client, contract, monkeypatch):
    """A 紛失届 (which ends the sessions) committed while the answer was on its way, just before the ceremony
    took the contract's row: the answer is refused as any other, and nothing is stored."""
    ready_to_register(client, contract)
    answer = Authenticator().create(begin(client))
    lock_row = Contract.lock_row

    def after_a_lost_report(self):
        self.user.rotate_session_nonce()
        return lock_row(self)

    monkeypatch.setattr(Contract, "lock_row", after_a_lost_report)
    response = complete(client, answer)
    assert (response.status_code, response.json()) == (400, {"detail": str(FAILED)})
    assert not WebAuthnCredential.objects.filter(user=contract.user).exists()
    assert refused_registrations(contract) == ["ended"]


def test_an_answer_with_no_ceremony_under_way_is_refused(client, contract):
    """The registration authorized, the authenticator's answer sent without the options asked first (or a
    second time, the options used): refused and audited as such."""
    ready_to_register(client, contract)
    response = complete(client, Authenticator().create({"challenge": b64url(b"made up")}))
    assert (response.status_code, response.json()) == (400, {"detail": str(FAILED)})
    assert refused_registrations(contract) == ["no_ceremony"]


def test_a_passkey_made_without_the_devices_lock_is_not_registered(client, contract):
    """Every use of a passkey requires the device's lock (fingerprint, face, PIN): the browser is asked for it
    at registration too, and a passkey made without it — which could authorize nothing — is refused."""
    ready_to_register(client, contract)
    options = begin(client)
    assert options["authenticatorSelection"]["userVerification"] == "required"
    response = complete(client, Authenticator(verifies=False).create(options))
    assert (response.status_code, response.json()) == (400, {"detail": str(FAILED)})
    assert refused_registrations(contract) == ["invalid"]


def test_each_passkey_has_a_name_of_its_own_after_one_is_removed(client, contract):
    """パスキー1 and パスキー2; パスキー1 removed; the next one takes the free name, never a name the list
    shows already (the customer removes a passkey by its name, and the notices name it)."""
    first = registered(client, contract)
    second = registered(client, contract, by=first)
    names = dict(WebAuthnCredential.objects.filter(user=contract.user).values_list("name", "pk"))
    assert set(names) == {"パスキー1", "パスキー2"}
    client.post(reverse("passkeys-remove", args=[names["パスキー1"]]))
    registered(client, contract, by=second)
    assert sorted(WebAuthnCredential.objects.filter(user=contract.user).values_list("name", flat=True)) == [
        "パスキー1",
        "パスキー2",
    ]


def test_a_second_passkey_is_authorized_by_the_first_also_after_a_refused_answer(client, contract):
    """With a passkey, the contract's method is the passkey: it authorizes the next registration. A refused
    answer brings the page back with a new challenge, which the right answer then passes."""
    first = registered(client, contract)
    url = reverse("passkeys-authorize")
    page = client.get(url).context
    wrong = answer_to(page["form"], Authenticator())  # a passkey the contract lacks
    again = client.post(url, {"attempt": page["attempt"], **wrong})
    assert again.status_code == 200 and again.context["attempt"] == page["attempt"]
    right = answer_to(again.context["form"], first)
    assert client.post(url, {"attempt": again.context["attempt"], **right})["Location"] == reverse("passkeys")
    registered_next = Authenticator()
    assert complete(client, registered_next.create(begin(client))).status_code == 200
    assert WebAuthnCredential.objects.filter(user=contract.user).count() == 2
