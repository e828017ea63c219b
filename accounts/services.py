"""Customer authentication and login (SPEC §4.1)."""

import re

from django.contrib.auth import login
from django.contrib.auth.hashers import make_password
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
    """Unknown 契約者ID or wrong password (the customer is not told which)."""


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


@sensitive_variables("password")
def contract_authenticate(*, request, contract_id: str, password: str, action: str = "login.password") -> Contract:
    """Check 契約者ID + ログインパスワード with the lockout rule. Does not log in.

    Raises InvalidCredentials, LoginLocked or ContractUnavailable; every attempt is audited.
    """
    contract = Contract.objects.select_related("user").filter(contract_id=contract_id).first()
    if contract is None:
        make_password(password)  # spend the same time as a real check: no ID enumeration by timing
        audit.record(request, action, ok=False, reason="unknown_id", contract_id=contract_id)
        raise InvalidCredentials
    if contract.is_login_locked:
        audit.record(request, action, ok=False, contract=contract, reason="locked")
        raise LoginLocked
    if not contract.user.check_password(password):
        newly_locked = contract.register_login_failure()
        audit.record(
            request, action, ok=False, contract=contract, reason="wrong_password", failures=contract.login_failures
        )
        if newly_locked:
            audit.record(request, "login.lock", ok=True, contract=contract, reason="too_many_failures")
            notify(contract, "login_locked")
        if contract.is_login_locked:
            raise LoginLocked
        raise InvalidCredentials
    if not contract.reset_login_failures():
        # Locked by concurrent failures between our check and now.
        audit.record(request, action, ok=False, contract=contract, reason="locked")
        raise LoginLocked
    if not contract.user.is_active:
        audit.record(request, action, ok=False, contract=contract, reason="inactive")
        raise ContractUnavailable
    if contract.ib_suspended_at is not None:
        audit.record(request, action, ok=False, contract=contract, reason="suspended")
        raise ContractSuspended
    audit.record(request, action, ok=True, contract=contract)
    return contract


def contract_login(*, request, contract: Contract, channel: str | None = None) -> LoginRecord:
    """Log the customer in: a new session key, every other session of the contract ended."""
    user = contract.user
    user.rotate_session_nonce()
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    record = LoginRecord.objects.create(
        contract=contract, channel=channel or channel_for(request), ip=audit.client_ip(request)
    )
    now = clock.epoch()
    request.session[SESSION_LOGIN_AT] = now
    request.session[SESSION_LAST_SEEN] = now
    request.session[SESSION_LOGIN_RECORD] = record.pk
    audit.record(request, "login", ok=True, contract=contract, channel=record.channel)
    return record


def previous_logins(*, contract: Contract, current_record_id: int | None, count: int = 3):
    """The last ``count`` logins before the current one (前回ログイン日時)."""
    return list(contract.logins.exclude(pk=current_record_id)[:count])


def contract_suspend(*, request, contract: Contract) -> None:
    """IB取引中止 (SPEC §4.5): stop all IB use of the contract at once and end its sessions."""
    Contract.objects.filter(pk=contract.pk, ib_suspended_at__isnull=True).update(ib_suspended_at=clock.now())
    contract.user.rotate_session_nonce()  # every session of the contract ends at its next request
    audit.record(request, "ib.suspend", ok=True, contract=contract)
    notify(contract, "ib_suspended")
