"""The clerk's forms: one for every operation on a contract (理由, 届出書番号, the new value), one for a decision
on a token reset request."""

import hashlib

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts import steps
from accounts.models import Contract

from . import services

OPERATIONS = [
    ("token_reset_request", _("トークンIDのリセットを依頼する（書面による届出）")),
    ("report_lost", _("紛失届を受け付ける")),
    ("reset_login_password", _("ログインパスワードを再設定する（書面による届出・仮パスワードの発行）")),
    ("reset_transfer_password", _("資金移動用パスワードを再設定する（書面による届出・新しいパスワードの発行）")),
    ("unlock_login", _("ログイン停止を解除する")),
    ("unlock_otp", _("ワンタイムパスワード停止を解除する")),
    ("unlock_transaction", _("取引認証停止を解除する")),
    ("unlock_token_setup", _("トークン登録停止を解除する")),
    ("unlock_ib_suspension", _("IB取引中止を解除する")),
    ("unlock_payeasy", _("収納サービス利用停止を解除する")),
    ("unlock_env_hold", _("新しい環境からのログイン後の制限を解除する")),
    ("unlock_change_hold", _("登録内容の変更後の制限を解除する")),
    ("unlock_start_hold", _("ご利用開始後の制限を解除する")),
    ("cancel", _("IB解約")),
    ("change_transaction_method", _("取引認証方式の変更（資金移動用パスワード／お客様カード）")),
    ("change_email", _("メールアドレスの変更")),
    ("change_daily_transfer_limit", _("振込限度額の変更")),
]
NEEDS_REFERENCE = {
    "token_reset_request",
    "reset_login_password",
    "reset_transfer_password",
    "report_lost",
    "cancel",
    "change_transaction_method",
    "change_email",
    "change_daily_transfer_limit",
}
METHOD_REQUIRED = _("変更後の取引認証方式を選択してください。")


def _page_field():
    return forms.CharField(widget=forms.HiddenInput, required=False, initial=steps.new_page_name)


def page_name(request, *asks: str) -> str:
    """The name of the page ``request`` was sent from (its hidden ``attempt``, made when it was shown) with what
    it asks (``asks``: the operation and its value, or the decision): the same page sent again (a double click)
    is the same act, told done; a page sent back (the browser's Back) with another choice is another."""
    attempt = steps.page_name(request)
    if not attempt:
        return ""
    return f"{attempt}-{hashlib.sha256(chr(0).join(asks).encode()).hexdigest()[:12]}"


class OperationForm(forms.Form):
    attempt = _page_field()
    operation = forms.ChoiceField(label=_("手続き"), choices=OPERATIONS)
    reason = forms.CharField(label=_("理由"), max_length=200)
    reference = forms.CharField(
        label=_("届出書番号"), max_length=40, required=False, help_text=_("書面の届出による手続きでは必須です。")
    )
    value = forms.CharField(
        label=_("変更後の内容"), max_length=254, required=False, help_text=_("メールアドレス・振込限度額の変更のみ。")
    )
    method = forms.ChoiceField(
        label=_("変更後の取引認証方式"),
        choices=[("", "—"), *Contract.Method.choices],
        required=False,
        help_text=_("取引認証方式の変更のみ。"),
    )

    def __init__(self, *args, staff, in_force=(), has_token=True, **kwargs):
        """``in_force``: the kinds of the contract's open locks. The list offers only what ``staff`` may do: their
        unlocks, and the token reset only for a registered token; an operation posted from a page older than a
        colleague's change (the lock already lifted) still reaches the service, whose refusal says why."""
        super().__init__(*args, **kwargs)

        def offered(key: str) -> bool:
            if not services.may(staff, _permission(key)):
                return False
            if key.startswith("unlock_"):
                return key.removeprefix("unlock_") in in_force
            return has_token or key != "token_reset_request"

        self.fields["operation"].widget.choices = [(key, label) for key, label in OPERATIONS if offered(key)]

    def clean(self):
        data = super().clean()
        if data.get("operation") in NEEDS_REFERENCE and not data.get("reference", "").strip():
            self.add_error("reference", services.REFERENCE_REQUIRED)
        if data.get("operation") == "change_transaction_method" and not data.get("method"):
            self.add_error("method", METHOD_REQUIRED)
        return data


def service(operation: str):
    """The branch service that carries out ``operation``; it declares the permission it requires."""
    if operation.startswith("unlock_"):
        return services.contract_unlock
    if operation.startswith("change_"):
        return services.contract_change
    return {
        "token_reset_request": services.token_reset_request,
        "report_lost": services.contract_report_lost,
        "reset_login_password": services.contract_password_reset,
        "reset_transfer_password": services.contract_transfer_password_reset,
        "cancel": services.contract_cancel,
    }[operation]


def _permission(operation: str) -> str:
    return service(operation).permission


def may_operate(staff) -> bool:
    """Whether ``staff`` may do any operation on a contract (the contract page offers 手続き to them only)."""
    return any(services.may(staff, _permission(key)) for key, _label in OPERATIONS)


class DecisionForm(forms.Form):
    attempt = _page_field()
    comment = forms.CharField(label=_("コメント"), max_length=200, required=False)
