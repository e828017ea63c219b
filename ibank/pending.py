"""A step of a multi-step flow waiting in the session: ``[*values, started_at]``, never a secret.

Values older than IBANK_PENDING_SECONDS (5 minutes) are refused and removed.
"""

from datetime import UTC, datetime

from django.conf import settings

from ibank import clock

#: How long a pending step waits (IBANK_PENDING_SECONDS, default 5 minutes).
DEFAULT_PENDING_SECONDS = 300


def max_age() -> int:
    return getattr(settings, "IBANK_PENDING_SECONDS", DEFAULT_PENDING_SECONDS)


def put(request, key: str, *values) -> None:
    request.session[key] = [*values, clock.epoch()]


def get(request, key: str) -> list | None:
    """The values stored under ``key``, or None if missing or stale (then removed)."""
    stored = request.session.get(key)
    if not isinstance(stored, list) or not stored:
        return None
    *values, started_at = stored
    if clock.epoch() - started_at > max_age():
        request.session.pop(key, None)
        return None
    return values


def started(request, key: str):
    """When the step waiting under ``key`` was stored (an aware datetime), or None when nothing waits."""
    if get(request, key) is None:
        return None
    return datetime.fromtimestamp(request.session[key][-1], tz=UTC)


def clear(request, key: str) -> None:
    request.session.pop(key, None)
