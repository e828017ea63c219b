"""Writes of the token side: issuance here; registration, exchange and stop with the flows."""

import secrets

from django.db import IntegrityError, transaction

from accounts import audit

from . import tokenid, totp
from .models import SoftwareToken, TokenType


class IssuingClosed(Exception):
    """New tokens of this type are no longer issued (SPEC §3, type policy)."""


def token_issue(*, kind: str, request=None) -> tuple[SoftwareToken, bytes]:
    """Create a token of ``kind`` with a random 160-bit key; returns the token and its key.

    The key is handed to the token app once (QR code or desktop page) and is
    otherwise only stored encrypted. Token IDs are random within the type's
    prefix, so they cannot be enumerated from one another.
    """
    token_type = TokenType.objects.policy(kind)
    if not token_type.can_issue():
        raise IssuingClosed(kind)
    key = totp.new_secret()
    for _ in range(20):
        token = SoftwareToken(
            token_id=tokenid.make(token_type.prefix, secrets.randbelow(10_000_000)),
            token_type=token_type,
            expires_at=SoftwareToken.unregistered_expiry(),
        )
        token.set_key(key)
        try:
            with transaction.atomic():
                token.save()
        except IntegrityError:  # that token ID exists already: draw another
            continue
        audit.record(request, "token.issue", ok=True, token_id=token.token_id, kind=kind)
        return token, key
    raise RuntimeError(f"no free token ID for {kind} after 20 draws")
