"""The admin's login form: username, password and the staff member's own OTP on one form; what it means is
decided by staff.services.authenticate. Every failure gets the same answer."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from . import services

LOGIN_FAILED = _(
    "ユーザー名、パスワードまたはワンタイムパスワードが正しくないか、現在ログインできません。"
    "しばらくしてからもう一度お試しください。"
)


class CodeField(forms.CharField):
    """A code typed from a phone or a paper: digits, never shown back (a wrong one is a secret's guess)."""

    def __init__(self, label, max_length: int, autocomplete: str = "off", required: bool = True):
        attrs = {"autocomplete": autocomplete, "inputmode": "numeric"}
        widget = forms.TextInput(attrs=attrs)
        super().__init__(label=label, max_length=max_length, required=required, widget=widget)

    def bound_data(self, data, initial):
        return ""


class StaffLoginForm(forms.Form):
    """The admin's login form (django.contrib.admin calls it with ``request`` and ``data``)."""

    username = forms.CharField(label=_("ユーザー名"), max_length=150)
    password = forms.CharField(label=_("パスワード"), strip=False, widget=forms.PasswordInput)
    otp_token = CodeField(_("ワンタイムパスワード"), max_length=6, autocomplete="one-time-code", required=False)

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request
        self.user_cache = None

    def get_user(self):
        return self.user_cache

    @sensitive_variables("password", "token")
    def clean(self):
        data = self.cleaned_data
        try:
            user, device = services.authenticate(
                actor=self.request.actor,
                username=data.get("username", ""),
                password=data.get("password", ""),
                token=data.get("otp_token", ""),
            )
        except services.LoginFailed:
            raise forms.ValidationError(LOGIN_FAILED, code="invalid_login") from None
        if device is not None:
            user.otp_device = device  # django_otp marks the session verified at login
        self.user_cache = user
        return data
