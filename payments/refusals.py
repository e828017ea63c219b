"""What a customer is told when 振込 refuses (入力 or 実行): each refusal names the form field it concerns
and the reason audited with it. Pay-easy shares the balance and limit refusals."""

from django.utils.translation import gettext_lazy as _

from accounts.limits import daily_limit, today, used_on
from accounts.models import Account, Contract
from auditlog import audit

from . import new_payees
from .drafts import TransferError


class UnknownBank(TransferError, field="bank_code", reason="unknown_bank"):
    message = _("金融機関コードに該当する金融機関がありません。金融機関コードをご確認ください。")


class UnknownBranch(TransferError, field="branch_code", reason="unknown_branch"):
    message = _("支店番号に該当する支店がありません。支店番号をご確認ください。")


class PayeeAccountNotFound(TransferError, field="payee_number", reason="no_such_account"):
    message = _("振込先の口座が見つかりません。支店番号・預金種目・口座番号をご確認ください。")


class SameAccount(TransferError, field="payee_number", reason="same_account"):
    message = _("支払口座と同じ口座には振り込めません。")


class InsufficientBalance(TransferError, field="amount", reason="insufficient_balance"):
    message = _("支払口座の残高が不足しています。（お支払可能額：%(available)s円）")


class OverLimit(TransferError, field="amount", reason="over_limit"):
    message = _("1日あたりの振込限度額を超えています。本日お振込いただける金額はあと%(available)s円です。")


class ReservationOverLimit(TransferError, field="amount", reason="over_limit"):
    message = _("振込金額が1日あたりの振込限度額（%(limit)s円）を超えています。")


class TransferChanged(TransferError, reason="changed"):
    message = _("確認後にお振込の内容が変更されたため、お取引を中止しました。もう一度入力からやり直してください。")


#: books.Refused reasons -> what the customer is told
REFUSALS = {
    "over_limit": OverLimit,
    "insufficient_funds": InsufficientBalance,
    new_payees.OVER_CAP_REFUSAL: new_payees.NewPayeeCap,
}


def refuse_execution(actor, contract: Contract, obj, error_class: type[TransferError], *, action: str, fee: int = 0):
    """A refused execution of a transfer or a payment (nothing moved): audited, and raised with the customer's
    message, whose amount (what the balance or today's limit still allows) is read now."""
    obj.refresh_from_db()
    if issubclass(error_class, InsufficientBalance):
        balance = Account.objects.values_list("balance", flat=True).get(pk=obj.from_account_id)
        error = error_class(available=f"{max(0, balance - fee):,}")
    elif issubclass(error_class, OverLimit):
        on = today()
        error = error_class(available=f"{max(0, daily_limit(contract, on) - used_on(contract, on)):,}")
    elif issubclass(error_class, new_payees.NewPayeeCap):
        error = new_payees.over_cap(new_payees.available_today(contract, obj))
    else:
        error = error_class()
    audit.record(actor, action, ok=False, contract=contract, reason=error.reason, reference=obj.reference)
    raise error from None
