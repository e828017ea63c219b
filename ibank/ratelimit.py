"""A fixed-window counter in the shared cache (Redis when several processes serve)."""

from django.core.cache import cache


def allow(key: str, *, limit: int, window: int) -> bool:
    """Count one hit on ``key``; False once more than ``limit`` hits fell in the current window."""
    cache_key = f"ratelimit:{key}"
    cache.add(cache_key, 0, timeout=window)
    try:
        hits = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=window)
        hits = 1
    return hits <= limit


def reached(key: str, *, limit: int) -> bool:
    """Whether ``key`` has had ``limit`` hits or more in its current window (counts nothing)."""
    return (cache.get(f"ratelimit:{key}") or 0) >= limit
