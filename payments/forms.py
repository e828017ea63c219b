import re
from datetime import date

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts.forms import IbankForm
from accounts.limits import today
from accounts.models import Account, Contract
from ibank import kana
from ibank.money import yen
from ibank.text import half_width_digits, yen_typed

from . import reservations

BANK_CODE_FORMAT = _("金融機関コードは半角数字4桁で入力してください。")
BRANCH_CODE_FORMAT = _("支店番号は半角数字3桁で入力してください。")
ACCOUNT_NUMBER_FORMAT = _("口座番号は半角数字7桁以内で入力してください。")
AMOUNT_FORMAT = _("振込金額は半角数字（円単位）で入力してください。")
AMOUNT_MIN = _("振込金額は1円以上で入力してください。")
AMOUNT_MAX = _("振込金額は%(max)s円以内で入力してください。")
NAME_INVALID = _("受取人名に使用できない文字（%(chars)s）が含まれています。カナ・英大文字・数字で入力してください。")
NAME_TOO_LONG = _("受取人名は半角30文字以内で入力してください。")
DATE_FORMAT = _("振込指定日は「2027-01-08」のように年-月-日で入力してください。")
DATE_INVALID = _(
    "振込指定日は、本日または%(days)s日先までの営業日（土・日・祝日・12月31日～1月3日を除く）を指定してください。"
)
MAX_AMOUNT = 9_999_999_999  # 10 digits: the Zengin record's field


def _offer_accounts(field: forms.ChoiceField, contract: Contract) -> dict:
    """The contract's accounts as the 支払口座 choices (with balances); returns them by pk."""
    accounts = {a.pk: a for a in contract.own_accounts()}
    # Grouped by branch, so that the closed dropdown shows only kind, number and balance: it fits a 320 px
    # phone (and /m/ at 240 px) without cutting the balance.
    groups: dict[str, list] = {}
    for pk, a in accounts.items():
        groups.setdefault(f"{a.branch_name}（{a.branch_code}）", []).append(
            (pk, f"{a.kind_label} {a.number} {yen(a.balance)}")  # 1,000円; ¥1,000 in English
        )
    field.choices = list(groups.items())
    return accounts


class TransferForm(IbankForm):
    """振込 入力: 支払口座, 振込先 (金融機関, 支店, 預金種目, 口座番号, 受取人名) and 金額."""

    from_account = forms.TypedChoiceField(label=_("支払口座"), coerce=int)
    bank_code = forms.CharField(
        label=_("金融機関コード"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "maxlength": "4", "size": "6", "autocomplete": "off"}),
    )
    branch_code = forms.CharField(
        label=_("支店番号"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "maxlength": "3", "size": "5", "autocomplete": "off"}),
    )
    payee_kind = forms.TypedChoiceField(
        label=_("預金種目"), choices=Account.Kind.choices, coerce=int, initial=Account.Kind.ORDINARY
    )
    payee_number = forms.CharField(
        label=_("口座番号"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "maxlength": "7", "size": "9", "autocomplete": "off"}),
    )
    payee_name = forms.CharField(
        label=_("受取人名"),
        help_text=_("カナで入力してください（例：ﾔﾏﾀﾞ ﾀﾛｳ）。全角・ひらがなは半角カナに変換します。"),
        widget=forms.TextInput(attrs={"maxlength": "60", "size": "24", "autocomplete": "off"}),
    )
    amount = forms.CharField(
        label=_("振込金額（円）"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "maxlength": "13", "size": "14", "autocomplete": "off"}),
    )

    transfer_date = forms.CharField(
        label=_("振込指定日"),
        required=False,
        help_text=_("本日のほか、%(days)s日先までの営業日を指定して予約できます（振込予約）。"),
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "off"}),
    )

    def __init__(self, *args, contract: Contract, **kwargs):
        super().__init__(*args, **kwargs)
        self.contract = contract
        self.accounts = _offer_accounts(self.fields["from_account"], contract)
        date_field = self.fields["transfer_date"]
        days = settings.IBANK_RESERVATION_DAYS
        date_field.help_text = date_field.help_text % {"days": days}
        date_field.widget.attrs.update(min=today().isoformat(), max=reservations.latest_day().isoformat())
        date_field.initial = today().isoformat()  # 本日, unless a reservation is corrected

    def clean_transfer_date(self):
        """None for today; a future business day within IBANK_RESERVATION_DAYS for a 振込予約."""
        value = half_width_digits(self.cleaned_data["transfer_date"]).strip().replace("/", "-")
        if not value:
            return None
        try:
            day = date.fromisoformat("-".join(part.zfill(2) for part in value.split("-")))
        except ValueError:
            raise forms.ValidationError(DATE_FORMAT, code="format") from None
        if day == today():
            return None
        if not reservations.is_valid_day(day):
            raise forms.ValidationError(DATE_INVALID % {"days": settings.IBANK_RESERVATION_DAYS}, code="day")
        return day

    def clean_bank_code(self):
        value = half_width_digits(self.cleaned_data["bank_code"])
        if not re.fullmatch(r"[0-9]{4}", value):
            raise forms.ValidationError(BANK_CODE_FORMAT, code="format")
        return value

    def clean_branch_code(self):
        value = half_width_digits(self.cleaned_data["branch_code"])
        if not re.fullmatch(r"[0-9]{3}", value):
            raise forms.ValidationError(BRANCH_CODE_FORMAT, code="format")
        return value

    def clean_payee_number(self):
        value = half_width_digits(self.cleaned_data["payee_number"])
        if not re.fullmatch(r"[0-9]{1,7}", value):
            raise forms.ValidationError(ACCOUNT_NUMBER_FORMAT, code="format")
        return value.zfill(7)  # 7桁未満は先頭に0を補う (as the bank's paper forms say)

    def clean_payee_name(self):
        try:
            return kana.to_zengin(self.cleaned_data["payee_name"])
        except kana.KanaError as error:
            if error.invalid:
                raise forms.ValidationError(NAME_INVALID % {"chars": "、".join(error.invalid)}, code="kana") from None
            raise forms.ValidationError(NAME_TOO_LONG, code="length") from None

    def clean_amount(self):
        value = yen_typed(self.cleaned_data["amount"])
        if value.startswith("-") and value[1:].isdigit():
            raise forms.ValidationError(AMOUNT_MIN, code="min")
        if not re.fullmatch(r"[0-9]{1,13}", value):
            raise forms.ValidationError(AMOUNT_FORMAT, code="format")
        amount = int(value)
        if amount < 1:
            raise forms.ValidationError(AMOUNT_MIN, code="min")
        if amount > MAX_AMOUNT:
            raise forms.ValidationError(AMOUNT_MAX % {"max": f"{MAX_AMOUNT:,}"}, code="max")
        return amount

    def clean_from_account(self):
        return self.accounts[self.cleaned_data["from_account"]]


