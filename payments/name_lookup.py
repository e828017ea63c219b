"""口座名義確認 (issue 18): for a same-bank payee, 確認 shows the account holder's name from our own records.

It must not become an oracle of names (or of which accounts exist): each same-bank payee looked up at 入力
counts toward ``IBANK_NAME_LOOKUP_LIMIT`` a contract and JST day, taken by the money engine's conditional
upsert (a DailyUsage row of its own scope), so a burst never passes the limit. A lookup that ends in a
transfer (executed or reserved) is given back. The contract's own accounts, and the same payee entered again
in the same draft, are not lookups.
"""

from django.conf import settings
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from accounts.limits import today
from accounts.models import Contract, DailyUsage
from auditlog import audit
from ledger import books

from .drafts import TransferError
from .models import Transfer

SCOPE = "name_lookup"


class NameLookupLimit(TransferError):
    message = _(
        "当金庫の口座へのお振込先の確認は、1日%(limit)s回までです。本日はこれ以上お振込先を確認できません。"
        "明日以降にあらためてお手続きください。"
    )
    field = "payee_number"
    reason = "name_lookup_limit"


def take(actor, contract: Contract, *, branch_code: str, kind: int, number: str, draft: Transfer | None) -> None:
    """Count one lookup of the same-bank account (branch, kind, number), or raise NameLookupLimit (audited)."""
    if draft is not None and (draft.branch_code, draft.payee_kind, draft.payee_number) == (branch_code, kind, number):
        return  # the same payee in the same draft: looked up already
    if contract.accounts.filter(branch_code=branch_code, kind=kind, number=number).exists():
        return  # the customer's own account
    limit = settings.IBANK_NAME_LOOKUP_LIMIT
    if books.take_usage(books.Usage(contract.pk, today(), 1, limit, scope=SCOPE, refused=NameLookupLimit.reason)):
        return
    audit.record(actor, "transfer.name_lookup", ok=False, contract=contract, reason=NameLookupLimit.reason)
    raise NameLookupLimit(limit=limit)


def give_back(contract: Contract) -> None:
    """A same-bank transfer was executed or reserved: its lookup no longer counts (inside its transaction)."""
    DailyUsage.objects.filter(contract=contract, date=today(), scope=SCOPE, used__gt=0).update(used=F("used") - 1)
