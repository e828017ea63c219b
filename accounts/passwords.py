"""The login password the customer changes (ログインパスワード変更) and the branch resets on a written request
(ログインパスワードの再設定): a change of credentials, under the login's lock, ending the other sessions."""

import itertools
import secrets

from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.views.decorators.debug import sensitive_variables

from auditlog import audit
from notices.outbox import notify

from . import gate, holds, locks
from .models import Contract, Lock
from .services import InvalidCredentials, LoginRefused, PasswordCheck, contract_authenticate


@sensitive_variables("password")
def current_password_check(*, actor, contract: Contract, password: str) -> None:
    """The contract's current ログインパスワード, asked again by a logged-in customer (ログインパスワード変更): a
    guess like a login's, counted toward the same lock, audited as ``password_change.current``. Raises
    InvalidCredentials or LoginLocked as :func:`contract_authenticate` does.

    Checked against the password this request's session was verified with (``contract.user`` as the request
    loaded it), not a fresh read: a double-clicked change whose first request has just committed the new
    password is then no wrong guess (its authorization finds the code used, or changes to the same again)."""
    ok = contract.user.check_password(password)
    check = PasswordCheck(contract.contract_id, contract, ok, gate.may(contract, gate.Action.LOGIN))
    refused = None
    with transaction.atomic():  # one commit for the count, the lock and their entries, kept when refused
        try:
            contract_authenticate(actor=actor, check=check, action="password_change.current")
        except (InvalidCredentials, LoginRefused) as refusal:
            refused = refusal
    if refused is not None:
        raise refused


@sensitive_variables("new_password")
def password_change(*, actor, contract: Contract, new_password: str) -> None:
    """ログインパスワード変更 (the current password checked and the change authorized beforehand): every other
    session of the contract ends (the caller keeps its own), a hold begins as after any change of credentials,
    and the customer is told."""
    user = contract.user
    # The 20 ms of Argon2 before the writes: meanwhile the page's transaction holds only the contract's row
    # (accounts.steps.one_change), which nothing but another change of its credentials waits for.
    hashed = make_password(new_password)
    with transaction.atomic():
        user.password, user.session_nonce = hashed, secrets.token_hex(16)
        type(user).objects.filter(pk=user.pk).update(password=user.password, session_nonce=user.session_nonce)
        audit.record(actor, "password.change", ok=True, contract=contract)
        locks.lift(contract, Lock.Kind.TEMPORARY_PASSWORD, by=audit.actor_name(actor, contract), reason="changed")
        hold = holds.after_change(contract, reason="password_change", actor=actor)
        notify(contract, "password_changed", hold=hold)


@sensitive_variables("password")
def is_current(contract: Contract, password: str) -> bool:
    """Whether ``password`` is the contract's login password now (read afresh, not as the session was verified):
    a double-clicked change asks whether its first request set it. No guess: its caller has checked the current
    password and a right answer of the contract's method already."""
    stored = type(contract.user).objects.filter(pk=contract.user_id).values_list("password", flat=True).first()
    return stored is not None and check_password(password, stored)


def user_now(contract: Contract):
    """The contract's user as stored now (its password and session nonce): a double-clicked change's second
    request keeps its session with what the first one set, as the first keeps its own."""
    return type(contract.user).objects.get(pk=contract.user_id)


#: A temporary password's characters: letters and digits no one misreads on paper (no 0/O, 1/l/I).
_TEMPORARY_LETTERS, _TEMPORARY_DIGITS = "abcdefghjkmnpqrstuvwxyz", "23456789"


def _temporary_password(length: int = 10) -> str:
    while True:
        password = "".join(secrets.choice(_TEMPORARY_LETTERS + _TEMPORARY_DIGITS) for _ in range(length))
        if any(c in _TEMPORARY_DIGITS for c in password) and any(c in _TEMPORARY_LETTERS for c in password):
            return password


