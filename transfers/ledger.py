"""The double-entry ledger (SPEC §5 money rules).

Every movement is one JournalEntry with two or more postings summing to zero;
``Account.balance`` is a cache of the account's postings, written in the same
transaction by a conditional UPDATE that refuses to take a customer's account
below zero. Accounts are updated in ascending id order, so two movements over
the same accounts lock them in the same order and cannot deadlock. Entries are
never changed: a mistake is corrected by :func:`reverse`.
"""

from dataclasses import dataclass

from django.db import connection, transaction

from accounts.models import Account

from .models import JournalEntry, Memo, Posting


class InsufficientFunds(Exception):
    """A customer's account would go below zero."""

    def __init__(self, account_id: int):
        super().__init__(account_id)
        self.account_id = account_id


class Unbalanced(ValueError):
    """Postings that do not sum to zero, or fewer than two: never written."""


@dataclass(frozen=True)
class Line:
    account_id: int
    amount: int
    memo: str
    counterparty: str = ""


_APPLY_SQL = None


def _apply_sql() -> str:
    global _APPLY_SQL
    if _APPLY_SQL is None:
        table = connection.ops.quote_name(Account._meta.db_table)
        _APPLY_SQL = (
            f"UPDATE {table} SET balance = balance + %s"  # noqa: S608 (table name from model metadata)
            f" WHERE id = %s AND (balance + %s >= 0 OR purpose <> 'customer') RETURNING balance"
        )
    return _APPLY_SQL


def _apply(account_id: int, amount: int) -> int:
    """Add ``amount`` to the balance unless a customer's would go negative; returns the new balance."""
    with connection.cursor() as cursor:
        cursor.execute(_apply_sql(), [amount, account_id, amount])
        row = cursor.fetchone()
    if row is None:
        raise InsufficientFunds(account_id)
    return row[0]


def apply(lines: list[Line]) -> list[tuple[Line, int]]:
    """Move the balances of balanced ``lines`` in account-id order; returns each line with its balance after.

    Must run inside the caller's transaction, which then writes the entry
    (:func:`write_entry`): a failed line raises and the caller rolls back.
    """
    if len(lines) < 2 or sum(line.amount for line in lines) != 0:
        raise Unbalanced(lines)
    if any(not isinstance(line.amount, int) or line.amount == 0 for line in lines):
        raise Unbalanced(lines)
    # Fixed lock order (ascending account id); stable for lines on one account.
    return [(line, _apply(line.account_id, line.amount)) for line in sorted(lines, key=lambda line: line.account_id)]


def write_entry(*, kind: str, applied: list[tuple[Line, int]], reference: str = "", reverses=None) -> JournalEntry:
    entry = JournalEntry.objects.create(kind=kind, reference=reference, reverses=reverses)
    Posting.objects.bulk_create(
        Posting(
            entry=entry,
            account_id=line.account_id,
            amount=line.amount,
            balance_after=balance_after,
            memo=line.memo,
            counterparty=line.counterparty,
        )
        for line, balance_after in applied
    )
    return entry


def post(*, kind: str, lines: list[Line], reference: str = "", reverses: JournalEntry | None = None) -> JournalEntry:
    """Write one balanced entry and move the balances, all or nothing."""
    # No savepoint when the caller's transaction is open: all or nothing with it.
    with transaction.atomic(savepoint=False):
        applied = apply(lines)
        return write_entry(kind=kind, applied=applied, reference=reference, reverses=reverses)


def deposit(*, account: Account, amount: int, counterparty: str = "") -> JournalEntry:
    """Cash paid in at the counter (demo data, tests): cash account out, customer account in."""
    cash = Account.objects.internal(Account.Purpose.CASH)
    return post(
        kind=JournalEntry.Kind.DEPOSIT,
        lines=[
            Line(cash.pk, -amount, Memo.DEPOSIT, counterparty),
            Line(account.pk, amount, Memo.DEPOSIT, counterparty),
        ],
    )


def reverse(entry: JournalEntry) -> JournalEntry:
    """Correct ``entry`` by its mirror image; the original stays as it was."""
    lines = [Line(p.account_id, -p.amount, Memo.REVERSAL, p.counterparty) for p in entry.postings.all()]
    return post(kind=JournalEntry.Kind.REVERSAL, lines=lines, reference=entry.reference, reverses=entry)
