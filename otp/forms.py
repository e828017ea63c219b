import re

from django import forms
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from accounts.forms import IbankForm
from ibank.text import half_width_digits

from .verifier import Outcome, Result

OTP_HELP = _("トークンに表示されている数字6桁を入力してください。(30秒毎に数字が変更されます。)")
OTP_FORMAT = _("ワンタイムパスワードは半角数字6桁で入力してください。")
OTP_WRONG = _("ワンタイムパスワードが正しくありません。トークンに表示されている数字6桁を入力してください。")
OTP_REUSED = _("このワンタイムパスワードは使用済みです。トークンの数字が変わってから、新しい数字を入力してください。")
OTP_LOCKED = _(
    "ワンタイムパスワードの誤りが規定回数に達したため、ワンタイムパスワードによる認証を停止しています。"
    "お取引店にお問い合わせください。"
)
TOKEN_EXPIRED = _(
    "ご利用のソフトウェアトークンは利用期限を過ぎています。"
    "ログイン画面の「ワンタイムパスワードの利用登録／交換はこちら」から新しいトークンに交換してください。"
)


def message_for(result: Result):
    """The customer's message for a refused verification."""
    if result.now_locked or result.outcome is Outcome.LOCKED:
        return OTP_LOCKED
    return {Outcome.WRONG: OTP_WRONG, Outcome.REUSED: OTP_REUSED, Outcome.TOKEN_EXPIRED: TOKEN_EXPIRED}[result.outcome]


class OtpField(forms.CharField):
    """ワンタイムパスワード: 6 digits, full-width accepted; never re-displayed."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("ワンタイムパスワード"))
        kwargs.setdefault("help_text", OTP_HELP)
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "maxlength": "6", "size": "8"}
            ),
        )
        super().__init__(**kwargs)

    def bound_data(self, data, initial):
        return ""  # a code is never shown back

    @sensitive_variables("value")
    def clean(self, value):
        value = half_width_digits(super().clean(value))
        if not re.fullmatch(r"[0-9]{6}", value):
            raise forms.ValidationError(OTP_FORMAT, code="format")
        return value


class OtpForm(IbankForm):
    otp = OtpField(label=_("ワンタイムパスワード (半角数字)"))
