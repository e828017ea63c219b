"""Setting, counting toward and lifting locks (accounts.models.Lock). The gate (accounts.gate) reads them.

* :func:`set_lock` is a conditional insert (the partial unique index allows one open lock per kind), so of
  racing callers exactly one sets it and is told so (one audit entry, one notice).
* :func:`count_failure` counts one wrong guess and sets the lock at the limit **in one statement** (one
  round trip on PostgreSQL; the same two writes in one transaction on SQLite, which serialises writers).
  A guess made while the lock is in force is not counted and is answered as locked: however many guesses
  race, no more than the limit are ever counted as evaluated, and none after the lock is accepted.
* :func:`accept` is the other half: a right answer resets the count only while no lock is in force; when a
  lock was set meanwhile (by a concurrent wrong guess), the right answer is refused.
* :func:`lift` is a conditional update; the row stays, with who lifted it and why.

Each runs in the caller's transaction when there is one, without a savepoint of its own (two round trips
fewer): nothing here catches a database error to go on, so a failure rolls back the caller's whole work.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.db.models import OuterRef, Q
from django.utils.translation import gettext_lazy as _

from auditlog import audit
from ibank import clock, json_rows
from ibank.compiled import CompiledQuery

from .models import Contract, Lock

OPEN_LOCKS_ATTR = "_open_locks"


@dataclass(frozen=True)
class Kind:
    """What the branch lifts with a lock of ``key``: its name, the counter it resets, and the audit action."""

    key: str
    label: str
    #: (model, field): the failure counter reset with the lift (on the row ``rows(contract)`` selects)
    counter: tuple[type, str] | None = None


_kinds: dict[str, Kind] = {}


def register_kind(key: str, label, *, counter: tuple[type, str] | None = None) -> None:
    """Make ``key`` a lock kind the branch can lift (higher layers register theirs: otp its OTP lock)."""
    _kinds[key] = Kind(key, label, counter)


def kinds() -> dict[str, Kind]:
    return dict(_kinds)


register_kind(Lock.Kind.LOGIN, _("ログイン停止"), counter=(Contract, "login_failures"))
register_kind(Lock.Kind.TRANSACTION, _("取引認証停止"), counter=(Contract, "transaction_failures"))
register_kind(Lock.Kind.TOKEN_SETUP, _("トークン登録停止"), counter=(Contract, "token_setup_failures"))
register_kind(Lock.Kind.PAYEASY, _("収納サービス利用停止"), counter=(Contract, "payeasy_failures"))
register_kind(Lock.Kind.IB_SUSPENSION, _("IB取引中止"))
register_kind(Lock.Kind.ENVIRONMENT_HOLD, _("新しい環境からのログイン後の制限"))
register_kind(Lock.Kind.CHANGE_HOLD, _("登録内容の変更後の制限"))
register_kind(Lock.Kind.START_HOLD, _("ご利用開始後の制限"))


# -- reading ------------------------------------------------------------------------------


def _open_rows(contract_id):
    """A contract's open lock rows (``contract_id``: a value or an ``OuterRef``); some may have ended by time."""
    return Lock.objects.filter(contract_id=contract_id, lifted_at__isnull=True)


#: the open rows of a contract, compiled once (a contract loaded without them: :func:`read_with`)
_OPEN_LOCKS = CompiledQuery(_open_rows, -7_000_000_001)


def _keep_in_force(contract: Contract, rows) -> dict[str, Lock]:
    """What :func:`open_locks` answers for ``contract`` from its open ``rows``: those in force now, by kind."""
    now = clock.now()
    in_force = {lock.kind: lock for lock in rows if lock.in_force(now)}
    setattr(contract, OPEN_LOCKS_ATTR, in_force)
    return in_force


def open_locks(contract: Contract, *, refresh: bool = False) -> dict[str, Lock]:
    """The locks in force on ``contract`` by kind, read once per contract object (one query, or none when the
    contract was loaded with them: :func:`read_with`)."""
    cached = getattr(contract, OPEN_LOCKS_ATTR, None)
    if cached is None or refresh:
        cached = _keep_in_force(contract, _OPEN_LOCKS.all(contract.pk))
    return cached


#: the annotation :func:`read_with` adds
OPEN_LOCKS_COLUMN = "open_lock_rows"


def read_with(queryset, *, contract_of: str):
    """``queryset`` reading the open locks of each row's contract in the same statement (``contract_of``: the
    row's path to the contract's id, as in ``OuterRef``); :func:`adopt` hands them to :func:`open_locks`.
    Every request loads the user so (accounts.backends): the gate's first question costs no statement."""
    rows = json_rows.rows_of(_open_rows(OuterRef(contract_of)), by="contract_id")
    return queryset.annotate(**{OPEN_LOCKS_COLUMN: rows})


