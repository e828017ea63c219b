"""Customer authentication and login (SPEC §4.1)."""

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.views.decorators.debug import sensitive_variables
from django_otp import login as verified_with

from auditlog import audit
from ibank import clock, compiled, ratelimit, sessions
from notices.outbox import notify

from . import environments, gate, holds, locks, senders
from .models import Contract, Lock, LoginRecord

SESSION_LOGIN_AT = "_ibank_login_at"
SESSION_LAST_SEEN = "_ibank_last_seen"
SESSION_LOGIN_RECORD = "_ibank_login_record"
#: True when this session's login was from a browser the contract had not used before (issue 17).
SESSION_NEW_ENVIRONMENT = "_ibank_new_environment"
#: [[at (ISO 8601), channel], …]: the logins before this session's, newest first (前回ログイン日時).
SESSION_PREVIOUS_LOGINS = "_ibank_previous_logins"
PREVIOUS_LOGINS = 3

_SMARTPHONE_UA = re.compile(r"iPhone|iPod|Android.*Mobile|Windows Phone|Mobile Safari", re.IGNORECASE)


class InvalidCredentials(Exception):
    """Unknown 契約者ID or wrong password (the customer is not told which); ``left``: tries before the lock."""

    def __init__(self, left: int):
        super().__init__(left)
        self.left = left


class LoginRefused(Exception):
    """The gate refused the login; ``message`` says why and whom to call."""

    reason = "refused"

    def __init__(self, message=None, reason: str | None = None):
        super().__init__(reason or self.reason)
        self.message = message if message is not None else gate.LOGIN_LOCKED
        if reason is not None:
            self.reason = reason


class LoginLocked(LoginRefused):
    """The contract is locked (ログイン停止) until the branch unlocks it."""

    reason = "locked"


def channel_for(request) -> str:
    return channel_of_agent(request.META.get("HTTP_USER_AGENT", ""))


def channel_of_agent(agent: str) -> str:
    """PC or smartphone from a User-Agent (a request's, or a failed login's as the audit log kept it)."""
    return LoginRecord.Channel.SMARTPHONE if _SMARTPHONE_UA.search(agent) else LoginRecord.Channel.PC


_dummy_hash: str | None = None


#: What the password step loads with the contract, in the same query: its user, and what higher rooms
#: register with :func:`load_with_contract` (otp: the token binding, whose ログイン時認証 decides the next step).
_with_contract: list[str] = ["user"]


def load_with_contract(path: str) -> None:
    """Load ``path`` (a ``select_related`` path from the contract) with the contract the password step reads."""
    if path not in _with_contract:
        _with_contract.append(path)
        _BY_CONTRACT_ID.forget()


#: the contract by 契約者ID with what :func:`load_with_contract` named, compiled once (every login asks)
_BY_CONTRACT_ID = compiled.CompiledQuery(
    lambda contract_id: locks.read_with(
        Contract.objects.select_related(*_with_contract).filter(contract_id=contract_id)[:1], contract_of="pk"
    ),
    "probe-contract-id",
)
#: a contract's logins before this one (前回ログイン日時), newest first
_PREVIOUS = compiled.CompiledQuery(
    lambda contract_pk, record_pk: LoginRecord.objects.filter(contract_id=contract_pk).exclude(pk=record_pk)[
        :PREVIOUS_LOGINS
    ],
    -7_000_000_001,
    -7_000_000_002,
)


