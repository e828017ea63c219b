"""Past transfers for the demo data and the tests: a payee this contract paid some days ago, recorded as it
would have been then — a balanced entry through the books at that time, and the executed transfer — so
that the payee is no longer new (payments.new_payees) and the history pages show it."""

import secrets
from datetime import timedelta

from django.conf import settings

from accounts.models import Account
from ibank import clock
from ledger import books
from ledger.models import JournalEntry, Memo
from payments.models import Transfer
from zengin.models import Bank, Branch


def paid_before(
    contract,
    from_account: Account,
    *,
    to_account: Account | None = None,
    bank_code: str = "",
    branch_code: str = "001",
    kind: int = 1,
    number: str = "",
    amount: int = 1,
    payee_name: str = "",
    days_ago: int = 60,
    keep_balance: bool = False,
) -> Transfer:
    """``contract`` paid ``amount`` from ``from_account`` ``days_ago`` days ago: to ``to_account`` (same
    bank), or to (bank, branch, kind, number) at another bank (sent in that day's Zengin file).
    ``keep_balance``: the amount is deposited first, so the payer's balance is as before."""
    at = clock.now() - timedelta(days=days_ago)
    same_bank = to_account is not None
    if same_bank:
        bank_code, branch_code, kind, number = (
            settings.IBANK_BANK_CODE,
            to_account.branch_code,
            to_account.kind,
            to_account.number,
        )
        payee_name = payee_name or to_account.holder_kana
    if keep_balance:
        books.deposit(account=from_account, amount=amount)
    to = to_account.pk if same_bank else Account.objects.internal(Account.Purpose.CLEARING_OUT).pk
    lines = [
        books.Line(from_account.pk, -amount, Memo.TRANSFER_OUT, payee_name),
        books.Line(to, amount, Memo.TRANSFER_IN, from_account.holder_kana),
    ]
    reference = f"{at:%y%m%d}{secrets.randbelow(10**8):08d}"
    entry = books.post(books.Instruction(kind=JournalEntry.Kind.TRANSFER, reference=reference, lines=lines, at=at))
    return Transfer.objects.create(
        contract=contract,
        reference=reference,
        from_account=from_account,
        **_names(bank_code, branch_code, to_account),
        payee_kind=kind,
        payee_number=number,
        payee_name=payee_name,
        to_account=to_account,
        amount=amount,
        fee=0,
        status=Transfer.Status.DONE if same_bank else Transfer.Status.ACCEPTED,
        entry_id=entry,
        created_at=at,
        confirmed_at=at,
        executed_at=at,
        settles_on=at.date(),
        exported_at=None if same_bank else at,
    )


def _names(bank_code: str, branch_code: str, to_account: Account | None) -> dict:
    """The bank's and branch's codes and names as the Zengin master has them (ours when it has not)."""
    bank = Bank.objects.filter(code=bank_code).first()
    branch = Branch.objects.filter(bank__code=bank_code, code=branch_code).first()
    return {
        "bank_code": bank_code,
        "bank_name": bank.name if bank else settings.BANK_NAME,
        "bank_kana": bank.kana if bank else settings.IBANK_BANK_KANA,
        "branch_code": branch_code,
        "branch_name": branch.name if branch else getattr(to_account, "branch_name", ""),
        "branch_kana": branch.kana if branch else "",
    }
