"""Staff login to the admin (SPEC §7): password and the staff member's own OTP, decided here; the form
(staff.login) only asks.

* One answer for every failure (unknown user, customer, wrong password, wrong code, locked): the caller
  never learns which part was wrong.
* 5 failures, password or code, lock the staff account for 15 minutes; a right answer is let in only if no
  lock was set meanwhile (one conditional UPDATE), and a right code sent twice is refused but not counted.
* A customer's wrong password here counts toward that customer's login lock.
* Every attempt is audited.
* A sender (client address) past the customers' count of failed logins (accounts.senders) is refused
  unread, with the same answer; every failure here counts toward it too.
* A staff member without a device is let in only to enroll one (staff.enrollment).
"""

import secrets
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.db.models import Q
from django.views.decorators.debug import sensitive_variables

from accounts import senders, services
from accounts.models import StaffDevice
from auditlog import audit
from ibank import clock

User = get_user_model()

STAFF_MAX_FAILURES = 5
STAFF_LOCK = timedelta(minutes=15)


class LoginFailed(Exception):
    """Any refusal of a staff login: its reason is audited, never told."""


@sensitive_variables("password", "token")
def authenticate(*, actor, username: str, password: str, token: str):
    """(the staff member, their device or None when they have none yet) or LoginFailed; audited either way.
    A sender whose logins are paused (accounts.senders: the customers' count) is refused unread; any other's
    try counts as its failure until it proves right."""
    counted = senders.count_try(actor)
    if counted is False:
        senders.refused(actor, "admin.login", as_name=f"admin:{username[:150]}")
        raise LoginFailed(senders.REASON)
    user = User.objects.filter(username=username).first() if username else None
    # The same Argon2 work whatever the username.
    password_ok = user.check_password(password) if user is not None else check_password(password, _dummy())
    reason, device = _refusal(actor, user, password_ok, token)
    if not reason and not _accept(user):
        reason = "locked"  # locked by failures counted between our read and now: a right answer comes late
    if counted and reason in ("", "reused_otp"):  # a right code sent twice is no failure either
        senders.not_a_failure(actor)
    if reason:
        audit.record(actor, "admin.login", ok=False, reason=reason, as_name=f"admin:{username[:150]}")
        raise LoginFailed(reason)
    audit.record(actor, "admin.login", ok=True, as_name=f"staff:{user.get_username()}", enrolled=device is not None)
    return user, device


def _refusal(actor, user, password_ok: bool, token: str):
    """(reason, device): an empty reason lets the staff member in; every refusal looks the same outside."""
    if user is None:
        return "unknown_user", None
    contract = getattr(user, "contract", None)
    if contract is not None:
        if not password_ok:
            # A customer's password guessed here counts toward the customer's own lock.
            def locked():  # in the transaction that set the lock
                audit.record(actor, "login.lock", ok=True, contract=contract, reason="too_many_failures")

            services.count_login_failure(contract, contract.contract_id, on_locked=locked)
        return "customer", None
    if not (user.is_staff and user.is_active):
        return "not_staff", None
    if is_locked(user, clock.now()):
        return "locked", None
    if not password_ok:
        return _counted(actor, user, "wrong_password"), None
    devices = list(StaffDevice.objects.filter(user=user, confirmed=True))
    if not devices:
        return "", None  # enrollment: admin pages stay closed until a device is confirmed
    results = []
    for device in devices:
        results.append(device.check_code(token))
        if results[-1] == "ok":
            return "", device
    if "reused" in results:
        return "reused_otp", None  # a double submission of a right code: refused, never counted as wrong
    return _counted(actor, user, "wrong_otp"), None


def is_locked(user, now) -> bool:
    """The staff lock in force at ``now``, on the user's row as read (``_accept`` asks the same in SQL)."""
    return user.staff_locked_until is not None and user.staff_locked_until > now


def _accept(user) -> bool:
    """Let the staff member in only if no lock was set since their row was read, and reset the count: one
    conditional UPDATE, so that of a burst of guesses only those before the lock can succeed (every one of
    them is counted), as for customers (accounts.services.contract_authenticate)."""
    now = clock.now()
    user.last_login = now
    accepted = (
        User.objects.filter(pk=user.pk, staff_failures__lt=STAFF_MAX_FAILURES)
        .filter(Q(staff_locked_until__isnull=True) | Q(staff_locked_until__lte=now))
        .update(staff_failures=0, staff_locked_until=None, last_login=now)
    )
    return accepted == 1


_dummy_hash = None


def _dummy() -> str:
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = make_password(secrets.token_urlsafe(12))
    return _dummy_hash


def _counted(actor, user, reason: str) -> str:
    """A wrong guess's reason, or "locked" when a lock set since the user's row was read (by a concurrent
    guess) was in force: that guess is then not counted, as for customers."""
    return "locked" if count_staff_failure(actor, user) == ALREADY_LOCKED else reason


#: count_staff_failure's answers: counted; counted and the lock set by it; a lock in force (not counted)
COUNTED, LOCKED_NOW, ALREADY_LOCKED = "counted", "locked_now", "already_locked"


def count_staff_failure(actor, user) -> str:
    """One more failure (a password, a code or a 登録コード) toward the staff lock, decided under the staff
    member's row lock: of a burst of wrong guesses that all read the row unlocked, those after the one that
    set the lock are not counted (ALREADY_LOCKED), so the lock is set once and the count starts again from
    it. COUNTED, or LOCKED_NOW when this failure set the lock (audited)."""
    now = clock.now()
    with transaction.atomic():
        fresh = User.objects.select_for_update().only("staff_failures", "staff_locked_until").get(pk=user.pk)
        if is_locked(fresh, now):
            return ALREADY_LOCKED
        failures = fresh.staff_failures + 1
        if failures < STAFF_MAX_FAILURES:
            User.objects.filter(pk=user.pk).update(staff_failures=failures)
            return COUNTED
        User.objects.filter(pk=user.pk).update(staff_failures=0, staff_locked_until=now + STAFF_LOCK)
        audit.record(actor, "admin.lock", ok=True, reason="too_many_failures", as_name=f"staff:{user.get_username()}")
    return LOCKED_NOW


def staff_account_recorded(*, actor, user, added: bool, changes: list) -> None:
    """A staff account added or changed at the admin (its rights, roles or password): audited with the account
    as it now stands (active, staff, superuser, roles) and the admin's list of what changed (the fields' names,
    never a value): who was given which rights, by whom, is the bank's record, not only the admin's history."""
    audit.record(
        actor,
        "staff.account_add" if added else "staff.account_change",
        ok=True,
        username=user.get_username(),
        active=user.is_active,
        staff=user.is_staff,
        superuser=user.is_superuser,
        roles=sorted(user.groups.values_list("name", flat=True)),
        changes=changes,
    )


@transaction.atomic
def staff_devices_delete(*, actor, devices) -> None:
    """Staff members' devices are removed (a lost phone), one or the admin's selection: each audited with whose
    it was."""
    for device in devices:
        audit.record(actor, "staff.device_delete", ok=True, owner=device.user.get_username())
        device.delete()
