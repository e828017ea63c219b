"""A fixed-window counter in the shared cache (Redis when several processes serve)."""

import contextlib

from django.core.cache import cache


def count(cache_key: str, *, window: int) -> int:
    """One more hit on the count under ``cache_key``, whose window (``window`` seconds) starts with its first:
    the count so far."""
    if hasattr(cache, "hit"):  # Redis (ibank.cache): one atomic round trip
        return cache.hit(cache_key, window)
    if cache.add(cache_key, 1, timeout=window):
        return 1
    try:
        return cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=window)
        return 1


def allow(key: str, *, limit: int, window: int) -> bool:
    """Count one hit on ``key``; False once more than ``limit`` hits fell in the current window."""
    return count(f"ratelimit:{key}", window=window) <= limit


def give_back(key: str) -> None:
    """Take back one hit counted on ``key`` (:func:`allow`) that turned out not to be one. Nothing if the window
    ended meanwhile (a window begun since may then count one hit fewer)."""
    with contextlib.suppress(ValueError):
        cache.decr(f"ratelimit:{key}")
