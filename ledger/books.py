"""The double-entry ledger (SPEC §5 money rules).

Every movement is one JournalEntry with two or more postings summing to zero;
``Account.balance`` is a cache of the account's postings, written in the same
transaction by a conditional UPDATE that refuses to take a customer's account
below zero. Accounts are updated in ascending id order, so two movements over
the same accounts lock them in the same order and cannot deadlock. Entries are
never changed: a mistake is corrected by :func:`reverse`.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import DatabaseError, connection, transaction

from accounts.models import Account
from ibank import clock
from ledger.models import JournalEntry, Memo, Posting


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
    _check_balanced(lines)
    # Fixed lock order (ascending account id); stable for lines on one account.
    return [(line, _apply(line.account_id, line.amount)) for line in sorted(lines, key=lambda line: line.account_id)]


def write_entry(*, kind: str, applied: list[tuple[Line, int]], reference: str = "", reverses_id=None, at=None):
    entry = JournalEntry.objects.create(kind=kind, reference=reference, reverses_id=reverses_id, at=at or clock.now())
    Posting.objects.bulk_create(
        Posting(
            entry=entry,
            at=entry.at,
            account_id=line.account_id,
            amount=line.amount,
            balance_after=balance_after,
            memo=line.memo,
            counterparty=line.counterparty,
        )
        for line, balance_after in applied
    )
    return entry


def deposit(*, account: Account, amount: int, counterparty: str = "") -> JournalEntry:
    """Cash paid in at the counter (demo data, tests): cash account out, customer account in."""
    cash = Account.objects.internal(Account.Purpose.CASH)
    lines = [
        Line(cash.pk, -amount, Memo.DEPOSIT, counterparty),
        Line(account.pk, amount, Memo.DEPOSIT, counterparty),
    ]
    return JournalEntry.objects.get(pk=post(Instruction(kind=JournalEntry.Kind.DEPOSIT, reference="", lines=lines)))


def reverse(entry: JournalEntry) -> JournalEntry:
    """Correct ``entry`` by its mirror image; the original stays as it was."""
    lines = [Line(p.account_id, -p.amount, Memo.REVERSAL, p.counterparty) for p in entry.postings.all()]
    instruction = Instruction(
        kind=JournalEntry.Kind.REVERSAL, reference=entry.reference, lines=lines, reverses=entry.pk
    )
    return JournalEntry.objects.get(pk=post(instruction))


# -- the one money engine --------------------------------------------------------------------------


class Refused(Exception):
    """An instruction was not applied (nothing moved); ``reason`` is the refused guard's name, or
    ``over_limit`` / ``insufficient_funds``."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Guard:
    """A row that must still be what the instruction was decided from (``where``: column -> value, None for
    NULL). With ``set`` it is claimed (moved to ``set`` in the same UPDATE); without, it is held FOR SHARE."""

    model: type
    pk: int
    where: dict
    refused: str
    set: dict | None = None


@dataclass(frozen=True)
class Usage:
    """Count ``amount`` toward the contract's use of ``day`` in ``scope``, never past ``ceiling`` (decided in
    Python); ``refused`` names the refusal. Scope "" is the daily limit; others are further caps (a new
    payee's, payments.payees)."""

    contract_id: int
    day: date
    amount: int
    ceiling: int
    scope: str = ""
    refused: str = "over_limit"


@dataclass
class Instruction:
    """One money movement, decided in Python (rows, posting lines, ceiling, audit entry); :func:`post`
    only applies its guards and writes its rows."""

    kind: str
    reference: str
    lines: list[Line]
    at: datetime = field(default_factory=clock.now)
    #: the entry this one corrects (a reversal)
    reverses: int | None = None
    claims: list[Guard] = field(default_factory=list)
    checks: list[Guard] = field(default_factory=list)
    usage: Usage | None = None
    #: further ceilings counted with the same amount (a new payee's daily cap)
    caps: list[Usage] = field(default_factory=list)
    #: (model, pk): the row whose ``entry`` points to the new journal entry
    link: tuple[type, int] | None = None
    #: an unsaved accounts.models.AuditEntry; the entry id is added to its detail
    audit: object = None


