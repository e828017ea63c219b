"""入出金明細 by period and as CSV (issue 18): periods in JST days, field errors that keep what was typed,
keyset pages (no COUNT over the account), and a CSV read back in both encodings equal to the page."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.limits import today
from ledger import books
from tests.helpers import login


def _url(contract):
    return reverse("transfers-history", args=[contract.account.pk])


def _utf8_csv_lines(client, contract) -> list[list[str]]:
    """The period's CSV (UTF-8, this month) as the rows after its header."""
    raw = b"".join(client.get(_url(contract), {"format": "csv"}).streaming_content)
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))[1:]


def _deposits(contract, fake_clock, days_ago_list):
    start = fake_clock.t
    for days in sorted(days_ago_list, reverse=True):
        fake_clock.t = start - days * 86400
        books.deposit(account=contract.account, amount=1_000 + days)
    fake_clock.t = start


def test_each_period_lists_its_days(client, contract, fake_clock):
    now = today()
    days_into_month = now.day - 1
    _deposits(contract, fake_clock, [0, days_into_month + 3, 400, 800])
    login(client, contract)
    amounts = lambda response: [p.amount for p in response.context["page"].object_list]  # noqa: E731
    assert amounts(client.get(_url(contract), {"period": "today"})) == [1_000, 100_000]  # and the opening deposit
    this_month = amounts(client.get(_url(contract)))  # this month by default (and the opening deposit)
    assert 1_000 in this_month and 1_000 + days_into_month + 3 not in this_month
    assert amounts(client.get(_url(contract), {"period": "last_month"})) == [1_000 + days_into_month + 3]
    start = (now - timedelta(days=401)).isoformat()
    ranged = amounts(client.get(_url(contract), {"period": "range", "date_from": start, "date_to": start}))
    assert ranged == []
    day = (now - timedelta(days=400)).isoformat()
    assert amounts(client.get(_url(contract), {"period": "range", "date_from": day, "date_to": day})) == [1_400]


