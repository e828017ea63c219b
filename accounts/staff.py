"""Staff login to the admin (SPEC §7): password and the staff member's own OTP on one form.

* One answer for every failure (unknown user, customer, wrong password, wrong
  code, locked): the page never tells which part was wrong.
* 5 failures, password or code, lock the staff account for 15 minutes; a right answer is let in only if no
  lock was set meanwhile (one conditional UPDATE), and a right code sent twice is refused but not counted.
* A customer's wrong password here counts toward that customer's login lock.
* Every attempt is audited.
* A staff member without a device is let in only to enroll one (accounts.enrollment).
"""

import secrets
from datetime import timedelta

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from auditlog import audit
from ibank import clock

from . import services
from .models import StaffDevice

User = get_user_model()

LOGIN_FAILED = _(
    "ユーザー名、パスワードまたはワンタイムパスワードが正しくないか、現在ログインできません。"
    "しばらくしてからもう一度お試しください。"
)
STAFF_MAX_FAILURES = 5
STAFF_LOCK = timedelta(minutes=15)


class StaffLoginForm(forms.Form):
    """The admin's login form (django.contrib.admin calls it with ``request`` and ``data``)."""

    username = forms.CharField(label=_("ユーザー名"), max_length=150)
    password = forms.CharField(label=_("パスワード"), strip=False, widget=forms.PasswordInput)
    otp_token = forms.CharField(
        label=_("ワンタイムパスワード"),
        required=False,
        max_length=6,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request
        self.user_cache = None

    def get_user(self):
        return self.user_cache

    @sensitive_variables("password", "token")
    def clean(self):
        username = self.cleaned_data.get("username", "")
        password = self.cleaned_data.get("password", "")
        token = self.cleaned_data.get("otp_token", "")
        user = User.objects.filter(username=username).first() if username else None
        # The same Argon2 work whatever the username.
        password_ok = user.check_password(password) if user is not None else check_password(password, _dummy())
        reason, device = self._refusal(user, password_ok, token)
        if not reason and not _accept(user):
            reason = "locked"  # locked by failures counted between our read and now: a right answer comes late
        if reason:
            audit.record(self.request.actor, "admin.login", ok=False, reason=reason, as_name=f"admin:{username[:150]}")
            raise forms.ValidationError(LOGIN_FAILED, code="invalid_login")
        if device is not None:
            user.otp_device = device  # django_otp marks the session verified at login
        audit.record(
            self.request.actor,
            "admin.login",
            ok=True,
            as_name=f"staff:{user.get_username()}",
            enrolled=device is not None,
        )
        self.user_cache = user
        return self.cleaned_data

    def _refusal(self, user, password_ok: bool, token: str):
        """(reason, device): an empty reason lets the staff member in; every refusal looks the same outside."""
        if user is None:
            return "unknown_user", None
        contract = getattr(user, "contract", None)
        if contract is not None:
            if not password_ok:
                # A customer's password guessed here counts toward the customer's own lock.
                actor = self.request.actor

                def locked():  # in the transaction that set the lock
                    audit.record(actor, "login.lock", ok=True, contract=contract, reason="too_many_failures")

                services.count_login_failure(contract, contract.contract_id, on_locked=locked)
            return "customer", None
        if not (user.is_staff and user.is_active):
            return "not_staff", None
        now = clock.now()
        if user.staff_locked_until is not None and user.staff_locked_until > now:
            return "locked", None
        if not password_ok:
            return _count_staff_failure(self.request, user, "wrong_password"), None
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
        return _count_staff_failure(self.request, user, "wrong_otp"), None


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


def _count_staff_failure(request, user, reason: str) -> str:
    count_staff_failure(request, user)
    return reason


def count_staff_failure(request, user) -> bool:
    """One more failure (a password, a code or a 登録コード) toward the staff lock; True when it set the lock."""
    User.objects.filter(pk=user.pk).update(staff_failures=F("staff_failures") + 1)
    locked = User.objects.filter(pk=user.pk, staff_failures__gte=STAFF_MAX_FAILURES).update(
        staff_failures=0, staff_locked_until=clock.now() + STAFF_LOCK
    )
    if locked:
        audit.record(
            request.actor, "admin.lock", ok=True, reason="too_many_failures", as_name=f"staff:{user.get_username()}"
        )
    return bool(locked)


@transaction.atomic
def staff_device_delete(*, actor, device: StaffDevice) -> None:
    """A staff member's device is removed (a lost phone): audited with whose it was."""
    audit.record(actor, "staff.device_delete", ok=True, owner=device.user.get_username())
    device.delete()