def adopt(contract: Contract, loaded) -> None:
    """What :func:`read_with` read on ``loaded`` (the row it annotated) is what :func:`open_locks` answers
    for ``contract``, as if it had read the table then."""
    _keep_in_force(contract, json_rows.objects(Lock, getattr(loaded, OPEN_LOCKS_COLUMN)))


def forget(contract: Contract) -> None:
    """Drop what :func:`open_locks` read: the next question reads the table again."""
    if hasattr(contract, OPEN_LOCKS_ATTR):
        delattr(contract, OPEN_LOCKS_ATTR)


# -- setting and lifting ------------------------------------------------------------------


def _qn(name: str) -> str:
    return connection.ops.quote_name(name)


_COLUMNS = ["contract_id", "kind", "reason", "reference", "set_at", "set_by", "until", "lifted_by", "lift_reason"]


def _expire(contract_id: int, kind: str, now: datetime) -> None:
    """Close the lock of ``kind`` whose time ran out, so that a new one can be set (one open lock per kind)."""
    sql = (
        f"UPDATE {_qn(Lock._meta.db_table)} SET lifted_at = %s, lifted_by = 'expired'"  # noqa: S608 (model metadata)
        " WHERE contract_id = %s AND kind = %s AND lifted_at IS NULL AND until IS NOT NULL AND until <= %s"
    )
    at = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(sql, [at, contract_id, kind, at])


