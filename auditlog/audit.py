"""Writing the audit log (SPEC §8): who did what, to which contract, from where."""

import ipaddress

from django.conf import settings

from .models import AUDIT_ACTIONS, AuditEntry


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, or, behind our proxies, the address they saw.

    Each proxy appends the address it received from to X-Forwarded-For, so
    only the right-most IBANK_PROXY_HOPS entries were written by us; the
    client can put anything to the left of them. A request that does not come
    from a trusted proxy (IBANK_TRUSTED_PROXIES), or has fewer entries than
    hops, did not come through our proxies: REMOTE_ADDR.
    """
    if request is None:
        return None
    remote = request.META.get("REMOTE_ADDR") or None
    if settings.IBANK_BEHIND_PROXY and _is_trusted_proxy(remote):
        entries = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(entries) >= settings.IBANK_PROXY_HOPS:
            candidate = entries[-settings.IBANK_PROXY_HOPS]
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                pass
    return remote


def _is_trusted_proxy(address: str | None) -> bool:
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(network, strict=False) for network in settings.IBANK_TRUSTED_PROXIES)


def actor_name(request, contract=None) -> str:
    """Who acts: ``staff:<username>``, ``customer:<契約者ID>`` or ``anonymous``."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_staff:
        return f"staff:{user.get_username()}"
    if contract is not None:
        return f"customer:{contract.contract_id}"
    return "anonymous"


_KNOWN = {code for code, _label in AUDIT_ACTIONS}


def entry(request, action: str, *, ok: bool, contract=None, reason: str = "", actor: str = "", **detail) -> AuditEntry:
    """An unsaved entry. ``detail`` must never hold a secret (password, code, seed). ``action`` is from the list."""
    if action not in _KNOWN:
        raise ValueError(f"unknown audit action {action!r}: add it to auditlog.models.AUDIT_ACTIONS")
    return AuditEntry(
        action=action,
        outcome=AuditEntry.Outcome.OK if ok else AuditEntry.Outcome.FAILED,
        reason=reason,
        contract=contract,
        actor=actor or actor_name(request, contract),
        ip=client_ip(request),
        user_agent=(request.META.get("HTTP_USER_AGENT", "")[:300] if request is not None else ""),
        detail=detail,
    )


def record(request, action: str, *, ok: bool, contract=None, reason: str = "", actor: str = "", **detail) -> AuditEntry:
    """Append one entry. ``detail`` must never hold a secret (password, code, seed)."""
    new_entry = entry(request, action, ok=ok, contract=contract, reason=reason, actor=actor, **detail)
    new_entry.save()
    return new_entry


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


def insert_sql(source: str = "") -> str:
    """PostgreSQL: ``INSERT INTO <audit> (<columns>) SELECT … FROM [source,] <the entry as one jsonb parameter>``,
    for a statement that writes its audit entry itself (``as_row(entry)`` as JSON is the parameter)."""
    from django.db import connection

    qn = connection.ops.quote_name
    table = qn(AuditEntry._meta.db_table)
    names = columns()
    return (
        f"INSERT INTO {table} ({', '.join(qn(c) for c in names)})"  # noqa: S608 (model metadata only)
        f" SELECT {', '.join('r.' + qn(c) for c in names)}"
        f" FROM {source + ', ' if source else ''}jsonb_populate_record(NULL::{table}, %s::jsonb) r"
    )
