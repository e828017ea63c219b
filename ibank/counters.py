"""Consecutive-failure counters that lock at a limit, safe under concurrency."""

from django.db.models import F

from ibank import clock


def count_failure(model, pk, *, count_field: str, locked_field: str, limit: int) -> bool:
    """Add one failure to row ``pk`` and lock it at ``limit``; both atomic in the database.

    Returns True only for the one call that set the lock, however many race,
    so that exactly one lock is reported (audit entry, e-mail).
    """
    model.objects.filter(pk=pk).update(**{count_field: F(count_field) + 1})
    newly_locked = model.objects.filter(
        pk=pk, **{f"{locked_field}__isnull": True, f"{count_field}__gte": limit}
    ).update(**{locked_field: clock.now()})
    return newly_locked == 1
