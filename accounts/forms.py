import re

from django import forms
from django.core.validators import ProhibitNullCharactersValidator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from ibank.text import half_width_digits, yen_typed

from . import gate, passwords, services

INVALID_CREDENTIALS = _("契約者ID（利用者番号）またはログインパスワードが正しくありません。")
LOGIN_LOCKED = gate.LOGIN_LOCKED
CONTRACT_UNAVAILABLE = gate.CONTRACT_UNAVAILABLE
CONTRACT_SUSPENDED = gate.CONTRACT_SUSPENDED
LOGIN_TRIES_LEFT = _("あと%(count)s回誤るとログインが停止されます。")
CONTRACT_ID_FORMAT = _("契約者ID（利用者番号）は半角数字10桁で入力してください。")
PASSWORD_FORMAT = _("ログインパスワードは半角英数字6～12桁で入力してください。")
REQUIRED = _("%(field)sを入力してください。")
REQUIRED_CHOICE = _("%(field)sを選択してください。")
NUL_CHARACTER = _("%(field)sに使用できない文字が含まれています。")

_PASSWORD_RE = re.compile(r"[A-Za-z0-9]{6,12}\Z")


_LABEL_NOTE = re.compile(r"\s*[（(](円|半角数字|yen|in yen|digits)[）)]\s*$", re.IGNORECASE)


def field_name(label) -> str:
    """A field's name for a message: its label without a unit note (「振込金額（円）」 → 「振込金額」)."""
    return _LABEL_NOTE.sub("", str(label))


class IbankForm(forms.Form):
    """Base form: a required-field message that names the field."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.name_required_fields()

    def name_required_fields(self) -> None:
        """Each field's empty message names it, and so does a choice's message for a value it does not offer
        (a stale page or a meddled one: what was sent is not repeated back); call again after changing a label."""
        for field in self.fields.values():
            message = REQUIRED_CHOICE if isinstance(field, forms.ChoiceField) else REQUIRED
            field.error_messages["required"] = message % {"field": field_name(field.label)}
            if isinstance(field, forms.ChoiceField):
                field.error_messages["invalid_choice"] = field.error_messages["required"]
            # Django's Japanese for a NUL character is 「何か文字を入力してください。」: no field, and wrong.
            field.validators = [
                ProhibitNullCharactersValidator(message=NUL_CHARACTER % {"field": field_name(field.label)})
                if isinstance(v, ProhibitNullCharactersValidator)
                else v
                for v in field.validators
            ]


class ContractAuthForm(IbankForm):
    """契約者ID + ログインパスワード (利用者認証), used by login and the token flows."""

    contract_id = forms.CharField(
        label=_("契約者ID（利用者番号）"),
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "inputmode": "numeric", "maxlength": "10", "size": "14"}
        ),
    )
    password = forms.CharField(
        label=_("ログインパスワード"),
        strip=False,
        widget=forms.PasswordInput(
            attrs={"autocomplete": "current-password", "maxlength": "12", "size": "14", "data-softkeyboard": "1"}
        ),
    )

    def __init__(self, *args, actor, audit_action="login.password", **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.audit_action = audit_action
        self.contract = None
        self.check = None

    def clean_contract_id(self):
        value = half_width_digits(self.cleaned_data["contract_id"])
        if not re.fullmatch(r"[0-9]{10}", value):
            raise forms.ValidationError(CONTRACT_ID_FORMAT, code="format")
        return value

    @sensitive_variables("password")
    def clean_password(self):
        password = self.cleaned_data["password"]
        if not _PASSWORD_RE.match(password):
            raise forms.ValidationError(PASSWORD_FORMAT, code="format")
        return password

    @sensitive_variables("password", "cleaned_data")
    def clean(self):
        """The pair is checked here (reads and Argon2: nothing written, no transaction needed);
        :meth:`authenticate` writes the outcome."""
        cleaned_data = super().clean()
        contract_id = cleaned_data.get("contract_id")
        password = cleaned_data.get("password")
        if contract_id and password:
            self.check = services.check_password_pair(contract_id=contract_id, password=password, actor=self.actor)
        return cleaned_data

    def authenticate(self) -> bool:
        """After :meth:`is_valid`: write the check's outcome (counted, audited) in the caller's transaction.
        True when ``self.contract`` may log in; otherwise the form now carries the refusal."""
        try:
            self.contract = services.contract_authenticate(actor=self.actor, check=self.check, action=self.audit_action)
            return True
        except services.LoginRefused as refused:  # locked, suspended, cancelled: the gate's words
            self.add_error(None, forms.ValidationError(refused.message, code=refused.reason))
        except services.InvalidCredentials as error:  # warned before the lock, whichever ID was typed
            self.add_error(None, forms.ValidationError(_warned(INVALID_CREDENTIALS, error), code="invalid_login"))
        return False


def _warned(message, error: "services.InvalidCredentials") -> str:
    """A wrong password's message, with the tries left once they are two or fewer."""
    if error.left <= 2:
        return f"{message}{LOGIN_TRIES_LEFT % {'count': error.left}}"
    return str(message)


