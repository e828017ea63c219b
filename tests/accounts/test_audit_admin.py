"""The audit log's page in the admin costs the same at any size of the log (nothing is ever deleted): no
query a row, no DISTINCT over every entry for the date drill-down, a 契約者ID or an address found by equality."""

import re
from datetime import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from auditlog import audit
from ibank.actor import Actor
from tests.accounts.test_admin import staff, staff_client  # noqa: F401 (fixtures)

CHANGELIST = reverse("admin:auditlog_auditentry_changelist")


@pytest.fixture
def entries(make_contract, fake_clock):
    """Entries of three contracts over two months (Oct–Nov 2026), the third contract's from one address."""
    fake_clock.t = datetime(2026, 10, 20, 12, tzinfo=timezone.get_default_timezone()).timestamp()
    contracts = [make_contract() for _ in range(3)]
    for _day in range(30):
        for n, contract in enumerate(contracts):
            actor = Actor(ip=f"192.0.2.{n + 1}", user_agent="test")
            audit.record(actor, "transfer.input", ok=True, contract=contract)
        fake_clock.advance(86400)
    return contracts


def _rows(html: str) -> int:
    return html.count('<th class="field-at')


def _get(client, query=""):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(CHANGELIST + query)
    assert response.status_code == 200
    return response.content.decode(), [q["sql"] for q in queries]


def test_the_page_reads_the_rows_contracts_with_them_and_no_distinct(staff_client, entries):  # noqa: F811
    html, sql = _get(staff_client)
    assert _rows(html) >= 90
    assert not [q for q in sql if "DISTINCT" in q.upper()]
    assert not [q for q in sql if re.match(r'SELECT .* FROM "accounts_contract" WHERE', q)]  # none a row
    assert sum("COUNT(*)" in q for q in sql) <= 2
    # The drill-down (every entry is of 2026: Django opens at its months), then the days of a month.
    assert "at__month=10" in html and "at__month=11" in html and "at__month=9" not in html
    html, sql = _get(staff_client, "?at__year=2026")
    assert "at__month=10" in html and "at__month=11" in html and "at__month=12" not in html  # to today
    html, sql = _get(staff_client, "?at__year=2026&at__month=11")
    assert "at__day=1&" in html.replace("&amp;", "&") or 'at__day=1"' in html
    assert "at__day=19" in html and "at__day=20" not in html  # the days up to today (Nov 19)
    assert not [q for q in sql if "DISTINCT" in q.upper()]
    html, _sql = _get(staff_client, "?at__year=2026&at__month=11&at__day=2")
    assert _rows(html) == 3


def test_a_contract_id_or_an_address_is_found_by_equality(staff_client, entries):  # noqa: F811
    third = entries[2]
    html, sql = _get(staff_client, f"?q={third.contract_id}")
    assert _rows(html) == 30 and third.contract_id in html
    assert entries[0].contract_id not in html.split("<tbody>")[1]
    assert not [q for q in sql if " LIKE " in q.upper()]
    full_width = third.contract_id.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert _rows(_get(staff_client, f"?q={full_width}")[0]) == 30
    html, sql = _get(staff_client, "?q=192.0.2.1")
    assert _rows(html) == 30 and not [q for q in sql if " LIKE " in q.upper()]
    html, _sql = _get(staff_client, "?q=transfer")  # any other text: as before, a part of the fields
    assert _rows(html) >= 90


def test_the_log_is_counted_up_to_a_cap(staff_client, entries, monkeypatch):  # noqa: F811
    """A log that only grows is never counted whole: at most CAP + 1 rows, and the page says 「…件以上」."""
    from ibank.admin import CappedCountPaginator

    monkeypatch.setattr(CappedCountPaginator, "CAP", 50)
    html, sql = _get(staff_client)
    counts = [q for q in sql if "COUNT(" in q.upper()]
    assert counts and all("LIMIT 51" in q.upper() for q in counts), counts
    assert "50件以上" in html and _rows(html) == 90  # the page itself is whole
    html, _sql = _get(staff_client, f"?q={entries[0].contract_id}")  # below the cap: the exact count
    assert "50件以上" not in html and re.search(r"\b30 監査ログ", html)


def test_a_log_over_two_years_opens_at_its_years(staff_client, make_contract, fake_clock):  # noqa: F811
    """Entries since December 2025: the drill-down offers 2025 and 2026 first, then a year's months."""
    fake_clock.t = datetime(2025, 12, 30, 12, tzinfo=timezone.get_default_timezone()).timestamp()
    contract = make_contract()
    audit.record(Actor(ip="192.0.2.1", user_agent="test"), "transfer.input", ok=True, contract=contract)
    fake_clock.advance(40 * 86400)  # 2026-02-08
    audit.record(Actor(ip="192.0.2.1", user_agent="test"), "transfer.input", ok=True, contract=contract)
    html, _sql = _get(staff_client)
    assert "at__year=2025" in html and "at__year=2026" in html and "at__year=2027" not in html
    assert "at__month=" not in html
    html, _sql = _get(staff_client, "?at__year=2026")
    assert "at__month=1" in html and "at__month=2" in html and "at__month=3" not in html
