"""Normalising what customers type."""

_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


def half_width_digits(value: str) -> str:
    """Full-width digits (０-９) become half-width; surrounding blanks (also 全角スペース) go."""
    return value.translate(_FULLWIDTH_DIGITS).strip().strip("\u3000").strip()


#: the largest id a database column holds (a signed 64-bit integer, SQLite's and PostgreSQL's bigint)
_MAX_ID = 2**63 - 1


def row_id(value: str) -> int | None:
    """An id typed into a URL's query string (``?payee=12``, a page's ``?before=``), or None: only ASCII digits
    up to the largest id a column holds, so that "²" (a digit to ``str.isdigit``, not to ``int``) or a number
    too large for the database is no id rather than a server error."""
    if not (value.isascii() and value.isdigit()) or len(value) > 19:
        return None
    number = int(value)
    return number if number <= _MAX_ID else None


def ascii_number(value: str) -> int | None:
    """``value`` as a whole number when it is written in ASCII digits only (after :func:`half_width_digits`),
    else None: never a ValueError for a character ``str.isdigit`` accepts and ``int`` does not."""
    return int(value) if value.isascii() and value.isdigit() else None
