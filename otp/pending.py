"""A step of a multi-step flow waiting in the session: ``[*values, started_at]``, never a secret.

Values older than IBANK_PENDING_SECONDS (5 minutes) are refused and removed.
"""

from ibank import clock

from .conf import otp_settings


def put(request, key: str, *values) -> None:
    request.session[key] = [*values, clock.epoch()]


def get(request, key: str) -> list | None:
    """The values stored under ``key``, or None if missing or stale (then removed)."""
    stored = request.session.get(key)
    if not isinstance(stored, list) or not stored:
        return None
    *values, started_at = stored
    if clock.epoch() - started_at > otp_settings.IBANK_PENDING_SECONDS:
        request.session.pop(key, None)
        return None
    return values


def clear(request, key: str) -> None:
    request.session.pop(key, None)
