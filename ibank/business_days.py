"""The bank's business days (issue 18): not a Saturday or Sunday, not a Japanese public holiday (jpholiday),
not one of the bank's own closing days (``IBANK_CLOSING_DAYS``, 12/31–1/3 by default).

Other-bank transfers are sent in the Zengin file of a business day: before the cut-off
(``IBANK_OTHER_BANK_CUTOFF``, 15:00 JST) on a business day they go out that day; later, or on a closed day,
on the next business day. Same-bank transfers are credited at once, any day.
"""

from datetime import date, datetime, time, timedelta

import jpholiday
from django.conf import settings
from django.utils import timezone


def is_business_day(day: date) -> bool:
    if day.weekday() >= 5:
        return False
    if f"{day:%m-%d}" in settings.IBANK_CLOSING_DAYS:
        return False
    return not jpholiday.is_holiday(day)


def next_business_day(day: date) -> date:
    """The first business day after ``day``."""
    day += timedelta(days=1)
    while not is_business_day(day):
        day += timedelta(days=1)
    return day


def cutoff() -> time:
    hours, minutes = settings.IBANK_OTHER_BANK_CUTOFF.split(":")
    return time(int(hours), int(minutes))


def other_bank_settlement(at: datetime) -> date:
    """The JST day an other-bank transfer executed ``at`` is sent and credited: that day if it is a business day
    and ``at`` is before the cut-off (15:00 exactly is after), else the next business day."""
    local = timezone.localtime(at)
    day = local.date()
    if is_business_day(day) and local.time() < cutoff():
        return day
    return next_business_day(day)


def start_of(day: date) -> datetime:
    """0:00 JST of ``day`` (when the worker executes that day's reservations)."""
    return timezone.make_aware(datetime.combine(day, time.min))
