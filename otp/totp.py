"""TOTP arithmetic (RFC 6238 over RFC 4226 HOTP), HMAC-SHA1, 6 digits, 30 s, T0 = 0.

A small pure module with no Django imports: RFC 4226's dynamic truncation over
the standard library's HMAC, on the raw key (no base32 round trip per code);
tested against the RFCs' vectors, and against pyotp, in tests/otp/test_totp.py.
"""

import base64
import hashlib
import hmac
import secrets
from urllib.parse import quote, urlencode

DIGITS = 6
PERIOD = 30
SECRET_BYTES = 20  # 160 bits, RFC 4226's recommended length


def new_secret() -> bytes:
    """A random 160-bit secret."""
    return secrets.token_bytes(SECRET_BYTES)


def b32(key: bytes) -> str:
    """The key as base32 without padding, as authenticator apps take it."""
    return base64.b32encode(key).decode("ascii").rstrip("=")


def hotp(key: bytes, counter: int, digits: int = DIGITS) -> str:
    """RFC 4226 HOTP value of ``counter`` (HMAC-SHA1, dynamic truncation, ``digits`` decimal digits)."""
    mac = hmac.digest(key, counter.to_bytes(8, "big"), hashlib.sha1)
    offset = mac[-1] & 0x0F
    value = int.from_bytes(mac[offset : offset + 4], "big") & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


def time_step(t: float, period: int = PERIOD) -> int:
    """The RFC 6238 time step of Unix time ``t`` (T0 = 0)."""
    return int(t // period)


def totp(key: bytes, t: float, digits: int = DIGITS, period: int = PERIOD) -> str:
    """RFC 6238 TOTP value at Unix time ``t``."""
    return hotp(key, time_step(t, period), digits)


def match(key: bytes, code: str, t: float, window: int = 1, period: int = PERIOD) -> int | None:
    """The time step in ``[now - window, now + window]`` whose code is ``code``, or None.

    Every step in the window is computed and compared in constant time, with
    no early exit, so the time taken does not tell which step matched.
    """
    now = time_step(t, period)
    found = None
    typed = code.encode("ascii")
    for step in range(now - window, now + window + 1):
        if hmac.compare_digest(hotp(key, step).encode("ascii"), typed):
            found = step if found is None else found
    return found


def provisioning_uri(key: bytes, *, account: str, issuer: str) -> str:
    """``otpauth://totp/<issuer>:<account>?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30``."""
    label = quote(f"{issuer}:{account}", safe=":")
    query = urlencode(
        {"secret": b32(key), "issuer": issuer, "algorithm": "SHA1", "digits": DIGITS, "period": PERIOD},
        quote_via=quote,
    )
    return f"otpauth://totp/{label}?{query}"
