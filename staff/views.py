"""/admin/enroll/: the 登録コード, then the QR code (shown once), then the device's first code
(staff.enrollment decides each). The device's steps belong to the session that entered the code."""

from django import forms
from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django_otp import login as otp_login

from accounts.models import StaffDevice
from ibank import qr
from ibank.text import half_width_digits

from . import enrollment
from .enrollment import CODE_DIGITS
from .login import CodeField

_SHOW_QR = "staff_enroll_show_qr"
_ENROLLING = "staff_enroll_device"  # the unconfirmed device this session made

ENROLL_WRONG = _("ワンタイムパスワードが正しくありません。認証アプリに表示されている6桁の数字を入力してください。")
CODE_WRONG = _("登録コードが正しくありません。発行した職員から受け取った12桁の数字を入力してください。")
CODE_ENDED = _(
    "この登録コードは有効期限を過ぎたか、再発行により無効になっています。登録コードの再発行を依頼してください。"
)
CODE_FORMAT = _("登録コードは12桁の数字で入力してください。")


class CodeForm(forms.Form):
    enrollment_code = CodeField(_("登録コード"), max_length=20)

    @sensitive_variables("code")
    def clean_enrollment_code(self):
        code = half_width_digits("".join(self.cleaned_data["enrollment_code"].split()).replace("-", ""))
        if not (len(code) == CODE_DIGITS and code.isascii() and code.isdigit()):
            raise forms.ValidationError(CODE_FORMAT)
        return code


class EnrollForm(forms.Form):
    otp_token = CodeField(_("ワンタイムパスワード"), max_length=6, autocomplete="one-time-code")


@sensitive_post_parameters("otp_token", "enrollment_code")
@csrf_protect
@never_cache
def enroll_view(request):
    """The 登録コード, then the QR code (shown once), then the device's first code. The device's steps are
    the session's that entered the code: another session (the same password elsewhere) is asked for a code."""
    if not enrollment.needs_enrollment(request.user):
        return redirect("admin:index")
    device = StaffDevice.objects.filter(user=request.user, confirmed=False).first()
    if device is None or request.session.get(_ENROLLING) != device.pk or "enrollment_code" in request.POST:
        return _code_step(request)
    if request.method == "POST" and "restart" in request.POST:
        enrollment.restart(actor=request.actor, user=request.user, device=device)
        return redirect("admin:staff-enroll")
    form = EnrollForm(request.POST if request.method == "POST" else None)
    shown_key = None
    if request.method == "GET" and request.session.pop(_SHOW_QR, None) == device.pk:
        shown_key = device.config_url(settings.OTP_TOTP_ISSUER)  # once, to the session that entered the code
    elif request.method == "POST" and form.is_valid():
        outcome = enrollment.confirm(
            actor=request.actor, user=request.user, device=device, token=form.cleaned_data["otp_token"]
        )
        if outcome == "ok":
            otp_login(request, device)  # the session is verified with the device it confirmed
        if outcome in ("ok", "reused", "locked"):  # reused: the first of a double submission confirmed it
            return _after(request, outcome)
        form.add_error("otp_token", ENROLL_WRONG)
    context = {"form": form, "uri": shown_key, "qr": qr.svg(shown_key, title=str(request.user)) if shown_key else None}
    return _page(request, context)


def _code_step(request):
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        outcome, device = enrollment.redeem(
            actor=request.actor, user=request.user, code=form.cleaned_data["enrollment_code"]
        )
        if device is not None:
            request.session[_ENROLLING] = request.session[_SHOW_QR] = device.pk
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