def post(instruction: Instruction, *, savepoint: bool = True) -> int:
    """Apply ``instruction`` all or nothing; returns the journal entry's id or raises :class:`Refused`.

    Inside a caller's transaction a refusal rolls back to a savepoint, so the caller may go on;
    ``savepoint=False`` when the refusal ends the caller's transaction anyway (two round trips fewer).

    PostgreSQL: one round trip (``ibank_post``, payments/sql/post.sql). Elsewhere the same steps, in the same
    order, in one transaction. Either way: checks and claims (each must match its row), the day's usage under
    the ceiling, the balances in account-id order (a customer's never below zero), the entry and its
    postings, the link, the audit entry.
    """
    _check_balanced(instruction.lines)
    if connection.vendor == "postgresql":
        return _post_postgresql(instruction, savepoint=savepoint)
    with transaction.atomic(savepoint=savepoint):
        for guard in [*instruction.checks, *instruction.claims]:
            rows = guard.model.objects.filter(pk=guard.pk, **_lookups(guard.where))
            matched = rows.exists() if guard.set is None else rows.update(**guard.set) == 1
            if not matched:
                raise Refused(guard.refused)
        for usage in _usages(instruction):
            if not take_usage(usage):
                raise Refused(usage.refused)
        try:
            applied = apply(instruction.lines)
        except InsufficientFunds:
            raise Refused("insufficient_funds") from None
        entry = write_entry(
            kind=instruction.kind,
            applied=applied,
            reference=instruction.reference,
            reverses_id=instruction.reverses,
            at=instruction.at,
        )
        if instruction.link is not None:
            model, pk = instruction.link
            model.objects.filter(pk=pk).update(entry=entry)
        if instruction.audit is not None:
            instruction.audit.detail = {**instruction.audit.detail, "entry": entry.pk}
            instruction.audit.save()
    return entry.pk


def _check_balanced(lines: list[Line]) -> None:
    if len(lines) < 2 or sum(line.amount for line in lines) != 0:
        raise Unbalanced(lines)
    if any(not isinstance(line.amount, int) or line.amount == 0 for line in lines):
        raise Unbalanced(lines)


def _lookups(where: dict) -> dict:
    return {(f"{k}__isnull" if v is None else k): (True if v is None else v) for k, v in where.items()}


def _usages(instruction: Instruction) -> list[Usage]:
    return [u for u in [instruction.usage, *instruction.caps] if u is not None]


def take_usage(usage: Usage) -> bool:
    """The conditional upsert of the day's usage: of racing movements, only those that fit pass."""
    from accounts.models import DailyUsage

    qn = connection.ops.quote_name
    table = qn(DailyUsage._meta.db_table)
    sql = (
        f"INSERT INTO {table} (contract_id, date, scope, used) SELECT %s, %s, %s, %s WHERE %s <= %s"
        f" ON CONFLICT (contract_id, date, scope) DO UPDATE SET used = {table}.used + excluded.used"
        f" WHERE {table}.used + excluded.used <= %s RETURNING used"
    )
    day = connection.ops.adapt_datefield_value(usage.day)
    with connection.cursor() as cursor:
        params = [usage.contract_id, day, usage.scope, usage.amount, usage.amount, usage.ceiling, usage.ceiling]
        cursor.execute(sql, params)
        return cursor.fetchone() is not None


def _json(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _guard_json(guard: Guard) -> dict:
    out = {
        "table": guard.model._meta.db_table,
        "id": guard.pk,
        "where": {k: _json(v) for k, v in guard.where.items()},
        "refused": guard.refused,
    }
    if guard.set is not None:
        out["set"] = {k: _json(v) for k, v in guard.set.items()}
    return out


def _post_postgresql(instruction: Instruction, *, savepoint: bool) -> int:
    import contextlib
    import json

    from auditlog import audit

    payload = {
        "checks": [_guard_json(g) for g in instruction.checks],
        "claims": [_guard_json(g) for g in instruction.claims],
        "usages": [
            {
                "contract": u.contract_id,
                "day": u.day.isoformat(),
                "scope": u.scope,
                "amount": u.amount,
                "ceiling": u.ceiling,
                "refused": u.refused,
            }
            for u in _usages(instruction)
        ],
        "lines": [
            {"account": line.account_id, "amount": line.amount, "memo": line.memo, "counterparty": line.counterparty}
            for line in instruction.lines
        ],
        "entry": {
            "at": instruction.at.isoformat(),
            "kind": instruction.kind,
            "reference": instruction.reference,
            "reverses": instruction.reverses,
        },
    }
    if instruction.link is not None:
        model, pk = instruction.link
        payload["link"] = {"table": model._meta.db_table, "id": pk}
    if instruction.audit is not None:
        payload["audit"] = audit.as_row(instruction.audit)
        payload["audit_columns"] = audit.columns()
    # Inside a caller's transaction a refusal must roll back to here only (a savepoint) unless the caller said
    # it ends there; alone, the statement is its own transaction (autocommit): one round trip.
    guard = transaction.atomic() if connection.in_atomic_block and savepoint else contextlib.nullcontext()
    try:
        with guard, connection.cursor() as cursor:
            cursor.execute("SELECT ibank_post(%s::jsonb)", [json.dumps(payload, ensure_ascii=False)])
            return cursor.fetchone()[0]
    except DatabaseError as exc:
        cause = exc.__cause__
        if getattr(cause, "sqlstate", None) in ("IB001", "IB003", "IB004"):
            raise Refused(cause.diag.message_detail) from None
        raise
