"""トークンID: 4 upper-case letters naming the token type + 8 digits, the last a check digit.

The check digit is Luhn's over the first 7 digits: it catches every single
mistyped digit and most swaps of neighbours, so a typo is told apart from a
wrong token before any code is checked. Pure module, no Django.
"""

import re
import unicodedata

_FORMAT = re.compile(r"[A-Z]{4}[0-9]{8}")


class TokenIdError(ValueError):
    """Base class; ``code`` says which rule failed."""

    code = "invalid"


class TokenIdFormatError(TokenIdError):
    code = "format"


class TokenIdCheckDigitError(TokenIdError):
    code = "check_digit"


def luhn_digit(digits: str) -> str:
    """The Luhn check digit to append to ``digits``."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:  # doubled: the rightmost digit before the check digit, then every second one
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def make(prefix: str, serial: int) -> str:
    """The token ID of serial number ``serial`` (0 to 9,999,999) under ``prefix``."""
    if not re.fullmatch(r"[A-Z]{4}", prefix) or not 0 <= serial < 10_000_000:
        raise ValueError("prefix must be 4 upper-case letters and serial below 10,000,000")
    body = f"{serial:07d}"
    return f"{prefix}{body}{luhn_digit(body)}"


def normalize(value: str) -> str:
    """What the customer typed, as a token ID: full-width to half-width, upper-case, no blanks or hyphens."""
    value = unicodedata.normalize("NFKC", value)
    return re.sub(r"[\s\-ー－]", "", value).upper()


def well_formed(token_id: str) -> bool:
    """Whether ``token_id`` has a token ID's form, as a token sends it (nothing normalized, no check digit)."""
    return _FORMAT.fullmatch(token_id) is not None


def parse(value: str) -> str:
    """Normalize and validate; raise TokenIdFormatError or TokenIdCheckDigitError."""
    token_id = normalize(value)
    if not _FORMAT.fullmatch(token_id):
        raise TokenIdFormatError(value)
    if luhn_digit(token_id[4:11]) != token_id[11]:
        raise TokenIdCheckDigitError(value)
    return token_id
