#!/usr/bin/env python
"""入出金明細 at 10⁶ postings against 10³ (issue 19): the page, from the session and the URL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/history.py

Runs in a throw-away test database created and dropped by this script. Two accounts of one contract get
their postings through SQL (balanced entries against the cash account, spread evenly over the last 24
months, in time order): the small one 10³, the large one 10⁶ (BENCH_LARGE).

Each contender is the whole page request through Django's test client, logged in (the session and the URL):
GET /accounts/<pk>/history/ with a period — the whole 24 months, 前月, and a from–to month a year ago — each on
its first page and on its next page (``before=``), 20 rows each at both sizes. The small and the large account
alternate in slices (BENCH_SLICE requests each, default 30) over BENCH_SLICES rounds (default 8); each round
gives one latency ratio large / small per period, printed as min / median / max. Target: median <= 1.2. The
script also checks that no statement counts postings. Not a test.
"""

import os
import statistics
import time
from datetime import timedelta

import in_process  # the project on sys.path and Django set up: first

# isort: split

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.limits import today
from accounts.models import Account, Contract, User

SLICE = int(os.environ.get("BENCH_SLICE", "30"))
SLICES = int(os.environ.get("BENCH_SLICES", "8"))
LARGE = int(os.environ.get("BENCH_LARGE", "1000000"))
SMALL = 1000
PASSWORD = "Bench1234"

FILL = """
WITH series AS (
    SELECT n, now() - make_interval(secs => (%(count)s - n)::float8 * %(span)s / %(count)s) AS at
    FROM generate_series(1, %(count)s) AS n
), entries AS (
    INSERT INTO transfers_journalentry (at, kind, reference)
    SELECT at, 'deposit', '' FROM series ORDER BY n
    RETURNING id, at
), numbered AS (
    SELECT id, at, row_number() OVER (ORDER BY id) AS n FROM entries
)
INSERT INTO transfers_posting (entry_id, account_id, amount, balance_after, memo, counterparty, at)
SELECT id, account, amount, balance, 'deposit', 'ﾍﾞﾝﾁ', at
FROM numbered, LATERAL (VALUES (%(cash)s, -1, -n), (%(account)s, 1, n)) AS lines(account, amount, balance)
ORDER BY id, account
"""


def _fill(account: Account, cash: Account, count: int) -> None:
    span = 730 * 24 * 3600  # 24 months, in seconds
    with connection.cursor() as cursor:
        cursor.execute(FILL, {"count": count, "span": span, "cash": cash.pk, "account": account.pk})
        cursor.execute("UPDATE accounts_account SET balance = %s WHERE id = %s", [count, account.pk])
        cursor.execute("UPDATE accounts_account SET balance = balance - %s WHERE id = %s", [count, cash.pk])
        cursor.execute("ANALYZE transfers_posting")
        cursor.execute("ANALYZE transfers_journalentry")


def main():
    from django.test.utils import setup_test_environment

    setup_test_environment()  # the test client then keeps each response's template context (the next page)
    in_process.in_test_database(run)


def run():
    accounts = _accounts()
    client = Client()
    client.post("/login/", {"contract_id": "4100000000", "password": PASSWORD})
    assert client.get("/menu/").status_code == 200, "not logged in"
    cases = _cases(client, accounts)

    # No statement counts over the postings, at either size.
    with CaptureQueriesContext(connection) as ctx:
        for path, query in cases.values():
            client.get(path, query)
    counting = [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"].upper()]
    assert not counting, counting

    def timed(path, query) -> float:
        started = time.perf_counter()
        for _ in range(SLICE):
            client.get(path, query)
        return (time.perf_counter() - started) / SLICE

    small, large = list(accounts)
    for name, which in dict.fromkeys((name, which) for name, which, _label in cases):
        ratios, latencies = [], {small: [], large: []}
        for round_ in range(SLICES):
            order = (small, large) if round_ % 2 == 0 else (large, small)
            measured = {label: timed(*cases[(name, which, label)]) for label in order}
            for label in order:
                latencies[label].append(measured[label])
            ratios.append(measured[large] / measured[small])
        print(
            f"{name} {which}: {small} {statistics.median(latencies[small]) * 1000:6.2f} ms,"
            f" {large} {statistics.median(latencies[large]) * 1000:6.2f} ms;"
            f" ratio min {min(ratios):.2f} median {statistics.median(ratios):.2f} max {max(ratios):.2f}"
            " (target <= 1.2)"
        )


def _accounts() -> dict:
    """The contract and its two accounts, filled: {label: account}."""
    user = User.objects.create_user(username="4100000000", password=PASSWORD)
    contract = Contract.objects.create(user=user, contract_id="4100000000", name="bench", transaction_method="password")
    accounts = {}
    for label, count, number in (("10^3", SMALL, "1000001"), (f"10^{len(str(LARGE)) - 1}", LARGE, "1000002")):
        account = Account.objects.create(
            contract=contract, branch_code="001", branch_name="本店営業部", kind=1, number=number, holder_kana="ﾍﾞﾝﾁ"
        )
        accounts[label] = account
        started = time.perf_counter()
        _fill(account, Account.objects.internal(Account.Purpose.CASH), count)
        print(f"{label}: {count:,} postings written in {time.perf_counter() - started:.1f} s")
    return accounts


def _cases(client, accounts) -> dict:
    """{(period, page, account label): (path, query)}: each period's first page, and its next page (the
    ``before`` the first page gave). Periods where the small account has two full pages too (10³ postings
    are ~42 a month), so that both pages render 20 rows."""
    now = today()
    year_ago = (now.replace(day=1) - timedelta(days=365)).replace(day=1)
    month_end = (year_ago + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    periods = {
        "24か月": {"period": "range", "date_from": (now - timedelta(days=729)).isoformat(), "date_to": now.isoformat()},
        "前月": {"period": "last_month"},
        "1年前の1か月": {"period": "range", "date_from": year_ago.isoformat(), "date_to": month_end.isoformat()},
    }
    cases = {}
    for name, query in periods.items():
        for label, account in accounts.items():
            path = f"/accounts/{account.pk}/history/"
            response = client.get(path, query)
            assert response.status_code == 200 and response.context["page"].object_list, (name, label)
            cases[(name, "1ページ目", label)] = (path, query)
            cases[(name, "次のページ", label)] = (path, {**query, "before": response.context["page"].next_before})
    return cases


if __name__ == "__main__":
    main()
