"""A fixed-window counter in the shared cache (Redis when several processes serve)."""

import ipaddress

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


def within(address: str, networks: list[str]) -> bool:
    """Whether ``address`` (an IPv4 one seen through an IPv6 socket as itself) lies in one of ``networks``."""
    ip = _address(address)
    return any(ip in ipaddress.ip_network(network, strict=False) for network in networks)


def _address(address: str):
    ip = ipaddress.ip_address(address)
    return ip.ipv4_mapped if ip.version == 6 and ip.ipv4_mapped is not None else ip


def network_of(address: str) -> str:
    """Who is behind a client address, for counting: an IPv4 address itself, an IPv6 address's /64 (one
    subscriber's; a single host may use any address in it). An IPv4 client seen through an IPv6 socket
    (``::ffff:a.b.c.d``) is its IPv4 address: the /64 of those would be every IPv4 client at once."""
    ip = _address(address)
    return str(ipaddress.ip_network(f"{ip}/64", strict=False)) if ip.version == 6 else str(ip)
