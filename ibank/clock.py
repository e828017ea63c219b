"""The one clock every time-dependent rule reads, so tests move time instead of sleeping."""

import time

from django.utils import timezone


def now():
    """The current aware datetime."""
    return timezone.now()


def epoch() -> float:
    """The current time in seconds since the epoch."""
    return time.time()