def test_today_is_todays_lines_only_not_the_months(client, fake_clock, make_contract):
    """On the 16th, 本日 lists the 16th's lines, 今月 also the 10th's (on the 1st the two would agree)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    fake_clock.t = datetime(2026, 11, 16, 10, 0, tzinfo=ZoneInfo("Asia/Tokyo")).timestamp()
    contract = make_contract()  # its opening deposit of 100,000 yen: today
    _deposits(contract, fake_clock, [6])  # the 10th
    login(client, contract)
    amounts = lambda response: [p.amount for p in response.context["page"].object_list]  # noqa: E731
    assert amounts(client.get(_url(contract), {"period": "today"})) == [100_000]
    assert amounts(client.get(_url(contract), {"period": "this_month"})) == [100_000, 1_006]


def test_a_bad_period_names_the_field_and_keeps_what_was_typed(client, contract):
    login(client, contract)
    response = client.get(_url(contract), {"period": "range", "date_from": "2000-01-01", "date_to": ""})
    errors = response.context["form"].errors
    assert "24か月以内" in errors["date_from"][0] and errors["date_to"] == ["終了日を入力してください。"]
    assert 'value="2000-01-01"' in response.content.decode()
    missing_start = client.get(_url(contract), {"period": "range", "date_from": "", "date_to": today().isoformat()})
    assert missing_start.context["form"].errors["date_from"] == ["開始日を入力してください。"]
    assert f'value="{today().isoformat()}"' in missing_start.content.decode()
    tomorrow = (today() + timedelta(days=1)).isoformat()
    errors = client.get(_url(contract), {"period": "range", "date_from": today().isoformat(), "date_to": tomorrow})
    assert errors.context["form"].errors["date_to"] == ["終了日は本日以前を指定してください。"]
    reversed_ = {"period": "range", "date_from": today().isoformat(), "date_to": (today() - timedelta(days=1))}
    assert "開始日以降" in client.get(_url(contract), reversed_).context["form"].errors["date_to"][0]


def test_keyset_pages_cover_the_period_once_and_never_count(client, contract, fake_clock):
    for _ in range(45):
        books.deposit(account=contract.account, amount=10)
    login(client, contract)
    seen, before = [], None
    with CaptureQueriesContext(connection) as queries:
        while True:
            page = client.get(_url(contract), {"before": before} if before else {}).context["page"]
            seen += [p.pk for p in page.object_list]
            if not page.has_next:
                break
            before = page.next_before
    assert len(seen) == len(set(seen)) == 46  # the opening deposit and 45 more
    assert seen == sorted(seen, reverse=True)
    assert not any("COUNT(" in q["sql"].upper() for q in queries.captured_queries)


def test_the_csv_in_both_encodings_equals_the_page(client, contract, fake_clock):
    _deposits(contract, fake_clock, [0, 0])
    login(client, contract)
    page = client.get(_url(contract)).context["page"].object_list
    for encoding, codec in (("", "utf-8"), ("sjis", "cp932")):
        query = {"format": "csv", **({"encoding": encoding} if encoding else {})}
        response = client.get(_url(contract), query)
        raw = b"".join(response.streaming_content)
        assert raw.startswith(b"\xef\xbb\xbf") == (codec == "utf-8")  # the BOM for Excel, UTF-8 only
        text = raw.decode("utf-8-sig" if codec == "utf-8" else codec)
        rows = list(csv.reader(io.StringIO(text)))
        assert rows[0] == ["日付", "摘要", "出金", "入金", "残高"]
        body = rows[1:]
        assert len(body) == len(page)
        assert sum(int(r[3] or 0) for r in body) == sum(p.amount for p in page if p.amount > 0)
        assert [int(r[4]) for r in body] == [p.balance_after for p in page]
        assert body[-1][1] == "入金"
        assert "attachment" in response["Content-Disposition"]


@pytest.mark.postgres
def test_a_page_of_any_period_is_one_range_of_the_lines_index(contract, fake_clock):
    """Flat in the account's size (issue 19): a month a year back is read from the (account, -at, -id) index
    in order, with no sort and no scan of the newer lines (10⁶ postings: bench/history.py)."""
    from payments import statement

    _deposits(contract, fake_clock, [400, 380, 370, 360, 300, 10, 5, 1])
    start = today() - timedelta(days=390)
    end = today() - timedelta(days=350)
    with connection.cursor() as cursor:
        for before in (None, statement.page(contract.account, start, end, size=1).next_before):
            query = statement._postings_query(21, after=before is not None)  # the SQL a page runs
            low, high = statement.bounds(start, end)
            sql, params = query.sql_with_params(contract.account.pk, low, high, *([] if before is None else [before]))
            cursor.execute("SET enable_seqscan = off")  # a tiny table: ask what the planner does at size
            cursor.execute("EXPLAIN " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            cursor.execute("RESET enable_seqscan")
            assert "posting_account_at" in plan and "Sort" not in plan, plan
    rows = statement.page(contract.account, start, end).object_list
    assert [p.amount for p in rows] == [1_360, 1_370, 1_380]


@pytest.mark.parametrize(
    ("on", "first"),
    [
        ("2026-12-02", "2024-12-02"),  # the same day 24 months ago
        ("2028-02-29", "2026-02-28"),  # that month has no 29th: its last day
        ("2026-03-31", "2024-03-31"),
        ("2026-06-30", "2024-06-30"),
    ],
)
def test_a_period_reaches_back_24_months_to_the_day(client, contract, fake_clock, on, first):
    """SPEC §5: 入出金明細 by period, up to 24 months: the form takes the day 24 months ago and refuses the day
    before, naming it."""
    from datetime import date, datetime

    from django.utils import timezone

    noon = timezone.make_aware(datetime.combine(date.fromisoformat(on), datetime.min.time().replace(hour=12)))
    fake_clock.advance(noon.timestamp() - fake_clock.t)
    login(client, contract)
    earliest = date.fromisoformat(first)
    query = {"period": "range", "date_from": earliest.isoformat(), "date_to": on}
    assert client.get(_url(contract), query).context["form"].is_valid()
    query["date_from"] = (earliest - timedelta(days=1)).isoformat()
    errors = client.get(_url(contract), query).context["form"].errors
    assert errors["date_from"] == [f"開始日は{first}以降を指定してください（24か月以内）。"]


@pytest.mark.parametrize("name", ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\t=1", "\r=1"])
def test_no_cell_of_the_csv_is_read_as_a_formula(client, contract, fake_clock, name):
    """A counterparty's name is typed by another customer (the sender's payee name, their own kana): a cell
    starting with = + - @ (or a tab or return before one) would be a formula to a spreadsheet. Each text cell
    starts with the entry's own words; an amount is a number of its own."""
    books.deposit(account=contract.account, amount=1_000, counterparty=name)
    books.reverse(books.deposit(account=contract.account, amount=500, counterparty=name))
    login(client, contract)
    rows = _utf8_csv_lines(client, contract)
    # The account's opening deposit, then two deposits and a reversal that each name the counterparty.
    assert [name.strip() in row[1] for row in rows] == [True, True, True, False], rows
    for row in rows:
        assert row[1][:1] not in "=+-@\t\r", row
        assert all(cell == "" or cell.isdigit() for cell in row[2:]), row  # 出金, 入金, 残高: plain numbers


@pytest.mark.parametrize("chunk", [3, 5, 10])
def test_a_csv_longer_than_its_chunks_lists_every_line_once_newest_first(
    client, contract, fake_clock, monkeypatch, chunk
):
    """The CSV reads the period in chunks by keyset (payments.statement.rows), here of 3, 5 and 10 lines for
    10: across each boundary, and at a last chunk that is full, every line once, newest first. The lines
    share one time (the fake clock stands still), so the order within it is the posting's."""
    from payments import statement

    monkeypatch.setattr(statement, "CHUNK", chunk)
    for amount in range(1, 10):
        books.deposit(account=contract.account, amount=amount)
    login(client, contract)
    body = _utf8_csv_lines(client, contract)
    assert len(body) == 10  # the nine and the opening deposit
    assert [int(r[3]) for r in body if int(r[3]) < 10] == list(range(9, 0, -1))