# -- 収納サービス (Pay-easy) ------------------------------------------------------------

BILLER_NUMBER_FORMAT = _("収納機関番号は半角数字5桁で入力してください。")
NUMBER_FORMAT = _("%(field)sは半角数字%(max)d桁以内で入力してください。")


def _digit_input(max_length: int, size: int) -> forms.TextInput:
    return forms.TextInput(
        attrs={"inputmode": "numeric", "maxlength": str(max_length), "size": str(size), "autocomplete": "off"}
    )


class BillerForm(IbankForm):
    """Pay-easy, first entry: the 収納機関番号 printed on the bill."""

    biller_number = forms.CharField(label=_("収納機関番号"), widget=_digit_input(5, 7))

    def clean_biller_number(self):
        value = half_width_digits(self.cleaned_data["biller_number"]).strip()
        if not re.fullmatch(r"[0-9]{5}", value):
            raise forms.ValidationError(BILLER_NUMBER_FORMAT, code="format")
        return value


class BillNumbersForm(IbankForm):
    """Pay-easy, second entry: the numbers of the biller's kind, and the account to pay from.

    民間: お客様番号 (≤ 20 digits) + 確認番号 (≤ 6); 国庫金・地方公共団体: 納付番号 + 確認番号 + 納付区分.
    The amount is never typed: it comes from the bill.
    """

    from_account = forms.TypedChoiceField(label=_("支払口座"), coerce=int)
    customer_number = forms.CharField(label=_("お客様番号"), widget=_digit_input(20, 22))
    confirmation_number = forms.CharField(label=_("確認番号"), widget=_digit_input(6, 8))
    payment_category = forms.CharField(label=_("納付区分"), widget=_digit_input(3, 5))

    LIMITS = {"customer_number": 20, "confirmation_number": 6, "payment_category": 3}

    def __init__(self, *args, contract: Contract, public: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if public:
            self.fields["customer_number"].label = _("納付番号")
        else:
            del self.fields["payment_category"]
        self.accounts = _offer_accounts(self.fields["from_account"], contract)
        self.name_required_fields()  # the labels changed

    def _clean_digits(self, name):
        value = half_width_digits(self.cleaned_data[name]).strip().replace("-", "").replace(" ", "")
        if not re.fullmatch(rf"[0-9]{{1,{self.LIMITS[name]}}}", value):
            raise forms.ValidationError(
                NUMBER_FORMAT % {"field": self.fields[name].label, "max": self.LIMITS[name]}, code="format"
            )
        return value

    def clean_customer_number(self):
        return self._clean_digits("customer_number")

    def clean_confirmation_number(self):
        return self._clean_digits("confirmation_number")

    def clean_payment_category(self):
        return self._clean_digits("payment_category")

    def clean_from_account(self):
        return self.accounts[self.cleaned_data["from_account"]]
