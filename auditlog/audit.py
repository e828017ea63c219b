"""Writing the audit log (SPEC §8): who did what, to which contract, from where."""

import functools
from datetime import timedelta

from ibank import clock, compiled
from ibank.actor import Actor, name_of

from .models import AUDIT_ACTIONS, AuditEntry


def actor_name(actor: Actor | None, contract=None) -> str:
    """Who acts, as the log names them: ``staff:<username>``, ``customer:<契約者ID>`` or ``anonymous``."""
    return name_of(actor, contract)


_KNOWN = {code for code, _label in AUDIT_ACTIONS}


def entry(
    actor: Actor | None, action: str, *, ok: bool, contract=None, reason: str = "", as_name: str = "", **detail
) -> AuditEntry:
    """An unsaved entry. ``detail`` must never hold a secret (password, code, seed). ``action`` is from the list."""
    if action not in _KNOWN:
        raise ValueError(f"unknown audit action {action!r}: add it to auditlog.models.AUDIT_ACTIONS")
    if actor is not None and actor.page:
        detail.setdefault("attempt", actor.page)
    if actor is not None and actor.channel == "mobile":  # the 携帯電話 site's acts say so, whatever the browser
        detail.setdefault("channel", "mobile")
    return AuditEntry(
        action=action,
        outcome=AuditEntry.Outcome.OK if ok else AuditEntry.Outcome.FAILED,
        reason=reason,
        contract=contract,
        actor=as_name or name_of(actor, contract),
        ip=actor.ip if actor is not None else None,
        user_agent=actor.user_agent if actor is not None else "",
        detail=detail,
    )


def record(
    actor: Actor | None, action: str, *, ok: bool, contract=None, reason: str = "", as_name: str = "", **detail
) -> AuditEntry:
    """Append one entry. ``detail`` must never hold a secret (password, code, seed)."""
    new_entry = entry(actor, action, ok=ok, contract=contract, reason=reason, as_name=as_name, **detail)
    compiled.insert(new_entry)  # what save() sends, composed once
    return new_entry


def recorded(action: str, *, contract, since=None, **detail) -> bool:
    """Whether an accepted ``action`` of ``contract`` with ``detail`` is in the log (e.g. the login that a pending
    login's twin request completed: the verifier writes it in the statement that claims the code); ``since``:
    made then or later."""
    found = AuditEntry.objects.filter(action=action, outcome=AuditEntry.Outcome.OK, contract=contract)
    if since is not None:
        found = found.filter(at__gte=since)
    return found.filter(**{f"detail__{name}": value for name, value in detail.items()}).exists()


def made_on_page(page: str, *, contract=None, action: str | None = None) -> bool:
    """Whether the page named ``page`` (``Actor.page``: its hidden ``attempt``) did what it asks in the last day:
    an accepted entry carries its name — of ``contract`` and of ``action``, where given (a request whose login
    the act ended has no contract to name)."""
    if not page:
        return False
    found = AuditEntry.objects.filter(
        outcome=AuditEntry.Outcome.OK, at__gte=clock.now() - timedelta(days=1), detail__attempt=page
    )
    if contract is not None:
        found = found.filter(contract=contract)
    return (found if action is None else found.filter(action=action)).exists()


def columns() -> list[str]:
    """The audit table's columns that a raw-SQL path writes (all but the id), from the model: one list."""
    return [f.column for f in AuditEntry._meta.concrete_fields if not f.primary_key]


def as_row(new_entry: AuditEntry) -> dict:
    """An unsaved entry as column -> JSON value, for a raw-SQL path (ledger.post on PostgreSQL)."""
    row = {}
    for field in AuditEntry._meta.concrete_fields:
        if field.primary_key:
            continue
        value = getattr(new_entry, field.attname)
        row[field.column] = value.isoformat() if hasattr(value, "isoformat") else value
    return row


@functools.lru_cache(maxsize=16)
def insert_sql(source: str = "", row: str = "%s::jsonb") -> str:
    """PostgreSQL: ``INSERT INTO <audit> (<columns>) SELECT … FROM [source,] <the entry as one jsonb parameter>``,
    for a statement that writes its audit entry itself (``as_row(entry)`` as JSON is the parameter; ``row``
    the jsonb expression made of it)."""
    from django.db import connection

    qn = connection.ops.quote_name
    table = qn(AuditEntry._meta.db_table)
    names = columns()
    return (
        f"INSERT INTO {table} ({', '.join(qn(c) for c in names)})"  # noqa: S608 (model metadata only)
        f" SELECT {', '.join('r.' + qn(c) for c in names)}"
        f" FROM {source + ', ' if source else ''}jsonb_populate_record(NULL::{table}, {row}) r"
    )
