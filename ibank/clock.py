"""The one clock every time-dependent rule reads, so tests move time instead of sleeping.

Model fields use ``default=clock.now``, which keeps a reference to this very
function; tests therefore replace ``_now`` / ``_epoch``, never ``now`` itself.
"""

import time

from django.utils import timezone


def _now():
    return timezone.now()


def _epoch() -> float:
    return time.time()


def now():
    """The current aware datetime."""
    return _now()


def epoch() -> float:
    """The current time in seconds since the epoch."""
    return _epoch()