SUSPEND_UNCONFIRMED = _("中止する場合は、確認欄にチェックを入れてください。")


class SuspendForm(IbankForm):
    """IB取引中止: the customer confirms they mean it."""

    confirm = forms.BooleanField(
        label=_("上記の内容を確認し、インターネットバンキングのお取引を中止します。"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # not "…を入力してください": a checkbox is checked, not typed
        self.fields["confirm"].error_messages["required"] = SUSPEND_UNCONFIRMED


LIMIT_FORMAT = _("振込限度額は半角数字（円単位）で入力してください。")


class LimitForm(IbankForm):
    limit = forms.CharField(
        label=_("変更後の振込限度額（円）"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "maxlength": "11", "size": "12", "autocomplete": "off"}),
    )

    def clean_limit(self):
        value = yen_typed(self.cleaned_data["limit"])
        if not re.fullmatch(r"[0-9]{1,9}", value) or int(value) < 1:
            raise forms.ValidationError(LIMIT_FORMAT, code="format")
        return int(value)


EMAIL_FORMAT = _("メールアドレスの形式が正しくありません。（例：taro@example.jp）")


class EmailForm(IbankForm):
    email = forms.EmailField(
        label=_("新しいメールアドレス"),
        max_length=254,
        error_messages={"invalid": EMAIL_FORMAT},
        widget=forms.EmailInput(attrs={"autocomplete": "email", "size": "30"}),
    )


NEW_PASSWORD_FORMAT = _("新しいログインパスワードは、半角の英字と数字を組み合わせて6～12桁で入力してください。")
NEW_PASSWORD_MISMATCH = _("新しいログインパスワード（確認用）が新しいログインパスワードと一致しません。")
NEW_PASSWORD_SAME = _("新しいログインパスワードには、現在のログインパスワードと異なるものを入力してください。")
CURRENT_PASSWORD_WRONG = _("現在のログインパスワードが正しくありません。")
_NEW_PASSWORD_RE = re.compile(r"(?=.*[A-Za-z])(?=.*[0-9])[A-Za-z0-9]{6,12}\Z")


def _password_field(label, autocomplete):
    attrs = {"autocomplete": autocomplete, "maxlength": "12", "size": "14", "data-softkeyboard": "1"}
    return forms.CharField(label=label, strip=False, widget=forms.PasswordInput(attrs=attrs))


class PasswordChangeForm(IbankForm):
    """ログインパスワード変更: the current password (a guess toward the login's lock, checked by :meth:`check`
    after the format rules) and the new one twice. Nothing typed is shown back."""

    current_password = _password_field(_("現在のログインパスワード"), "current-password")
    new_password = _password_field(_("新しいログインパスワード"), "new-password")
    new_password_again = _password_field(_("新しいログインパスワード（確認用）"), "new-password")

    def __init__(self, *args, contract, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.contract, self.actor = contract, actor
        #: after :meth:`check`: the wrong passwords locked the login
        self.locked = False

    @sensitive_variables("password")
    def clean_new_password(self):
        password = self.cleaned_data["new_password"]
        if not _NEW_PASSWORD_RE.match(password):
            raise forms.ValidationError(NEW_PASSWORD_FORMAT, code="format")
        return password

    @sensitive_variables("cleaned_data")
    def clean(self):
        cleaned_data = super().clean()
        new, again = cleaned_data.get("new_password"), cleaned_data.get("new_password_again")
        if new and again is not None and new != again:
            self.add_error("new_password_again", forms.ValidationError(NEW_PASSWORD_MISMATCH, code="mismatch"))
        elif new and new == cleaned_data.get("current_password"):
            self.add_error("new_password", forms.ValidationError(NEW_PASSWORD_SAME, code="same"))
        return cleaned_data

    def check(self) -> bool:
        """After :meth:`is_valid`: the current password, counted and audited as a login's (one Argon2
        verification); False with the refusal on the form when it is wrong or the login is locked."""
        try:
            passwords.current_password_check(
                actor=self.actor, contract=self.contract, password=self.cleaned_data["current_password"]
            )
            return True
        except services.LoginRefused as refused:
            self.locked = True
            self.add_error(None, forms.ValidationError(refused.message, code=refused.reason))
        except services.InvalidCredentials as error:
            self.add_error(
                "current_password", forms.ValidationError(_warned(CURRENT_PASSWORD_WRONG, error), code="wrong")
            )
        return False


NEW_TRANSFER_PASSWORD_FORMAT = _("新しい資金移動用パスワードは半角数字4～8桁で入力してください。")
NEW_TRANSFER_PASSWORD_WEAK = _(
    "同じ数字だけ、または連続した数字だけの資金移動用パスワードは設定できません。別の数字を入力してください。"
)
NEW_TRANSFER_PASSWORD_MISMATCH = _("新しい資金移動用パスワード（確認用）が新しい資金移動用パスワードと一致しません。")
NEW_TRANSFER_PASSWORD_SAME = _(
    "新しい資金移動用パスワードには、現在の資金移動用パスワードと異なるものを入力してください。"
)
_TRANSFER_PASSWORD_RE = re.compile(r"[0-9]{4,8}\Z")


def _new_digits_field(label):
    attrs = {"inputmode": "numeric", "maxlength": "8", "size": "10", "autocomplete": "new-password"}
    return forms.CharField(label=label, strip=False, widget=forms.PasswordInput(attrs=attrs))


class TransferPasswordChangeForm(IbankForm):
    """資金移動用パスワード変更: the new 資金移動用パスワード twice (the current one, where it is the contract's
    method, is the authorization's answer: ``current``, to refuse the same again). Nothing typed is shown back."""

    new_transfer_password = _new_digits_field(_("新しい資金移動用パスワード"))
    new_transfer_password_again = _new_digits_field(_("新しい資金移動用パスワード（確認用）"))

    #: the page's own check (none: the authorization is the method's) never locks anything
    locked = False

    def __init__(self, *args, current: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.current = half_width_digits(current) if current else None

    @sensitive_variables("digits")
    def clean_new_transfer_password(self):
        digits = half_width_digits(self.cleaned_data["new_transfer_password"])
        if not _TRANSFER_PASSWORD_RE.match(digits):
            raise forms.ValidationError(NEW_TRANSFER_PASSWORD_FORMAT, code="format")
        if passwords.weak_digits(digits):
            raise forms.ValidationError(NEW_TRANSFER_PASSWORD_WEAK, code="weak")
        return digits

    @sensitive_variables("cleaned_data")
    def clean(self):
        cleaned_data = super().clean()
        new = cleaned_data.get("new_transfer_password")
        again = cleaned_data.get("new_transfer_password_again")
        if new and again is not None and new != half_width_digits(again):
            self.add_error(
                "new_transfer_password_again",
                forms.ValidationError(NEW_TRANSFER_PASSWORD_MISMATCH, code="mismatch"),
            )
        elif new and new == self.current:
            self.add_error("new_transfer_password", forms.ValidationError(NEW_TRANSFER_PASSWORD_SAME, code="same"))
        return cleaned_data

    def check(self) -> bool:
        return True
