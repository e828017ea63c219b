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
