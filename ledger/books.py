"""The double-entry ledger (SPEC §5 money rules).

Every movement is one JournalEntry with two or more postings summing to zero;
``Account.balance`` is a cache of the account's postings, written in the same
transaction by a conditional UPDATE that refuses to take a customer's account
below zero. Accounts are updated in ascending id order, so two movements over
the same accounts lock them in the same order and cannot deadlock. Entries are
never changed: a mistake is corrected by :func:`reverse`.
"""

import functools
import hashlib
import itertools
from dataclasses import dataclass, field, replace
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

    Must run inside the caller's transaction, which then writes the postings
    (:func:`write_postings`): a failed line raises and the caller rolls back.
    """
    _check_balanced(lines)
    # Fixed lock order (ascending account id); stable for lines on one account.
    return [(line, _apply(line.account_id, line.amount)) for line in sorted(lines, key=lambda line: line.account_id)]


def write_postings(entry: JournalEntry, applied: list[tuple[Line, int]]) -> None:
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

    PostgreSQL: one round trip (``ibank_post``, ledger/sql/post.sql). Elsewhere the same steps, in the same
    order, in one transaction. Either way: the entry, the checks and claims (each must match its row; a claim
    of the linked row points it to the entry in the same UPDATE), the day's usage under the ceiling, the
    balances in account-id order (a customer's never below zero) with their postings, the link (when no claim
    took it), the audit entry.
    """
    _check_balanced(instruction.lines)
    if connection.vendor == "postgresql":
        return _post_postgresql(instruction, savepoint=savepoint)
    with transaction.atomic(savepoint=savepoint):
        entry = JournalEntry.objects.create(
            kind=instruction.kind, reference=instruction.reference, reverses_id=instruction.reverses, at=instruction.at
        )
        guards, link = _linked(instruction)
        for guard in guards:
            rows = guard.model.objects.filter(pk=guard.pk, **_lookups(guard.where))
            changes = {k: (entry.pk if v is ENTRY else v) for k, v in (guard.set or {}).items()}
            matched = rows.exists() if guard.set is None else rows.update(**changes) == 1
            if not matched:
                raise Refused(guard.refused)
        for usage in _usages(instruction):
            if not take_usage(usage):
                raise Refused(usage.refused)
        try:
            applied = apply(instruction.lines)
        except InsufficientFunds:
            raise Refused("insufficient_funds") from None
        write_postings(entry, applied)
        if link is not None:
            model, pk = link
            model.objects.filter(pk=pk).update(entry=entry)
        if instruction.audit is not None:
            instruction.audit.detail = {**instruction.audit.detail, "entry": entry.pk}
            instruction.audit.save()
    return entry.pk


class _Entry:
    """In a Guard's ``set``: the id of the journal entry being written."""

    def __repr__(self):
        return "ENTRY"


ENTRY = _Entry()


def _linked(instruction: Instruction) -> tuple[list[Guard], tuple | None]:
    """The guards, the claim of the linked row (if any) also pointing it to the entry; and the link no claim
    took (written after the postings)."""
    guards, link = [*instruction.checks, *instruction.claims], instruction.link
    for i, guard in enumerate(guards):
        if link is not None and guard.set is not None and (guard.model, guard.pk) == link:
            column = guard.model._meta.get_field("entry").attname
            guards[i] = replace(guard, set={**guard.set, column: ENTRY})
            link = None
    return guards, link


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


def _statement(guard: Guard) -> dict:
    """The guard as the statement ibank_post runs: a claim is ``UPDATE … SET … WHERE id = … AND <as read>``, a
    check ``SELECT 1 … WHERE id = … AND <as read> FOR SHARE``; $1 is the new entry's id, the values are
    $2, $3, … (the set's, the id, the read's); the name is the text's digest (ibank_post prepares each text once
    a connection)."""
    sets = None if guard.set is None else tuple((k, v is ENTRY) for k, v in guard.set.items())
    name, sql = _guard_sql(guard.model, sets, tuple((k, v is None) for k, v in guard.where.items()))
    args = [_json(v) for v in (guard.set or {}).values() if v is not ENTRY]
    args.append(guard.pk)
    args.extend(_json(v) for v in guard.where.values() if v is not None)
    return {"name": name, "sql": sql, "args": args, "refused": guard.refused}


@functools.lru_cache(maxsize=256)
def _guard_sql(model, sets: tuple | None, where: tuple) -> tuple[str, str]:
    """(name, text) of a guard's statement by its shape: ``sets`` (column, is the entry), ``where`` (column,
    is NULL)."""
    meta, qn = model._meta, connection.ops.quote_name
    numbers = itertools.count(2)

    def column(name: str) -> str:
        return qn(meta.get_field(name).column)

    assignments = ", ".join(f"{column(k)} = {'$1' if entry else f'${next(numbers)}'}" for k, entry in sets or ())
    by_id = f"{qn(meta.pk.column)} = ${next(numbers)}"
    # One row comparison, which no index serves: the primary key is the only way in, whatever the planner
    # knows of the table (column by column, a generic plan may walk an index such as the payee's account's).
    columns = ", ".join(column(k) for k, _ in where)
    values = ", ".join("NULL" if null else f"${next(numbers)}" for _, null in where)
    conds = f"ROW({columns}) IS NOT DISTINCT FROM ROW({values})" if where else "TRUE"
    table = qn(meta.db_table)
    if sets is None:
        sql = f"SELECT 1 FROM {table} WHERE {by_id} AND {conds} FOR SHARE"  # noqa: S608 (model metadata only)
    else:
        # RETURNING: a prepared UPDATE run by EXECUTE reports its rows only as rows it returns.
        sql = f"UPDATE {table} SET {assignments} WHERE {by_id} AND {conds} RETURNING 1"  # noqa: S608 (as above)
    return _name(sql), sql


def _name(sql: str) -> str:
    return "ibank_" + hashlib.sha256(sql.encode()).hexdigest()[:40]


def _after(link, audit_entry) -> list[dict]:
    """What ibank_post writes after the postings: the link no claim took, the audit entry (its detail gains
    the entry's id)."""
    from auditlog import audit

    out = []
    if link is not None:
        model, pk = link
        name, sql = _link_sql(model)
        out.append({"name": name, "sql": sql, "args": [pk]})
    if audit_entry is not None:
        name, sql = _audit_sql()
        out.append({"name": name, "sql": sql, "args": [audit.as_row(audit_entry)]})
    return out


@functools.lru_cache(maxsize=16)
def _link_sql(model) -> tuple[str, str]:
    meta, qn = model._meta, connection.ops.quote_name
    table, entry, pk = qn(meta.db_table), qn(meta.get_field("entry").column), qn(meta.pk.column)
    sql = f"UPDATE {table} SET {entry} = $1 WHERE {pk} = $2"  # noqa: S608 (model metadata only)
    return _name(sql), sql


@functools.lru_cache(maxsize=1)
def _audit_sql() -> tuple[str, str]:
    from auditlog import audit

    sql = audit.insert_sql(
        row="($2::jsonb || jsonb_build_object('detail', ($2::jsonb -> 'detail') || jsonb_build_object('entry', $1)))"
    )
    return _name(sql), sql


def _post_postgresql(instruction: Instruction, *, savepoint: bool) -> int:
    import contextlib
    import json

    guards, link = _linked(instruction)
    payload = {
        "entry": {
            "at": instruction.at.isoformat(),
            "kind": instruction.kind,
            "reference": instruction.reference,
            "reverses": instruction.reverses,
        },
        "guards": [_statement(g) for g in guards],
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
        "after": _after(link, instruction.audit),
    }
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