def password_reset(*, actor, contract: Contract, staff_reason: str, reference: str) -> str:
    """ログインパスワードの再設定 on the customer's written request (a forgotten password): a temporary password,
    returned once for the letter the bank posts, replaces it; every session ends; the login's lock and count
    go (they guarded the old password); transactions wait until the customer sets their own (a lock of kind
    TEMPORARY_PASSWORD, lifted by :func:`password_change`); a hold begins and the customer is told."""
    temporary = _temporary_password()
    hashed = make_password(temporary)  # Argon2 before the transaction
    user, by = contract.user, audit.actor_name(actor, contract)
    with transaction.atomic():
        user.password, user.session_nonce = hashed, secrets.token_hex(16)
        type(user).objects.filter(pk=user.pk).update(password=user.password, session_nonce=user.session_nonce)
        unlocked = locks.lift(contract, Lock.Kind.LOGIN, by=by, reason="password_reset")
        Contract.objects.filter(pk=contract.pk).update(login_failures=0)
        locks.set_lock(contract, Lock.Kind.TEMPORARY_PASSWORD, reason="password_reset", by=by, reference=reference)
        locks.forget(contract)
        _written_reset(actor, contract, "password", staff_reason, reference, login_unlocked=unlocked)
    return temporary


def _written_reset(actor, contract: Contract, secret: str, staff_reason: str, reference: str, **detail) -> None:
    """What every reset on a written request ends with (``secret``: "password", "transfer_password"): the
    audit entry with the clerk's reason and the form's number, the hold of a change of credentials, the
    notice (never the secret)."""
    details = {"staff_reason": staff_reason, "reference": reference, **detail}
    audit.record(actor, f"{secret}.reset", ok=True, contract=contract, **details)
    hold = holds.after_change(contract, reason=f"{secret}_reset", actor=actor)
    notify(contract, f"{secret}_reset", hold=hold)


# -- 資金移動用パスワード ------------------------------------------------------------------------


@sensitive_variables("new_password")
def transfer_password_change(*, actor, contract: Contract, new_password: str) -> None:
    """資金移動用パスワード変更 (authorized beforehand by the contract's method): a change of credentials, so a
    hold begins, and the customer is told (never the password)."""
    hashed = make_password(new_password)  # Argon2 before the writes (as for the login password)
    with transaction.atomic():
        Contract.objects.filter(pk=contract.pk).update(transfer_password=hashed)
        contract.transfer_password = hashed
        audit.record(actor, "transfer_password.change", ok=True, contract=contract)
        hold = holds.after_change(contract, reason="transfer_password_change", actor=actor)
        notify(contract, "transfer_password_changed", hold=hold)


@sensitive_variables("password")
def transfer_password_is(contract: Contract, password: str) -> bool:
    """Whether ``password`` is the contract's 資金移動用パスワード now (read afresh): a double-clicked change
    asks whether its first request set it."""
    contract.refresh_from_db(fields=["transfer_password"])
    return contract.check_transfer_password(password)


def weak_digits(digits: str) -> bool:
    """One digit repeated (0000), or a run up or down (1234, 9876, 8901): what a thief tries first."""
    steps = {(int(b) - int(a)) % 10 for a, b in itertools.pairwise(digits)}
    return steps in ({0}, {1}, {9})


def _new_transfer_password(length: int = 6) -> str:
    """Random digits, never weak ones."""
    while True:
        digits = "".join(secrets.choice("0123456789") for _ in range(length))
        if not weak_digits(digits):
            return digits


def transfer_password_reset(*, actor, contract: Contract, staff_reason: str, reference: str) -> str:
    """資金移動用パスワードの再設定 on the customer's written request (a forgotten one): a new one, returned once
    for the letter the bank posts, replaces it; the transaction lock and count go (they guarded the old one);
    a hold begins and the customer is told. The customer may change it from the menu."""
    new = _new_transfer_password()
    hashed = make_password(new)  # Argon2 before the transaction
    by = audit.actor_name(actor, contract)
    with transaction.atomic():
        Contract.objects.filter(pk=contract.pk).update(transfer_password=hashed, transaction_failures=0)
        contract.transfer_password, contract.transaction_failures = hashed, 0
        unlocked = locks.lift(contract, Lock.Kind.TRANSACTION, by=by, reason="transfer_password_reset")
        locks.forget(contract)
        _written_reset(actor, contract, "transfer_password", staff_reason, reference, transaction_unlocked=unlocked)
    return new
