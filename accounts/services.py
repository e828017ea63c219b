"""Customer authentication and login (SPEC §4.1)."""

import hashlib
import re
import secrets

from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.hashers import check_password, make_password
from django.db import connection
from django.views.decorators.debug import sensitive_variables

from ibank import clock
from ibank.notices import notify

from . import audit
from .models import Contract, LoginRecord

SESSION_LOGIN_AT = "_ibank_login_at"
SESSION_LAST_SEEN = "_ibank_last_seen"
SESSION_LOGIN_RECORD = "_ibank_login_record"

_SMARTPHONE_UA = re.compile(r"iPhone|iPod|Android.*Mobile|Windows Phone|Mobile Safari", re.IGNORECASE)


class InvalidCredentials(Exception):
    """Unknown 契約者ID or wrong password (the customer is not told which); ``left``: tries before the lock."""

    def __init__(self, left: int):
        super().__init__(left)
        self.left = left


class LoginLocked(Exception):
    """The contract is locked (ログイン停止) until the branch unlocks it."""


class ContractUnavailable(Exception):
    """The contract cannot be used for internet banking (cancelled)."""


class ContractSuspended(Exception):
    """IB取引中止: the customer stopped all IB use; only the branch lifts it."""


def channel_for(request) -> str:
    if _SMARTPHONE_UA.search(request.META.get("HTTP_USER_AGENT", "")):
        return LoginRecord.Channel.SMARTPHONE
    return LoginRecord.Channel.PC


_dummy_hash: str | None = None


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
    from django.core.cache import cache

    key = "ibank:login-failures:" + hashlib.sha256(contract_id.encode()).hexdigest()
    if cache.add(key, 1, _PHANTOM_TTL):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, _PHANTOM_TTL)
        return 1


def count_login_failure(contract_id: str) -> tuple[int, bool, bool] | None:
    """Count one wrong password for ``contract_id`` and lock at the limit, in one UPDATE.

    The statement is the same for an unknown ID (it then changes no row), so
    that the two cases cannot be told apart by the work they cause. Returns
    (failures, locked, newly locked by this call), or None for an unknown ID.
    """
    now = connection.ops.adapt_datetimefield_value(clock.now())
    table = connection.ops.quote_name(Contract._meta.db_table)
    sql = (
        f"UPDATE {table} SET login_failures = login_failures + 1,"  # noqa: S608 (table name from model metadata)
        f" login_locked_at = CASE WHEN login_locked_at IS NULL AND login_failures + 1 >= %s"
        f" THEN %s ELSE login_locked_at END WHERE contract_id = %s RETURNING login_failures, login_locked_at"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [settings.IBANK_LOGIN_MAX_FAILURES, now, contract_id])
        row = cursor.fetchone()
    if row is None:
        return None
    failures, locked_at = row
    # Increments are serialised by the row lock: exactly one call reaches the limit.
    return failures, locked_at is not None, locked_at is not None and failures == settings.IBANK_LOGIN_MAX_FAILURES


@sensitive_variables("password")
def contract_authenticate(*, request, contract_id: str, password: str, action: str = "login.password") -> Contract:
    """Check 契約者ID + ログインパスワード with the lockout rule. Does not log in.

    Raises InvalidCredentials, LoginLocked or ContractUnavailable; every attempt
    is audited. An unknown ID, a wrong password and a locked contract cost the
    same: one SELECT, one Argon2 verification, one UPDATE, one audit INSERT.
    """
    contract = Contract.objects.select_related("user").filter(contract_id=contract_id).first()
    if contract is None:
        check_password(password, _unknown_id_hash())
        ok = False
    else:
        ok = contract.user.check_password(password)
    if not ok or contract.is_login_locked:
        counted = count_login_failure(contract_id)
        phantom = _count_phantom_failure(contract_id)
        limit = settings.IBANK_LOGIN_MAX_FAILURES
        if contract is None:
            audit.record(request, action, ok=False, reason="unknown_id", contract_id=contract_id, failures=phantom)
            if phantom >= limit:
                raise LoginLocked
            raise InvalidCredentials(left=limit - phantom)
        if contract.is_login_locked:
            audit.record(request, action, ok=False, contract=contract, reason="locked")
            raise LoginLocked
        failures, locked, newly_locked = counted
        contract.login_failures = failures
        audit.record(request, action, ok=False, contract=contract, reason="wrong_password", failures=failures)
        if newly_locked:
            audit.record(request, "login.lock", ok=True, contract=contract, reason="too_many_failures")
            notify(contract, "login_locked")
        if locked:
            raise LoginLocked
        raise InvalidCredentials(left=limit - failures)
    if not contract.reset_login_failures():
        # Locked by concurrent failures between our check and now.
        audit.record(request, action, ok=False, contract=contract, reason="locked")
        raise LoginLocked
    if not contract.user.is_active or contract.cancelled_at is not None:
        reason = "cancelled" if contract.cancelled_at is not None else "inactive"
        audit.record(request, action, ok=False, contract=contract, reason=reason)
        raise ContractUnavailable
    if contract.ib_suspended_at is not None:
        audit.record(request, action, ok=False, contract=contract, reason="suspended")
        raise ContractSuspended
    audit.record(request, action, ok=True, contract=contract)
    return contract


def contract_login(*, request, contract: Contract, channel: str | None = None) -> LoginRecord:
    """Log the customer in: a new session key, every other session of the contract ended."""
    user = contract.user
    # last_login goes with the nonce (Django's own update_last_login receiver is disconnected: accounts.apps).
    user.rotate_session_nonce(last_login=clock.now())
    login(request, user, backend="accounts.backends.IbankBackend")
    record = LoginRecord.objects.create(
        contract=contract, channel=channel or channel_for(request), ip=audit.client_ip(request)
    )
    now = clock.epoch()
    request.session[SESSION_LOGIN_AT] = now
    request.session[SESSION_LAST_SEEN] = now
    request.session[SESSION_LOGIN_RECORD] = record.pk
    audit.record(request, "login", ok=True, contract=contract, channel=record.channel)
    return record


def contract_logout(*, request) -> None:
    """End the login (any channel), audited for a customer."""
    from django.contrib.auth import logout

    contract = getattr(request.user, "contract", None) if request.user.is_authenticated else None
    if contract is not None:
        audit.record(request, "logout", ok=True, contract=contract)
    logout(request)


def previous_logins(*, contract: Contract, current_record_id: int | None, count: int = 3):
    """The last ``count`` logins before the current one (前回ログイン日時)."""
    return list(contract.logins.exclude(pk=current_record_id)[:count])


def contract_suspend(*, request, contract: Contract) -> None:
    """IB取引中止 (SPEC §4.5): stop all IB use of the contract at once and end its sessions."""
    Contract.objects.filter(pk=contract.pk, ib_suspended_at__isnull=True).update(ib_suspended_at=clock.now())
    contract.user.rotate_session_nonce()  # every session of the contract ends at its next request
    audit.record(request, "ib.suspend", ok=True, contract=contract)
    notify(contract, "ib_suspended")
