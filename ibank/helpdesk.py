"""Whom a customer calls: the branch, or the internet-banking help desk (BANK_HELPDESK_* settings).

Every message that leaves the customer at a dead end ends with :data:`CONTACT`, so that the page
names the number and the hours, not only "ask your branch".
"""

from django.conf import settings
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


def _phone() -> str:
    return settings.BANK_HELPDESK_PHONE


def _hours() -> str:
    """The setting (「9:00～17:00」), with an English dash on an English page."""
    hours = settings.BANK_HELPDESK_HOURS
    return hours if (get_language() or "ja").startswith("ja") else hours.replace("～", "–").replace("〜", "–")


PHONE = lazy(_phone, str)()
HOURS = lazy(_hours, str)()

CONTACT = format_lazy(
    _(
        "お取引店、またはインターネットバンキングヘルプデスク"
        "（電話 {phone}　受付時間 平日 {hours}、土・日・祝日・12月31日～1月3日を除く）にお問い合わせください。"
    ),
    phone=PHONE,
    hours=HOURS,
)


def with_contact(message):
    """``message`` followed by whom to call."""
    return format_lazy("{}{}", message, CONTACT)
