"""What the in-process benchmarks set up: contracts that may pay each other now, as customers of a while.

Imported after ``django.setup()``. Nothing here is a test.
"""

from datetime import timedelta

from django.conf import settings

from accounts.models import Account, Contract, User
from demo.history import paid_before
from ibank import clock
from ledger import books
from zengin.models import Bank, Branch


def own_bank() -> None:
    """This bank and its 本店 in the Zengin master (入力 checks a same-bank payee against it)."""
    own = Bank.objects.create(code=settings.IBANK_BANK_CODE, name="own", kana="ｵｳﾝ", initial="ｵ", search_text="")
    Branch.objects.create(bank=own, code="001", name="本店", kana="ﾎﾝﾃﾝ", initial="ﾎ", search_text="")


def contract(contract_id: str, n: int, *, password=None, email: str = "", balance: int = 10_000_000) -> Contract:
    """A contract of two months (past the start's hold) with one funded account (``contract.account``)."""
    user = User.objects.create_user(username=contract_id, password=password)
    made = Contract.objects.create(
        user=user,
        contract_id=contract_id,
        name=f"bench {n}",
        email=email,
        transaction_method="password",
        daily_transfer_limit=10_000_000,
        created_at=clock.now() - timedelta(days=60),
    )
    account = Account.objects.create(
        contract=made, branch_code="001", branch_name="本店営業部", kind=1, number=f"{n:07d}", holder_kana=f"ﾍﾞﾝﾁ {n}"
    )
    books.deposit(account=account, amount=balance)
    made.account = account
    return made


def pair(base: int, **sender) -> tuple[Contract, Contract]:
    """A sender that paid the receiver two months ago (not a new payee: no hold, no cap), and the receiver.
    入力 looks up a same-bank holder's name at most IBANK_NAME_LOOKUP_LIMIT a day: lifted for the benchmark,
    whose one sender prepares thousands."""
    settings.IBANK_NAME_LOOKUP_LIMIT = 10**9
    payer, payee = contract(f"{base + 1}", base % 1000 + 1, **sender), contract(f"{base + 2}", base % 1000 + 2)
    paid_before(payer, payer.account, to_account=payee.account)
    return payer, payee
