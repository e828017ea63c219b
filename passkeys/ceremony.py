"""Passkeys (WebAuthn, issue 17): registration through django-otp-webauthn's helper, and the transaction
ceremony whose challenge is derived from what is being authorized (PSD2 RTS Art. 5 "dynamic linking").

A transaction's challenge is SHA-256(bound ‖ nonce): ``bound`` is the SHA-256 of the authorization step's
detail (for a transfer its 受付番号 and the digest 確認 fixed over payee, account, amount and fee), the
nonce is the server's. The assertion is verified against exactly that challenge, once: a changed transfer
has another digest (refused), a replayed assertion finds its challenge used (refused).
"""

import hashlib
import itertools
import json
import secrets
from datetime import timedelta

from django.db import IntegrityError, transaction
from django_otp_webauthn.models import WebAuthnCredential
from webauthn import (
    generate_authentication_options,
    options_to_json,
    verify_authentication_response,
)
from webauthn.helpers import parse_authentication_credential_json
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import PublicKeyCredentialDescriptor, UserVerificationRequirement

from accounts.models import Contract
from auditlog import audit
from ibank import clock
from notices.outbox import notify

from . import webauthn
from .models import TransactionChallenge

REGISTER_STATE = "_ibank_passkey_register_state"
TIMEOUT_SECONDS = 300


def credentials(contract: Contract):
    return WebAuthnCredential.objects.filter(user_id=contract.user_id, confirmed=True).order_by("created_at", "pk")


def has_passkey(contract: Contract) -> bool:
    """From the contract's flag (kept by :func:`_keep_flag` in the transaction that adds or removes one)."""
    return contract.has_passkey


def _session_in_force(request, contract: Contract) -> bool:
    """The request's session is still the contract's user's, read afresh by Django's own check: a 紛失届 or a
    reset that ran while this request was on its way rotated the nonce the session's auth hash is made from."""
    from django.contrib.auth import get_user

    return get_user(request).pk == contract.user_id


def _keep_flag(contract: Contract) -> None:
    contract.has_passkey = credentials(contract).exists()
    Contract.objects.filter(pk=contract.pk).update(has_passkey=contract.has_passkey)


def parsed(text) -> object:
    """A JSON answer as Python values; ValueError for anything that is not JSON, nested too deep included
    (Python's parser raises RecursionError there)."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("JSON nested too deep") from None


# -- registration -------------------------------------------------------------------------------


def registration_options(request, contract: Contract) -> dict:
    helper = webauthn.Helper(request)
    options, state = helper.register_begin(user=contract.user)
    request.session[REGISTER_STATE] = state
    return options


def register(request, *, actor, contract: Contract, answer) -> WebAuthnCredential:
    """Verify the authenticator's answer (the page's JSON) against the state of :func:`registration_options`
    (used once) and store the passkey; audited and notified. A refusal raises :class:`Refused`, audited with its
    reason: ``no_ceremony`` (none under way in this session, or used), ``ended`` (the session ended on the way:
    a 紛失届), ``registered`` (the credential ID is registered already), ``invalid`` (not JSON, or an answer
    the verification refuses)."""
    state = request.session.pop(REGISTER_STATE, None)
    request.session.save()  # the state is gone even if the verification refuses
    try:
        if state is None:
            raise Refused("no_ceremony")
        with transaction.atomic():
            contract.lock_row()  # serialised with a 紛失届's removal of all, and the flag kept in order
            if not _session_in_force(request, contract):
                raise Refused("ended")
            device = _verified(request, contract, state, answer)
            name = _free_name(credentials(contract).exclude(pk=device.pk).values_list("name", flat=True))
            WebAuthnCredential.objects.filter(pk=device.pk).update(created_at=clock.now(), name=name)
            device.refresh_from_db()
            _keep_flag(contract)
            audit.record(actor, "passkey.register", ok=True, contract=contract, passkey=device.pk)
            notify(contract, "passkey_registered", name=device.name)
    except Refused as refused:
        audit.record(actor, "passkey.register", ok=False, contract=contract, reason=refused.reason)
        raise
    return device


def _free_name(taken) -> str:
    """パスキー1, パスキー2, …: the first that none of the contract's passkeys has (one removed frees its name;
    the list, the removal and the notices name a passkey by it)."""
    taken = set(taken)
    return next(name for n in itertools.count(1) if (name := f"パスキー{n}") not in taken)


#: What py_webauthn (3.0.1) raises for an attested public key that lacks a part or is no map: its
#: ``decode_credential_public_key`` indexes into the decoded key without looking (``decoded_key[COSEKey.KTY]``)
#: before it would raise its own InvalidPublicKeyStructure. Caught around its verification only.
_UNCHECKED_KEY = (KeyError, IndexError, TypeError)


def _verified(request, contract: Contract, state: dict, answer) -> WebAuthnCredential:
    """django-otp-webauthn's verification and its new credential, saved; Refused for what a bad answer raises
    (the transaction it runs in then rolls back)."""
    try:
        data = _reported(parsed(answer))
    except ValueError:
        raise Refused("invalid") from None
    try:
        return webauthn.Helper(request).register_complete(user=contract.user, state=state, data=data)
    except IntegrityError:
        raise Refused("registered") from None  # django-otp-webauthn keeps the credential ID's digest unique
    except (ValueError, WebAuthnException, *_UNCHECKED_KEY):
        raise Refused("invalid") from None


def _reported(data):
    """The answer with the client's report of its extensions (unsigned; django-otp-webauthn reads whether the
    passkey is discoverable from ``credProps.rk`` in it) only where it has the spec's shape, an object of
    objects: django-otp-webauthn indexes into it without looking, and any other shape is no report at all."""
    if not isinstance(data, dict):
        return data  # the verification refuses it
    report = data.get("clientExtensionResults")
    if isinstance(report, dict) and isinstance(report.get("credProps", {}), dict):
        return data
    return {key: value for key, value in data.items() if key != "clientExtensionResults"}


def remove(*, actor, contract: Contract, pk: int, by_staff: bool = False) -> bool:
    with transaction.atomic():
        contract.lock_row()  # serialised with a 紛失届's removal of all, and the flag kept in order
        device = credentials(contract).filter(pk=pk).first()
        if device is None:
            return False
        device.delete()
        _keep_flag(contract)
        audit.record(actor, "passkey.remove", ok=True, contract=contract, passkey=pk, name=device.name)
        notify(contract, "passkey_removed", name=device.name, by_staff=by_staff)
    return True


def remove_all(*, actor, contract: Contract) -> int:
    """Every passkey of the contract (紛失届, the token reset): audited and notified once each."""
    removed = 0
    for pk in list(credentials(contract).values_list("pk", flat=True)):
        removed += remove(actor=actor, contract=contract, pk=pk, by_staff=True)
    return removed


# -- transactions: the challenge bound to what is authorized ------------------------------------------


def bound_of(detail: dict) -> str:
    """SHA-256 of the authorization step's detail (for a transfer: 受付番号 and the digest of 確認)."""
    return hashlib.sha256(json.dumps(detail, sort_keys=True, default=str).encode()).hexdigest()


