"""Normalising what customers type."""

_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


def half_width_digits(value: str) -> str:
    """Full-width digits (０-９) become half-width; surrounding blanks (also 全角スペース) go."""
    return value.translate(_FULLWIDTH_DIGITS).strip().strip("\u3000").strip()


def yen_typed(value: str) -> str:
    """An amount in yen as people type it (3,300 / ３，３００ / 3300円), as the digits it names: full-width digits
    become half-width, commas (half- or full-width) and a trailing 円 go. What is left is for the caller to
    check (digits only, its range)."""
    return half_width_digits(value).replace(",", "").replace("，", "").removesuffix("円")


#: the largest id a database column holds (a signed 64-bit integer, SQLite's and PostgreSQL's bigint)
_MAX_ID = 2**63 - 1


def ascii_number(value: str, max_digits: int = 19) -> int | None:
    """``value`` as a whole number when it is at most ``max_digits`` ASCII digits (after
    :func:`half_width_digits` where full-width ones are welcome), else None: never a ValueError, neither for a
    character ``str.isdigit`` accepts and ``int`` does not ("²") nor for more digits than ``int`` reads."""
    return int(value) if value.isascii() and value.isdigit() and len(value) <= max_digits else None


def row_id(value: str) -> int | None:
    """An id typed into a URL's query string (``?payee=12``, a page's ``?before=``), or None: a number too
    large for the database is no id rather than a server error."""
    number = ascii_number(value)
    return number if number is not None and number <= _MAX_ID else None
