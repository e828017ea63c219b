"""Normalising what customers type."""

_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


def half_width_digits(value: str) -> str:
    """Full-width digits (０-９) become half-width; surrounding blanks (also 全角スペース) go."""
    return value.translate(_FULLWIDTH_DIGITS).strip().strip("\u3000").strip()
