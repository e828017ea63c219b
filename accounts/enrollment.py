"""A staff member without a device enrolls one, once, after their password (SPEC §7).

The password alone does not enroll a device: whoever learnt it before its owner's first login could bind
an authenticator of their own. Enrolment needs a 登録コード issued by somebody else — a superuser at the
admin, or the operator on the server for the first one (``manage.py staff_enrollment_code``) — shown once
to the issuer and handed over in person. Entered at /admin/enroll/ (each wrong code counts toward the staff
lock, checked under the staff member's row lock, so a burst evaluates no more guesses than the limit), it
is used once and the QR code is shown once, to that session; the device is enrolled when its first code is
entered. Nobody issues a code for themselves (a database constraint).
"""

import secrets
from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model, logout
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django_otp import login as otp_login

from auditlog import audit
from ibank import clock, qr
from ibank.text import half_width_digits

from . import staff
from .models import StaffDevice, StaffEnrollmentCode

User = get_user_model()

CODE_DIGITS = 12
CODE_VALID = timedelta(hours=24)
_SHOW_QR = "staff_enroll_show_qr"
_ENROLLING = "staff_enroll_device"  # the unconfirmed device this session made

ENROLL_WRONG = _("ワンタイムパスワードが正しくありません。認証アプリに表示されている6桁の数字を入力してください。")
CODE_WRONG = _("登録コードが正しくありません。発行した職員から受け取った12桁の数字を入力してください。")
CODE_ENDED = _(
    "この登録コードは有効期限を過ぎたか、再発行により無効になっています。登録コードの再発行を依頼してください。"
)
CODE_FORMAT = _("登録コードは12桁の数字で入力してください。")
OWN_CODE = _("ご自身の登録コードは発行できません。別の管理者に発行を依頼してください。")
NOT_STAFF = _("職員のアカウントではないため、登録コードは発行できません。")
HAS_DEVICE = _(
    "この職員には登録済みのワンタイムパスワードがあります。端末を紛失した場合は、先に登録済みの端末を削除してください。"
)


class NotIssuable(Exception):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def needs_enrollment(user) -> bool:
    return (
        user.is_authenticated
        and user.is_staff
        and not user.is_verified()
        and not StaffDevice.objects.filter(user=user, confirmed=True).exists()
    )


# -- issuing -----------------------------------------------------------------------------


def issue_code(*, actor, user, by=None, as_name: str = "") -> tuple[str, StaffEnrollmentCode]:
    """A new 登録コード for staff member ``user``, issued by ``by`` (None: the operator's command); the one
    still open ends (再発行). Returns the code, to be shown once to the issuer, and its row. Raises
    NotIssuable for a customer's or an inactive account, for one's own, or while a device is enrolled."""
    if by is not None and by.pk == user.pk:
        raise NotIssuable(OWN_CODE)
    if not (user.is_staff and user.is_active) or getattr(user, "contract", None) is not None:
        raise NotIssuable(NOT_STAFF)
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()  # one issue at a time per staff member
        if StaffDevice.objects.filter(user=user, confirmed=True).exists():
            raise NotIssuable(HAS_DEVICE)
        now = clock.now()
        StaffEnrollmentCode.objects.filter(user=user, ended_at__isnull=True).update(
            ended_at=now, end=StaffEnrollmentCode.End.REPLACED
        )
        code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
        row = StaffEnrollmentCode.objects.create(
            user=user,
            digest=StaffEnrollmentCode.digest_of(code),
            issued_by=by,
            issued_at=now,
            expires_at=now + CODE_VALID,
        )
        audit.record(
            actor,
            "staff.enrollment_code",
            ok=True,
            as_name=as_name,
            staff=user.get_username(),
            expires_at=row.expires_at.isoformat(),
        )
    return code, row


def grouped(code: str) -> str:
    """1234 5678 9012: how the code is shown, for reading it out."""
    return " ".join(code[i : i + 4] for i in range(0, len(code), 4))


# -- entering it ---------------------------------------------------------------------------


class _SecretField(forms.CharField):
    """A code typed from a paper or a phone: digits, never shown back."""

    def __init__(self, label, max_length: int, autocomplete: str = "off"):
        attrs = {"autocomplete": autocomplete, "inputmode": "numeric"}
        super().__init__(label=label, max_length=max_length, widget=forms.TextInput(attrs=attrs))

    def bound_data(self, data, initial):
        return ""


class CodeForm(forms.Form):
    enrollment_code = _SecretField(_("登録コード"), max_length=20)

    @sensitive_variables("code")
    def clean_enrollment_code(self):
        code = half_width_digits("".join(self.cleaned_data["enrollment_code"].split()).replace("-", ""))
        if not (len(code) == CODE_DIGITS and code.isascii() and code.isdigit()):
            raise forms.ValidationError(CODE_FORMAT)
        return code


class EnrollForm(forms.Form):
    otp_token = _SecretField(_("ワンタイムパスワード"), max_length=6, autocomplete="one-time-code")


