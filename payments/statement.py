"""入出金明細 by period, on the page and as CSV (issue 18).

Periods: today, this month, last month, or from–to within the last 24 months (JST days). Rows are read
by keyset on (time, id) over the lines' own ``(account, -at, -id)`` index, never with a COUNT over the
account, so a page and each chunk of the CSV cost the same for 10³ and 10⁶ postings, for any period.
The CSV is UTF-8 with a BOM (Excel opens it as such) or Shift_JIS (cp932), with 日付, 摘要, 出金, 入金, 残高.
"""

import calendar
import csv
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django import forms
from django.db import connection
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.limits import today
from accounts.models import Account
from ibank.compiled import CompiledQuery
from ledger.models import Posting

PAGE_SIZE = 20
CHUNK = 500
MONTHS_BACK = 24


class StatementForm(forms.Form):
    PERIODS = [
        ("today", _("本日")),
        ("this_month", _("今月")),
        ("last_month", _("前月")),
        ("range", _("期間を指定")),
    ]
    period = forms.ChoiceField(label=_("照会期間"), choices=PERIODS, initial="this_month", required=False)
    date_from = forms.DateField(label=_("開始日"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("終了日"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if (data.get("period") or "this_month") != "range":
            return data
        start, end, first = data.get("date_from"), data.get("date_to"), earliest()
        if start is None and "date_from" not in self.errors:
            self.add_error("date_from", _("開始日を入力してください。"))
        if end is None and "date_to" not in self.errors:
            self.add_error("date_to", _("終了日を入力してください。"))
        if start and start < first:
            self.add_error("date_from", _("開始日は%(first)s以降を指定してください（24か月以内）。") % {"first": first})
        if end and end > today():
            self.add_error("date_to", _("終了日は本日以前を指定してください。"))
        if start and end and start > end:
            self.add_error("date_to", _("終了日は開始日以降を指定してください。"))
        return data

    def period_range(self) -> tuple[date, date]:
        """(first day, last day), JST, of a valid form."""
        key, now = self.cleaned_data.get("period") or "this_month", today()
        if key == "today":
            return now, now
        if key == "last_month":
            last = now.replace(day=1) - timedelta(days=1)
            return last.replace(day=1), last
        if key == "range":
            return self.cleaned_data["date_from"], self.cleaned_data["date_to"]
        return now.replace(day=1), now


def earliest() -> date:
    """The first day that can be asked for: the same day 24 months ago, or that month's last day when it has no
    such day (on 2028-02-29, 2026-02-28)."""
    now = today()
    year, month = divmod(now.year * 12 + now.month - 1 - MONTHS_BACK, 12)
    return date(year, month + 1, min(now.day, calendar.monthrange(year, month + 1)[1]))


def bounds(start: date, end: date) -> tuple[datetime, datetime]:
    tz = timezone.get_default_timezone()
    return (
        timezone.make_aware(datetime.combine(start, time.min), tz),
        timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min), tz),
    )


def _postings_query(limit: int, *, after: bool) -> CompiledQuery:
    """The account's lines of a period, newest first (time, then id), at most ``limit``; ``after``: from after
    a given line on. One range of the ``(account, -at, -id)`` index, whatever the account's size and
    wherever the period. Compiled once per shape (a page, a CSV chunk; first or later)."""
    key = (limit, after)
    if key not in _POSTINGS:
        table = Posting._meta.db_table

        def build(pk, low, high, before=None):
            rows = Posting.objects.filter(account_id=pk, at__gte=low, at__lt=high)
            if after:
                name = connection.ops.quote_name(table)
                row = f"({name}.at, {name}.id) < (SELECT p.at, p.id FROM {name} p WHERE p.id = %s)"  # noqa: S608
                rows = rows.extra(where=[row], params=[before])  # noqa: S610 (the table from the model, an id)
            return rows.order_by("-at", "-id")[:limit]

        probes = (-7_000_000_001, datetime(1901, 1, 1, tzinfo=UTC), datetime(1901, 1, 2, tzinfo=UTC))
        _POSTINGS[key] = CompiledQuery(build, *probes, *((-7_000_000_002,) if after else ()))
    return _POSTINGS[key]


_POSTINGS: dict[tuple[int, bool], CompiledQuery] = {}


def _postings(account: Account, start: date, end: date, before: int | None, limit: int) -> list:
    low, high = bounds(start, end)
    if before is None:
        return _postings_query(limit, after=False).all(account.pk, low, high)
    return _postings_query(limit, after=True).all(account.pk, low, high, before)


@dataclass(frozen=True)
class Page:
    object_list: list
    #: the posting id to read older rows from (None: this is the last page)
    next_before: int | None

    @property
    def has_next(self) -> bool:
        return self.next_before is not None


def page(account: Account, start: date, end: date, before: int | None = None, size: int = PAGE_SIZE) -> Page:
    """One page, newest first, from ``before`` (a posting id) on: ``size + 1`` rows read, no count."""
    rows = _postings(account, start, end, before, size + 1)
    return Page(rows[:size], rows[size - 1].pk if len(rows) > size else None)


def rows(account: Account, start: date, end: date):
    """Every posting of the period, newest first, read in chunks by keyset."""
    before = None
    while True:
        chunk = _postings(account, start, end, before, CHUNK)
        yield from chunk
        if len(chunk) < CHUNK:
            return
        before = chunk[-1].pk


class _Echo:
    def write(self, value):
        return value


HEADER = [_("日付"), _("摘要"), _("出金"), _("入金"), _("残高")]


def csv_response(account: Account, start: date, end: date, *, sjis: bool = False) -> StreamingHttpResponse:
    encoding = "cp932" if sjis else "utf-8"
    writer = csv.writer(_Echo())

    def lines():
        if not sjis:
            yield "\ufeff".encode()  # the BOM: Excel reads the file as UTF-8
        yield writer.writerow([str(h) for h in HEADER]).encode(encoding)
        for posting in rows(account, start, end):
            at = timezone.localtime(posting.at)
            memo = posting.memo_label + (f" {posting.counterparty}" if posting.counterparty else "")
            out, inn = (-posting.amount, "") if posting.amount < 0 else ("", posting.amount)
            line = [f"{at:%Y/%m/%d %H:%M}", memo, out, inn, posting.balance_after]
            yield writer.writerow(line).encode(encoding, errors="replace")

    response = StreamingHttpResponse(lines(), content_type=f"text/csv; charset={'Shift_JIS' if sjis else 'utf-8'}")
    name = f"meisai_{account.branch_code}_{account.number}_{start:%Y%m%d}-{end:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