def _challenge(row: TransactionChallenge) -> bytes:
    return hashlib.sha256(bytes.fromhex(row.bound) + bytes.fromhex(row.nonce)).digest()


def transaction_options(request, contract: Contract, detail: dict) -> tuple[int, str]:
    """A challenge for ``detail``: (its id, the options for navigator.credentials.get as JSON)."""
    row = TransactionChallenge.objects.create(
        contract=contract,
        bound=bound_of(detail),
        nonce=secrets.token_hex(16),
        origin=webauthn.origin(request),
        rp_id=webauthn.rp_id(request),
    )
    options = generate_authentication_options(
        rp_id=row.rp_id,
        challenge=_challenge(row),
        timeout=TIMEOUT_SECONDS * 1000,
        allow_credentials=[PublicKeyCredentialDescriptor(id=bytes(c.credential_id)) for c in credentials(contract)],
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    return row.pk, options_to_json(options)


class Refused(Exception):
    """``reason``: changed (another transaction, or expired), reused (a replay), invalid (a bad answer); at
    registration also no_ceremony, ended, registered (:func:`register`)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def verify_transaction(contract: Contract, detail: dict, challenge_id, assertion: str, *, then=None):
    """The assertion must sign exactly the challenge made for ``detail``, by one of the contract's passkeys,
    with user verification; the challenge is then used (once), and ``then(device)`` (the accepted entry) commits
    with its use: a twin request that finds the challenge used finds the entry. Returns the passkey (a
    WebAuthnCredential). Raises Refused."""
    row = TransactionChallenge.objects.filter(pk=_int(challenge_id), contract=contract).first()
    fresh = row is not None and row.created_at > clock.now() - timedelta(seconds=TIMEOUT_SECONDS)
    if not fresh or row.bound != bound_of(detail):
        raise Refused("changed")
    if row.used_at is not None:
        raise Refused("reused")
    try:
        credential = parse_authentication_credential_json(parsed(assertion))
        device = credentials(contract).get(credential_id_sha256=hashlib.sha256(credential.raw_id).hexdigest())
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=_challenge(row),
            expected_rp_id=row.rp_id,
            expected_origin=row.origin,
            credential_public_key=bytes(device.public_key),
            credential_current_sign_count=device.sign_count,
            require_user_verification=True,
        )
    except (ValueError, WebAuthnException, WebAuthnCredential.DoesNotExist):
        # Not a well-formed answer, no passkey of this contract, or not valid — unless the same answer, sent at
        # once by a double click, used the challenge since it was read here: its counter then moved past this
        # answer's, which verifies no more. That is a reuse, answered as the first was, never a bad answer.
        if TransactionChallenge.objects.filter(pk=row.pk, used_at__isnull=False).exists():
            raise Refused("reused") from None
        raise Refused("invalid") from None
    with transaction.atomic():
        if not TransactionChallenge.objects.filter(pk=row.pk, used_at__isnull=True).update(used_at=clock.now()):
            raise Refused("reused")  # a concurrent submission of the same assertion used it first
        WebAuthnCredential.objects.filter(pk=device.pk).update(
            sign_count=verified.new_sign_count, last_used_at=clock.now()
        )
        if then is not None:
            then(device)
    return device


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def verify_login(*, actor, contract: Contract, detail: dict, challenge_id, assertion: str) -> WebAuthnCredential:
    """The login's second step by passkey (:func:`verify_transaction` for the pending login), audited."""

    def logged_in(device):
        challenge = _int(challenge_id)
        audit.record(actor, "login.passkey", ok=True, contract=contract, passkey=device.pk, challenge=challenge)

    try:
        return verify_transaction(contract, detail, challenge_id, assertion, then=logged_in)
    except Refused as refused:
        audit.record(actor, "login.passkey", ok=False, contract=contract, reason=refused.reason)
        raise


def logged_in_with(contract: Contract, challenge_id) -> bool:
    """Whether a login of ``contract`` was completed with the challenge ``challenge_id`` (bound to one pending
    login: a double click's first request, when the second finds it used)."""
    return audit.recorded("login.passkey", contract=contract, challenge=_int(challenge_id))
