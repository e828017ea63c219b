"""口座名義確認 (issue 18): for a same-bank payee, 確認 shows the account holder's name from our own records.

It must not become an oracle of names (or of which accounts exist): each same-bank payee looked up at 入力
counts toward ``IBANK_NAME_LOOKUP_LIMIT`` a contract and JST day, taken by the money engine's conditional
upsert (a DailyUsage row of its own scope), so a burst never passes the limit. A lookup that ends in a
transfer (executed or reserved that day) is given back: it raises the day's ceiling by one. The contract's
own accounts, and the same payee entered again in the same draft, are not lookups.
"""

from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.limits import today
from accounts.models import Contract
from auditlog import audit
from ibank import business_days
from ledger import books

from .drafts import TransferError
from .models import Transfer

SCOPE = "name_lookup"


class NameLookupLimit(TransferError, field="payee_number", reason="name_lookup_limit"):
    message = _(
        "当金庫の口座へのお振込先の確認は、1日%(limit)s回までです。本日はこれ以上お振込先を確認できません。"
        "明日以降にあらためてお手続きください。"
    )


def take(actor, contract: Contract, *, branch_code: str, kind: int, number: str, draft: Transfer | None) -> bool:
    """Count one lookup of the same-bank account (branch, kind, number): True if counted, False if it is no
    lookup (the customer's own account, the draft's payee again); raises NameLookupLimit (audited)."""
    if draft is not None and (draft.branch_code, draft.payee_kind, draft.payee_number) == (branch_code, kind, number):
        return draft.name_looked_up  # the same payee in the same draft: looked up already
    if any((a.branch_code, a.kind, a.number) == (branch_code, kind, number) for a in contract.own_accounts()):
        return False  # the customer's own account
    limit = settings.IBANK_NAME_LOOKUP_LIMIT
    if _take(contract, limit):
        return True
    # At the limit: the lookups that ended in a transfer today are given back (counted only now, so that
    # an ordinary 入力 pays one statement for the count).
    given_back = _ended_in_a_transfer_today(contract)
    if given_back and _take(contract, limit + given_back):
        return True
    audit.record(actor, "transfer.name_lookup", ok=False, contract=contract, reason=NameLookupLimit.reason)
    raise NameLookupLimit(limit=settings.IBANK_NAME_LOOKUP_LIMIT)


def _take(contract: Contract, ceiling: int) -> bool:
    usage = books.Usage(contract.pk, today(), 1, ceiling, scope=SCOPE, refused=NameLookupLimit.reason)
    return books.take_usage(usage)


def _ended_in_a_transfer_today(contract: Contract) -> int:
    """Today's lookups that ended in a transfer (executed or reserved today): they are given back by raising
    the day's ceiling, so that the execution itself writes nothing more than its one statement."""
    start = business_days.start_of(today())
    return Transfer.objects.filter(
        Q(reserved_at__gte=start) | Q(reserved_at__isnull=True, executed_at__gte=start),
        contract=contract,
        name_looked_up=True,
        status__in=[*Transfer.EXECUTED, Transfer.Status.RESERVED],
    ).count()
