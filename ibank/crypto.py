"""Encryption at rest for small secrets (card digits, token seeds).

Fernet (AES-128-CBC + HMAC-SHA256) under the keys in
``settings.IBANK_ENCRYPTION_KEYS``, newest first: the first key encrypts, every
key decrypts, so a key can be rotated by prepending a new one and running
``manage.py reencrypt_secrets``.
"""

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class DecryptionError(Exception):
    """A stored secret could not be decrypted with any configured key."""


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key.encode("ascii")) for key in keys])
    except (ValueError, UnicodeEncodeError):
        raise ImproperlyConfigured(
            "IBANK_ENCRYPTION_KEYS: each key must be 32 url-safe base64-encoded bytes "
            "(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')"
        ) from None


def _current() -> MultiFernet:
    return _fernet(tuple(settings.IBANK_ENCRYPTION_KEYS))


def encrypt(plaintext: str) -> str:
    """Encrypt ``plaintext`` under the newest key; returns ASCII text for a CharField."""
    return _current().encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(ciphertext: str) -> str:
    """Decrypt with any configured key; raise :class:`DecryptionError` otherwise."""
    try:
        return _current().decrypt(ciphertext.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError):
        raise DecryptionError("stored secret cannot be decrypted with the configured keys") from None


def rotate(ciphertext: str) -> str:
    """Re-encrypt ``ciphertext`` under the newest key (keeps the plaintext)."""
    try:
        return _current().rotate(ciphertext.encode("ascii")).decode("ascii")
    except InvalidToken:
        raise DecryptionError("stored secret cannot be decrypted with the configured keys") from None


def is_current(ciphertext: str) -> bool:
    """Whether ``ciphertext`` is already encrypted under the newest key."""
    newest = Fernet(settings.IBANK_ENCRYPTION_KEYS[0].encode("ascii"))
    try:
        newest.decrypt(ciphertext.encode("ascii"))
    except InvalidToken:
        return False
    return True