def set_lock(
    contract: Contract, kind: str, *, reason: str, by: str, reference: str = "", until: datetime | None = None
) -> bool:
    """Set a lock of ``kind`` unless one is in force; True only for the call that set it."""
    now = clock.now()
    with transaction.atomic(savepoint=False):
        if until is not None:
            _expire(contract.pk, kind, now)
        sql = (
            f"INSERT INTO {_qn(Lock._meta.db_table)} ({', '.join(_qn(c) for c in _COLUMNS)})"  # noqa: S608
            f" VALUES ({', '.join(['%s'] * len(_COLUMNS))}) ON CONFLICT DO NOTHING RETURNING id"
        )
        ops = connection.ops
        params = [
            contract.pk,
            kind,
            reason[:200],
            reference[:40],
            ops.adapt_datetimefield_value(now),
            by[:160],
            ops.adapt_datetimefield_value(until),
            "",
            "",
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            created = cursor.fetchone() is not None
    forget(contract)
    return created


def hold(contract: Contract, kind: str, *, until: datetime, reason: str, by: str) -> datetime:
    """A lock of ``kind`` in force until at least ``until``: set (a conditional insert) or, when one is in
    force already, extended (a conditional update that never shortens it). Returns its end: ``until``, or
    the later end of the lock in force (read only then)."""
    with transaction.atomic(savepoint=False):
        in_force = Lock.objects.filter(contract_id=contract.pk, kind=kind, lifted_at__isnull=True)
        if not set_lock(contract, kind, reason=reason, by=by, until=until) and not in_force.filter(
            until__lt=until
        ).update(until=until, reason=reason[:200]):
            until = in_force.values_list("until", flat=True).first() or until
    forget(contract)
    return until


def lift(contract: Contract, kind: str, *, by: str, reason: str = "") -> bool:
    """Lift the open lock of ``kind`` (and reset its failure count); True if there was one in force."""
    now = clock.now()
    with transaction.atomic(savepoint=False):
        lifted = (
            Lock.objects.filter(contract_id=contract.pk, kind=kind, lifted_at__isnull=True)
            .filter(Q(until__isnull=True) | Q(until__gt=now))
            .update(lifted_at=now, lifted_by=by[:160], lift_reason=reason[:200])
        )
        if lifted:
            counter = _kinds[kind].counter if kind in _kinds else None
            if counter is not None:
                model, field = counter
                owner = {"pk": contract.pk} if model is Contract else {"contract": contract}
                model.objects.filter(**owner).update(**{field: 0})
    forget(contract)
    return bool(lifted)


# -- counting guesses ---------------------------------------------------------------------


@dataclass(frozen=True)
class Counted:
    """What :func:`count_failure` decided: ``counted`` False means a lock was in force (the guess is void)."""

    counted: bool
    failures: int = 0
    newly_locked: bool = False


def not_locked_sql(guard: tuple[str, ...]) -> str:
    """SQL: no lock of the ``guard`` kinds in force (parameters: :func:`not_locked_params`)."""
    return (
        f"NOT EXISTS (SELECT 1 FROM {_qn(Lock._meta.db_table)} l WHERE l.contract_id = %s"  # noqa: S608
        f" AND l.kind IN ({', '.join(['%s'] * len(guard))}) AND l.lifted_at IS NULL"
        f" AND (l.until IS NULL OR l.until > %s))"
    )


def not_locked_params(contract_id: int, guard: tuple[str, ...], now) -> list:
    return [contract_id, *guard, connection.ops.adapt_datetimefield_value(now)]


def count_failure(
    *,
    model,
    pk: int,
    field: str,
    contract_id: int,
    kind: str,
    limit: int,
    by: str,
    guard_kinds: tuple[str, ...] = (),
    increment: tuple[str, list, str, list] | None = None,
    until: datetime | None = None,
    on_locked=None,
) -> Counted:
    """Count one wrong guess on ``model`` row ``pk`` (``field``); set the lock ``kind`` at ``limit``; one statement.

    Counted only while under the limit and no lock of ``kind`` or ``guard_kinds`` is in force (re-checked
    against the latest committed row): else void, answered as locked. ``increment`` replaces ``field + 1``
    and ``field < limit`` with SQL and parameters (Pay-easy's run restarts each JST day). ``on_locked()`` runs
    in the same transaction when this guess set the lock (its audit entry and notice commit with it).
    """
    now = clock.now()
    ops = connection.ops
    table, column = _qn(model._meta.db_table), _qn(field)
    set_sql, set_params, cond_sql, cond_params = increment or (f"{column} + 1", [], f"{column} < %s", [limit])
    guard = (kind, *guard_kinds)
    where_params = [pk, *cond_params, *not_locked_params(contract_id, guard, now)]
    update = (
        f"UPDATE {table} SET {column} = {set_sql}"  # noqa: S608 (identifiers from model metadata)
        f" WHERE id = %s AND ({cond_sql}) AND {not_locked_sql(guard)} RETURNING {column}"
    )
    lock_values = [contract_id, kind, "too_many_failures", "", ops.adapt_datetimefield_value(now), by[:160]]
    lock_values += [ops.adapt_datetimefield_value(until), "", ""]
    insert_head = (
        f"INSERT INTO {_qn(Lock._meta.db_table)} ({', '.join(_qn(c) for c in _COLUMNS)})"
        f" SELECT {', '.join(['%s'] * len(_COLUMNS))}"
    )
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        if until is not None:
            _expire(contract_id, kind, now)
        if connection.vendor == "postgresql":
            statement = (
                f"WITH c AS ({update}),"  # noqa: S608 (identifiers from model metadata; values are parameters)
                f" l AS ({insert_head} FROM c WHERE c.{column} >= %s ON CONFLICT DO NOTHING RETURNING id)"
                f" SELECT c.{column}, EXISTS (SELECT 1 FROM l) FROM c"
            )
            cursor.execute(statement, [*set_params, *where_params, *lock_values, limit])
            row = cursor.fetchone()
        else:  # SQLite serialises writers: the same two writes in one transaction
            row = _count_in_two(cursor, (update, [*set_params, *where_params]), (insert_head, lock_values), limit)
        if row is not None and row[1] and on_locked is not None:
            on_locked()
    if row is None:
        return Counted(False)
    return Counted(True, row[0], bool(row[1]))


def count_contract_failure(actor, contract: Contract, *, field: str, kind: str, limit: int, **options) -> Counted:
    """:func:`count_failure` for a counter kept on the contract's own row, set by ``actor`` (whose name the
    lock records). ``options`` are count_failure's (increment, until, on_locked, guard_kinds)."""
    return count_failure(
        model=Contract,
        pk=contract.pk,
        field=field,
        contract_id=contract.pk,
        kind=kind,
        limit=limit,
        by=audit.actor_name(actor, contract),
        **options,
    )


def _count_in_two(cursor, update: tuple, insert: tuple, limit: int):
    """SQLite's form of the counting statement: the count, then the lock at the limit. (failures, newly) or None."""
    cursor.execute(*update)
    row = cursor.fetchone()
    if row is None:
        return None
    newly = False
    if row[0] >= limit:
        cursor.execute(f"{insert[0]} ON CONFLICT DO NOTHING RETURNING id", insert[1])
        newly = cursor.fetchone() is not None
    return (row[0], newly)


def accept(
    *, model, pk: int, field: str, contract_id: int, guard: tuple[str, ...], limit: int, under: tuple | None = None
) -> bool:
    """A right answer: reset the failure count unless a lock of ``guard`` is in force or the count reached
    ``limit`` (then False: refuse it, since a concurrent wrong guess locked first). The count's condition is
    re-checked against the row as the racing guess committed it (a lock row inserted meanwhile is not
    visible to this statement's snapshot; the count it wrote is). ``under`` replaces ``field < limit``
    with SQL and parameters (Pay-easy's run restarts each JST day)."""
    now = clock.now()
    table, column = _qn(model._meta.db_table), _qn(field)
    cond_sql, cond_params = under or (f"{column} < %s", [limit])
    sql = (
        f"UPDATE {table} SET {column} = 0"  # noqa: S608 (identifiers from model metadata)
        f" WHERE id = %s AND ({cond_sql}) AND {not_locked_sql(guard)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk, *cond_params, *not_locked_params(contract_id, guard, now)])
        return cursor.rowcount == 1
