"""入力's check of a payee as entered: the bank and branch in the Zengin master, and a same-bank payee's
account (it must exist, and not be the account paying). Its reads are compiled once: every 入力 runs them."""

from accounts.models import Account
from ibank.compiled import CompiledQuery
from zengin.models import Bank, Branch

from .refusals import PayeeAccountNotFound, SameAccount, UnknownBank, UnknownBranch

_BRANCH = CompiledQuery(
    lambda bank_code, code: Branch.objects.select_related("bank").filter(bank__code=bank_code, code=code)[:1],
    "probe-bank",
    "probe-branch",
)
_SAME_BANK_ACCOUNT = CompiledQuery(
    lambda branch_code, kind, number: Account.objects.customer().filter(
        branch_code=branch_code, kind=kind, number=number
    )[:1],
    *("probe-branch", 32_001, "probe-number"),  # a kind: a small integer
)


def payee(bank_code: str, branch_code: str, kind: int, number: str, from_account: Account, *, same_bank: bool):
    """(bank, branch, the same-bank account or None) of a payee as entered, or the TransferError saying why not."""
    branch = _BRANCH.first(bank_code, branch_code)
    if branch is None:  # which one is unknown: asked only on this path
        raise UnknownBranch if Bank.objects.filter(code=bank_code).exists() else UnknownBank
    bank = branch.bank
    to_account = None
    if same_bank:
        to_account = _SAME_BANK_ACCOUNT.first(branch_code, kind, number)
        if to_account is None:
            raise PayeeAccountNotFound
        if to_account.pk == from_account.pk:
            raise SameAccount
    return bank, branch, to_account