def _unknown_id_hash() -> str:
    """A hash to verify against when the ID is unknown: the same Argon2 work as a real check."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = make_password(secrets.token_urlsafe(12))
    return _dummy_hash


_PHANTOM_TTL = 90 * 24 * 3600


def _count_phantom_failure(contract_id: str) -> int:
    """Wrong passwords for a 契約者ID, counted in the cache, for every failed attempt.

    For an unknown ID this count stands in for the contract's own: the remaining-tries message and the
    lock message follow it exactly as they follow a real contract's, so that neither tells whether the
    ID exists. It is kept for known IDs too, so that both cases do the same work.
    """
    key = "ibank:login-failures:" + hashlib.sha256(contract_id.encode()).hexdigest()
    return ratelimit.count(key, window=_PHANTOM_TTL)


def count_login_failure(contract: Contract | None, contract_id: str, on_locked=None) -> locks.Counted | None:
    """Count one wrong password and lock at the limit, in one statement.

    The statement is the same for an unknown ID (it then changes no row), so that the two cases cannot be
    told apart by the work they cause. Returns what was counted, or None for an unknown ID.
    """
    pk = contract.pk if contract is not None else 0
    counted = locks.count_failure(
        model=Contract,
        pk=pk,
        field="login_failures",
        contract_id=pk,
        kind=Lock.Kind.LOGIN,
        limit=settings.IBANK_LOGIN_MAX_FAILURES,
        by=f"customer:{contract_id}",
        on_locked=on_locked,
    )
    return counted if contract is not None else None


@dataclass(frozen=True)
class PasswordCheck:
    """What :func:`check_password_pair` found: nothing written yet."""

    contract_id: str
    contract: Contract | None
    ok: bool
    answer: object  # the gate's answer for a login (ALLOWED for an unknown ID)
    paused: bool = False  # the sender's logins are paused: nothing was read or verified
    counted: bool = False  # already counted as the sender's failure (accounts.senders): given back if right


@sensitive_variables("password")
def check_password_pair(*, contract_id: str, password: str, actor=None) -> PasswordCheck:
    """Read the contract and check 契約者ID + ログインパスワード: reads and the Argon2 verification only, so that
    no transaction need be open through its 20 ms (:func:`contract_authenticate` writes the outcome).

    An unknown ID and a known one cost the same: one SELECT (the contract's open locks with it), one Argon2
    verification. From a sender whose logins are paused (``actor``'s address: :mod:`accounts.senders`), neither;
    from any other, the try counts as the sender's failure until :func:`contract_authenticate` finds it right.
    """
    counted = senders.count_try(actor)
    if counted is False:
        return PasswordCheck(contract_id, None, False, gate.ALLOWED, paused=True)
    contract = _BY_CONTRACT_ID.first(contract_id)
    if contract is None:
        check_password(password, _unknown_id_hash())
        ok = False
    else:
        locks.adopt(contract, contract)
        ok = contract.user.check_password(password)
    answer = gate.may(contract, gate.Action.LOGIN) if contract is not None else gate.ALLOWED
    return PasswordCheck(contract_id, contract, ok, answer, counted=bool(counted))


def contract_authenticate(*, actor, check: PasswordCheck, action: str = "login.password") -> Contract:
    """Write the outcome of ``check`` with the lockout rule, after the gate. Does not log in.

    Raises InvalidCredentials, LoginLocked or LoginRefused (cancelled, suspended); every attempt is
    audited. An unknown ID, a wrong password and a locked contract cost the same: the counting statement and
    one audit INSERT. Runs in the caller's transaction, if any (the login's: one commit for all its rows).
    """
    if check.paused:  # no guess was evaluated: nothing counts toward the contract's lock
        senders.refused(actor, action, contract_id=check.contract_id)
        raise LoginRefused(senders.PAUSED, reason=senders.REASON)
    contract, answer = check.contract, check.answer
    locked = not answer and answer.kind == Lock.Kind.LOGIN
    if not check.ok or locked:
        return _refuse_password(actor, action, contract, check.contract_id)
    if check.counted:  # the right pair: no failure of its sender's
        senders.not_a_failure(actor)
    guard = (Lock.Kind.LOGIN,)
    limit = settings.IBANK_LOGIN_MAX_FAILURES
    # Asked even when the count as read was 0: a burst's wrong guesses, evaluated beside this one, may have
    # reached the limit since, and a right guess after the lock must be refused like any other.
    if not locks.accept(
        model=Contract, pk=contract.pk, field="login_failures", contract_id=contract.pk, guard=guard, limit=limit
    ):
        # Locked by concurrent failures between our check and now.
        audit.record(actor, action, ok=False, contract=contract, reason="locked")
        raise LoginLocked
    contract.login_failures = 0
    if not answer:
        audit.record(actor, action, ok=False, contract=contract, reason=_REFUSAL_REASONS.get(answer.kind, answer.kind))
        raise LoginRefused(answer.message, reason=answer.kind)
    audit.record(actor, action, ok=True, contract=contract)
    return contract


_REFUSAL_REASONS = {"cancelled": "cancelled", Lock.Kind.IB_SUSPENSION: "suspended"}


def _refuse_password(actor, action, contract, contract_id):
    def locked():  # in the transaction that set the lock
        audit.record(actor, "login.lock", ok=True, contract=contract, reason="too_many_failures")
        notify(contract, "login_locked")

    counted = count_login_failure(contract, contract_id, on_locked=locked)
    phantom = _count_phantom_failure(contract_id)
    limit = settings.IBANK_LOGIN_MAX_FAILURES
    if contract is None:
        audit.record(actor, action, ok=False, reason="unknown_id", contract_id=contract_id, failures=phantom)
        if phantom >= limit:
            raise LoginLocked
        raise InvalidCredentials(left=limit - phantom)
    if not counted.counted:
        audit.record(actor, action, ok=False, contract=contract, reason="locked")
        raise LoginLocked
    contract.login_failures = counted.failures
    audit.record(actor, action, ok=False, contract=contract, reason="wrong_password", failures=counted.failures)
    if counted.failures >= limit:
        raise LoginLocked
    raise InvalidCredentials(left=limit - counted.failures)


#: a login of the contract this session logged in, on the same channel, this soon after: the same login sent
#: again (a double click on ログイン), not a second one
SAME_LOGIN_SECONDS = 10


def contract_login(
    *, request, contract: Contract, channel: str | None = None, by: str = "", device=None
) -> LoginRecord | None:
    """Log the customer in: a new session key, every other session of the contract ended; the environment
    recognised or made known (its device cookie), the login notified, a new environment held (issue 17) —
    unless the second step was a passkey (``by="passkey"``): bound to our origin, it cannot be relayed.
    ``device``: the second factor's django-otp device, which the session then counts as verified.
    The login this session made seconds ago, sent again, stays the session's: no second login, record or
    notice (None)."""
    channel = channel or channel_for(request)
    if _same_login(request, contract, channel):
        verified_with(request, device)  # django-otp's login: nothing without a device
        return None
    # One commit for the login's rows (issue 19). Inside the password step's transaction no savepoint (two
    # round trips): no caller goes on after a failure here, which ends it all. The session (in Redis) is
    # written before the commit: were it out of reach, no record, entry, hold or notice of a login that the
    # customer never got would stay.
    with transaction.atomic(savepoint=False):
        record = _contract_login(request, contract, channel, by)
        verified_with(request, device)
        sessions.write_now(request.session)
        return record


def _same_login(request, contract: Contract, channel: str) -> bool:
    login_at = request.session.get(SESSION_LOGIN_AT)
    user = getattr(request, "user", None)
    if login_at is None or user is None or not user.is_authenticated or user.pk != contract.user_id:
        return False
    if clock.epoch() - login_at > SAME_LOGIN_SECONDS:
        return False
    return LoginRecord.objects.filter(
        pk=request.session.get(SESSION_LOGIN_RECORD), contract=contract, channel=channel
    ).exists()


def _contract_login(request, contract: Contract, channel: str, by: str) -> LoginRecord:
    user = contract.user
    # last_login goes with the nonce (Django's own update_last_login receiver is disconnected: accounts.apps).
    # Were this transaction to roll back, the session's hash would match no nonce: logged out, never in.
    user.rotate_session_nonce(last_login=clock.now())
    login(request, user, backend="accounts.backends.IbankBackend")
    seen = environments.at_login(request, contract)
    record = LoginRecord(
        contract=contract,
        channel=channel,
        ip=request.actor.ip,
        browser=seen.browser,
        new_environment=seen.new,
    )
    compiled.insert(record)
    now = clock.epoch()
    request.session[SESSION_LOGIN_AT] = now
    request.session[SESSION_LAST_SEEN] = now
    request.session[SESSION_LOGIN_RECORD] = record.pk
    request.session[SESSION_NEW_ENVIRONMENT] = seen.new
    request.session[SESSION_PREVIOUS_LOGINS] = [
        [r.at.isoformat(), r.channel] for r in _PREVIOUS.all(contract.pk, record.pk)
    ]
    second = {"by": by} if by else {}
    audit.record(
        request.actor, "login", ok=True, contract=contract, channel=record.channel, new_environment=seen.new, **second
    )
    _after_login(request.actor, contract, record, new=seen.new, held=seen.new and by != "passkey")
    return record


def _after_login(actor, contract: Contract, record: LoginRecord, *, new: bool, held: bool) -> None:
    """A new environment is always notified (and held, ``held``); a known one is notified unless turned off."""
    held_until = None
    if held:  # the end the hold has now (a later one in force is kept, and said)
        held_until = holds.begin(contract, Lock.Kind.ENVIRONMENT_HOLD, reason="new_environment", actor=actor)
    if new or contract.notify_known_logins:
        notify(contract, "login", record=record, new_environment=new, held_until=held_until)


def login_was_new(request) -> bool:
    """This session's login was from a new environment (a session without the mark counts as new)."""
    return request.session.get(SESSION_NEW_ENVIRONMENT, True)


def contract_logout(*, request) -> None:
    """End the login (any channel), audited for a customer."""
    from django.contrib.auth import logout

    contract = getattr(request.user, "contract", None) if request.user.is_authenticated else None
    actor = request.actor  # read while logged in
    logout(request)  # first: a session that cannot be ended (Redis down) is never audited as logged out
    if contract is not None:
        audit.record(actor, "logout", ok=True, contract=contract)


def previous_logins(request, contract: Contract, count: int = PREVIOUS_LOGINS) -> list[LoginRecord]:
    """The last ``count`` logins before this session's (前回ログイン日時), as read at login: they cannot change
    while the session lives, since a login ends every other session of the contract. (A session from
    before they were kept there reads them.)"""
    kept = request.session.get(SESSION_PREVIOUS_LOGINS)
    if kept is None:
        return list(contract.logins.exclude(pk=request.session.get(SESSION_LOGIN_RECORD))[:count])
    return [
        LoginRecord(contract=contract, at=datetime.fromisoformat(at), channel=channel) for at, channel in kept[:count]
    ]


@transaction.atomic
def contract_suspend(*, actor, contract: Contract) -> None:
    """IB取引中止 (SPEC §4.5): stop all IB use of the contract at once and end its sessions. A twin request
    (a double click whose session was read before the first ended it) finds it stopped: nothing again."""
    if locks.set_lock(contract, Lock.Kind.IB_SUSPENSION, reason="customer", by=audit.actor_name(actor, contract)):
        contract.user.rotate_session_nonce()  # every session of the contract ends at its next request
        audit.record(actor, "ib.suspend", ok=True, contract=contract)
        notify(contract, "ib_suspended")


def email_is(contract: Contract, email: str) -> bool:
    """Whether the contract's address is ``email`` now (read afresh: a double submission asks whether the first
    one changed it)."""
    return Contract.objects.filter(pk=contract.pk, email=email).exists()


@transaction.atomic
def email_change(*, actor, contract: Contract, new_email: str) -> None:
    """Change the contract's address (authorized beforehand); the old and the new address are both told."""
    old = contract.email
    Contract.objects.filter(pk=contract.pk).update(email=new_email)
    audit.record(actor, "email.change", ok=True, contract=contract, old=old, new=new_email)
    hold = holds.after_change(contract, reason="email_change", actor=actor)
    if old:
        notify(contract, "email_changed", new_email=new_email, hold=hold)  # to the old address, taken now
    contract.email = new_email
    notify(contract, "email_changed", new_email=new_email, hold=hold)
