"""A fixed-window counter in the shared cache (Redis when several processes serve)."""

import contextlib

from django.core.cache import cache


def allow(key: str, *, limit: int, window: int) -> bool:
    """Count one hit on ``key``; False once more than ``limit`` hits fell in the current window."""
    cache_key = f"ratelimit:{key}"
    if hasattr(cache, "hit"):  # Redis (ibank.cache): one atomic round trip
        return cache.hit(cache_key, window) <= limit
    cache.add(cache_key, 0, timeout=window)
    try:
        hits = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=window)
        hits = 1
    return hits <= limit


def give_back(key: str) -> None:
    """Take back one hit counted on ``key`` (:func:`allow`) that turned out not to be one. Nothing if the window
    ended meanwhile (a window begun since may then count one hit fewer)."""
    with contextlib.suppress(ValueError):
        cache.decr(f"ratelimit:{key}")