@sensitive_variables("code")
def redeem(request, code: str) -> str:
    """The staff member's 登録コード: ``ok`` (used now; a new unconfirmed device is made, this session's),
    ``reused`` (this code was used already: a double submission, not counted), ``ended`` (expired or
    replaced), ``wrong`` (counted toward the staff lock) or ``locked`` (not evaluated)."""

    def check(user, now):
        outcome = _check(user, StaffEnrollmentCode.digest_of(code), now)
        if outcome == "ok":
            StaffDevice.objects.filter(user=user, confirmed=False).delete()
            device = StaffDevice(user=user, name=user.get_username(), confirmed=False)
            device.set_key(StaffDevice.new_key())
            device.save()
            request.session[_ENROLLING] = request.session[_SHOW_QR] = device.pk
        return outcome

    return _guess(request, check, step="code")


def confirm(request, device: StaffDevice, token: str) -> str:
    """The new device's first code: ``ok`` (confirmed; the session is verified), ``reused`` (a right code
    sent twice, not counted), ``wrong`` (counted toward the staff lock) or ``locked`` (not evaluated)."""

    def check(user, now):
        outcome = device.check_code(token)
        if outcome == "ok":
            StaffDevice.objects.filter(pk=device.pk).update(confirmed=True)
            device.confirmed = True
            otp_login(request, device)
        return outcome

    return _guess(request, check, step="device")


def _guess(request, check, *, step: str) -> str:
    """``check(user, now)`` of one guess under the staff member's row lock, so that concurrent guesses are
    counted one after another against the limit (a burst evaluates no more than it); a wrong one counted,
    each audited."""
    user, now = request.user, clock.now()
    with transaction.atomic():
        fresh = User.objects.select_for_update().get(pk=user.pk)
        locked = fresh.staff_locked_until is not None and fresh.staff_locked_until > now
        outcome = "locked" if locked else check(user, now)
        reason = {"ok": "", "reused": f"reused_{step}", "ended": "ended_code", "locked": "locked"}.get(outcome)
        if outcome == "wrong":
            reason = f"wrong_{step}"
            outcome = "locked" if staff.count_staff_failure(request, user) else "wrong"
        audit.record(
            request.actor, "staff.enroll", ok=outcome == "ok", reason=reason, as_name=f"staff:{user}", step=step
        )
    return outcome


def _check(user, digest: str, now) -> str:
    row = StaffEnrollmentCode.objects.filter(user=user, digest=digest).order_by("-issued_at").first()
    if row is None:
        return "wrong"
    if row.ended_at is None and row.expires_at > now:
        StaffEnrollmentCode.objects.filter(pk=row.pk, ended_at__isnull=True).update(
            ended_at=now, end=StaffEnrollmentCode.End.USED
        )
        return "ok"
    return "reused" if row.end == StaffEnrollmentCode.End.USED else "ended"


@sensitive_post_parameters("otp_token", "enrollment_code")
@csrf_protect
@never_cache
def enroll_view(request):
    """The 登録コード, then the QR code (shown once), then the device's first code. The device's steps are
    the session's that entered the code: another session (the same password elsewhere) is asked for a code."""
    if not needs_enrollment(request.user):
        return redirect("admin:index")
    device = StaffDevice.objects.filter(user=request.user, confirmed=False).first()
    if device is None or request.session.get(_ENROLLING) != device.pk or "enrollment_code" in request.POST:
        return _code_step(request)
    if request.method == "POST" and "restart" in request.POST:
        device.delete()
        audit.record(request.actor, "staff.enroll", ok=False, reason="restarted", as_name=f"staff:{request.user}")
        return redirect("admin:staff-enroll")
    form = EnrollForm(request.POST if request.method == "POST" else None)
    shown_key = None
    if request.method == "GET" and request.session.pop(_SHOW_QR, None) == device.pk:
        shown_key = device.config_url(settings.OTP_TOTP_ISSUER)  # once, to the session that entered the code
    elif request.method == "POST" and form.is_valid():
        outcome = confirm(request, device, form.cleaned_data["otp_token"])
        if outcome in ("ok", "reused", "locked"):  # reused: the first of a double submission confirmed it
            return _after(request, outcome)
        form.add_error("otp_token", ENROLL_WRONG)
    context = {"form": form, "uri": shown_key, "qr": qr.svg(shown_key, title=str(request.user)) if shown_key else None}
    return _page(request, context)


def _code_step(request):
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        outcome = redeem(request, form.cleaned_data["enrollment_code"])
        if outcome in ("ok", "reused", "locked"):
            return _after(request, outcome)
        form.add_error("enrollment_code", CODE_WRONG if outcome == "wrong" else CODE_ENDED)
    return _page(request, {"code_form": form})


def _after(request, outcome: str):
    if outcome == "locked":
        logout(request)  # the staff lock ends the session: the login's one answer from here on
        return redirect("admin:login")
    return redirect("admin:index" if outcome == "ok" and request.user.is_verified() else "admin:staff-enroll")


def _page(request, context):
    context = {
        **context,
        "title": _("職員用ワンタイムパスワードの登録"),
        "site_header": _("ibank 営業店管理"),
        "site_title": _("ibank 営業店管理"),
    }
    return render(request, "admin/staff_enroll.html", context)
