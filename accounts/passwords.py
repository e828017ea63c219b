"""The login password the customer changes (ログインパスワード変更) and the branch resets on a written request
(ログインパスワードの再設定): a change of credentials, under the login's lock, ending the other sessions."""

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
    hashed = make_password(new_password)  # the 20 ms of Argon2 before the transaction, not inside it
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
        audit.record(
            actor,
            "password.reset",
            ok=True,
            contract=contract,
            staff_reason=staff_reason,
            reference=reference,
            login_unlocked=unlocked,
        )
        hold = holds.after_change(contract, reason="password_reset", actor=actor)
        notify(contract, "password_reset", hold=hold)
    return temporary
