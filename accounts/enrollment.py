"""A staff member without a device enrolls one, once, after their password (SPEC §7): the QR code is shown
once, to them; nobody can enroll a device for a colleague."""

from django import forms
from django.conf import settings
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import login as otp_login

from auditlog import audit
from ibank import qr

from .models import StaffDevice

ENROLL_WRONG = _("ワンタイムパスワードが正しくありません。認証アプリに表示されている6桁の数字を入力してください。")


def needs_enrollment(user) -> bool:
    return (
        user.is_authenticated
        and user.is_staff
        and not user.is_verified()
        and not StaffDevice.objects.filter(user=user, confirmed=True).exists()
    )


class EnrollForm(forms.Form):
    otp_token = forms.CharField(
        label=_("ワンタイムパスワード"),
        max_length=6,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


@sensitive_post_parameters("otp_token")
@csrf_protect
@never_cache
def enroll_view(request):
    """A staff member enrolls their own device, once: the QR code is shown on the first visit only."""
    if not needs_enrollment(request.user):
        return redirect("admin:index")
    user = request.user
    device = StaffDevice.objects.filter(user=user, confirmed=False).first()
    form = EnrollForm(request.POST if request.method == "POST" and "restart" not in request.POST else None)
    shown_key = None
    if request.method == "POST" and "restart" in request.POST:
        StaffDevice.objects.filter(user=user, confirmed=False).delete()
        audit.record(
            request.actor, "staff.enroll", ok=False, reason="restarted", as_name=f"staff:{user.get_username()}"
        )
        return redirect("admin:staff-enroll")
    if device is None:
        key = StaffDevice.new_key()
        device = StaffDevice(user=user, name=f"{user.get_username()}", confirmed=False)
        device.set_key(key)
        device.save()
        shown_key = device.config_url(settings.OTP_TOTP_ISSUER)
    elif request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["otp_token"]):
            StaffDevice.objects.filter(pk=device.pk).update(confirmed=True)
            device.confirmed = True
            otp_login(request, device)
            audit.record(request.actor, "staff.enroll", ok=True, as_name=f"staff:{user.get_username()}")
            return redirect("admin:index")
        form.add_error("otp_token", ENROLL_WRONG)
    context = {
        "form": form,
        "uri": shown_key,
        "qr": qr.svg(shown_key, title=user.get_username()) if shown_key else None,
        "title": _("職員用ワンタイムパスワードの登録"),
        "site_header": _("ibank 営業店管理"),
        "site_title": _("ibank 営業店管理"),
    }
    return render(request, "admin/staff_enroll.html", context)
