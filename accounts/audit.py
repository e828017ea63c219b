"""Writing the audit log (SPEC §8): who did what, to which contract, from where."""

from django.conf import settings

from .models import AuditEntry


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, or the proxy's X-Forwarded-For when behind one."""
    if request is None:
        return None
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip() or None
    return request.META.get("REMOTE_ADDR") or None


def _actor(request, contract) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_staff:
        return f"staff:{user.get_username()}"
    if contract is not None:
        return f"customer:{contract.contract_id}"
    return "anonymous"


def entry(request, action: str, *, ok: bool, contract=None, reason: str = "", actor: str = "", **detail) -> AuditEntry:
    """An unsaved entry. ``detail`` must never hold a secret (password, code, seed)."""
    return AuditEntry(
        action=action,
        outcome=AuditEntry.Outcome.OK if ok else AuditEntry.Outcome.FAILED,
        reason=reason,
        contract=contract,
        actor=actor or _actor(request, contract),
        ip=client_ip(request),
        user_agent=(request.META.get("HTTP_USER_AGENT", "")[:300] if request is not None else ""),
        detail=detail,
    )


def record(request, action: str, *, ok: bool, contract=None, reason: str = "", actor: str = "", **detail) -> AuditEntry:
    """Append one entry. ``detail`` must never hold a secret (password, code, seed)."""
    new_entry = entry(request, action, ok=ok, contract=contract, reason=reason, actor=actor, **detail)
    new_entry.save()
    return new_entry
