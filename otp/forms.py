import re

from django import forms
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from accounts import authorization
from accounts.forms import IbankForm
from accounts.models import Contract
from ibank.text import half_width_digits

from . import services, tokenid
from .messages import OTP_FORMAT, OTP_HELP


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


TOKEN_ID_FORMAT = _("トークンIDは英字4文字と数字8桁（例：SMBL12345678）で入力してください。")
TOKEN_ID_CHECK_DIGIT = _("トークンIDに誤りがあります。トークンに表示されているトークンIDをもう一度ご確認ください。")
LOGIN_OTP_CHOICES = [("1", _("認証する")), ("0", _("認証しない"))]


class TokenIdField(forms.CharField):
    """トークンID: typos are caught by the check digit, with their own message, before any code is checked."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("トークンID"))
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={"autocomplete": "off", "autocapitalize": "characters", "maxlength": "20", "size": "16"}
            ),
        )
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        try:
            return tokenid.parse(value)
        except tokenid.TokenIdCheckDigitError:
            raise forms.ValidationError(TOKEN_ID_CHECK_DIGIT, code="check_digit") from None
        except tokenid.TokenIdFormatError:
            raise forms.ValidationError(TOKEN_ID_FORMAT, code="format") from None


class _NewTokenForm(IbankForm):
    """Token ID + its current code, for a token to be bound (registration, exchange)."""

    token_id = TokenIdField()
    otp = OtpField()

    def __init__(self, *args, actor, contract: Contract, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.contract = contract

    def clean_token_id(self):
        token_id = self.cleaned_data["token_id"]
        try:
            services.token_id_check(actor=self.actor, contract=self.contract, token_id=token_id)
        except services.TokenFlowError as error:
            raise forms.ValidationError(error.message, code=type(error).__name__) from None
        return token_id


class RegisterForm(_NewTokenForm):
    """ワンタイムパスワード登録情報入力: the token, the login-time choice and the contract's transaction secret."""

    #: the お客様カード cells asked (set by the card method, as on accounts.authorization.AuthorizationForm)
    asked_cells: tuple = ()

    login_otp = forms.TypedChoiceField(
        label=_("ログイン時のワンタイムパスワード認証"),
        choices=LOGIN_OTP_CHOICES,
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, contract: Contract, **kwargs):
        super().__init__(*args, contract=contract, **kwargs)
        self.method = authorization.own_secret_method(contract)
        self.secret_fields = self.method.add_fields(self, contract)

    @sensitive_variables("cleaned_data")
    def clean(self):
        cleaned_data = super().clean()
        if self.errors:
            return cleaned_data  # the secret is checked (and counted) only when all else is right
        outcome = self.method.authorize(
            actor=self.actor, contract=self.contract, data=cleaned_data, action="register.secret"
        )
        if not outcome.ok:
            if outcome.field:
                self.add_error(outcome.field, outcome.message)
            else:
                raise forms.ValidationError(outcome.message, code="transaction_locked")
        return cleaned_data


class ExchangeForm(_NewTokenForm):
    """新トークン登録情報入力: the new token ID and its code."""
