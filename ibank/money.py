"""Amounts as customers and staff read them."""

from django.utils.translation import gettext as _


def yen(amount: int) -> str:
    """1234567 -> "1,234,567円" ("¥1,234,567" in English; integer yen, never a float)."""
    return _("%(amount)s円") % {"amount": f"{int(amount):,}"}
