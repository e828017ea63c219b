"""振込照会・予約照会 (issue 18): the contract's transfers and payments past 認証, newest first, by status and by
period, each with its 受付番号 linking to its page; drafts and other contracts' are never listed."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from payments import reservations
from payments.models import Transfer
from tests.helpers import analyze, compiled_plan, paid_before
from tests.payments.helpers import confirmed_same_bank, copies, enter, login, other_bank_data, same_bank_data, send
from tests.payments.test_payeasy import PRIVATE_NUMBERS, pay

JST = ZoneInfo("Asia/Tokyo")
INQUIRY = reverse("transfers-inquiry")


def at(fake_clock, *args):
    fake_clock.t = datetime(*args, tzinfo=JST).timestamp()


def references(response) -> list[str]:
    return [row.reference for row in response.context["rows"]]


@pytest.fixture
def history(client, contract, make_contract, stranger, fake_clock, billers):
    """October: a same-bank transfer. November: an other-bank one, a payment, two reservations (one
    cancelled), a reservation that failed, a draft; and a stranger's transfer."""
    payee = make_contract()
    at(fake_clock, 2026, 10, 15, 10, 0)
    login(client, contract)
    paid_before(contract, payee)
    paid_before(contract, bank_code="0005", number="7654321")
    _r, october = send(client, same_bank_data(contract, payee, amount=1_000))
    at(fake_clock, 2026, 11, 26, 9, 0)
    login(client, contract)
    _r, accepted = send(client, other_bank_data(contract, amount=2_000))
    fake_clock.advance(60)
    _r, payment = pay(client, contract, "58001", **PRIVATE_NUMBERS)
    fake_clock.advance(60)
    _r, waiting = send(client, other_bank_data(contract, amount=3_000, transfer_date="2026-12-01"))
    fake_clock.advance(60)
    _r, cancelled = send(client, other_bank_data(contract, amount=4_000, transfer_date="2026-12-02"))
    reservations.cancel(actor=None, contract=contract, transfer=cancelled)
    fake_clock.advance(60)
    _r, failed = send(client, other_bank_data(contract, amount=95_000, transfer_date="2026-11-27"))
    _r, draft = enter(client, other_bank_data(contract, amount=5_000))
    other = Client()
    login(other, stranger)
    paid_before(stranger, bank_code="0005", number="7654321")
    _r, theirs = send(other, other_bank_data(stranger, amount=6_000))
    at(fake_clock, 2026, 11, 27, 9, 0)
    from accounts.models import Account

    Account.objects.filter(pk=contract.account.pk).update(balance=1_000)
    assert reservations.execute(failed.pk) == "failed"
    at(fake_clock, 2026, 11, 30, 9, 0)
    login(client, contract)
    return {
        "october": october,
        "accepted": accepted,
        "payment": payment,
        "waiting": waiting,
        "cancelled": cancelled,
        "failed": failed,
        "draft": draft,
        "theirs": theirs,
    }


def test_this_month_newest_first_with_every_status(client, history):
    response = client.get(INQUIRY)
    h = history
    assert references(response) == [
        h["failed"].reference,
        h["cancelled"].reference,
        h["waiting"].reference,
        h["payment"].reference,
        h["accepted"].reference,
    ]
    html = response.content.decode()
    for label in ("受付済", "予約中", "取消済", "不成立", "払込済"):
        assert label in html
    assert h["draft"].reference not in html and h["theirs"].reference not in html
    assert h["october"].reference not in html  # last month
    assert reverse("transfers-result", args=[h["waiting"].reference]) in html
    assert reverse("payeasy-result", args=[h["payment"].reference]) in html
    rows = response.context["rows"]
    assert [row.at for row in rows] == sorted((row.at for row in rows), reverse=True)


def test_by_status_and_by_period(client, history):
    h = history
    assert references(client.get(INQUIRY, {"status": "reserved"})) == [h["waiting"].reference]
    # 予約中 lists every reservation still waiting, whatever the period (reserved in November, asked for October)
    waiting = client.get(INQUIRY, {"status": "reserved", "period": "last_month"})
    assert references(waiting) == [h["waiting"].reference]
    assert references(client.get(INQUIRY, {"status": "failed"})) == [h["failed"].reference]
    assert references(client.get(INQUIRY, {"status": "cancelled"})) == [h["cancelled"].reference]
    assert references(client.get(INQUIRY, {"status": "accepted"})) == [h["accepted"].reference]
    last_month = client.get(INQUIRY, {"period": "last_month"})
    assert references(last_month) == [h["october"].reference]
    done = client.get(
        INQUIRY, {"status": "done", "period": "range", "date_from": "2026-10-01", "date_to": "2026-11-30"}
    )
    assert set(references(done)) == {h["october"].reference, h["payment"].reference}
    # A bad period names its field and keeps what was typed.
    bad = client.get(INQUIRY, {"period": "range", "date_from": "2026-12-01", "date_to": "2026-11-01"})
    assert bad.status_code == 200 and bad.context["rows"] is None
    assert bad.context["form"].errors["date_to"]


def test_each_row_opens_its_page(client, history):
    page = client.get(reverse("transfers-result", args=[history["failed"].reference])).content.decode()
    assert "不成立" in page and "振込指定日に支払口座の残高が不足していました。" in page
    page = client.get(reverse("transfers-result", args=[history["waiting"].reference])).content.decode()
    assert "予約中" in page and "2026年12月1日" in page
    assert Transfer.objects.get(pk=history["waiting"].pk).scheduled_for == date(2026, 12, 1)


def test_more_than_a_page_shows_the_newest_accepted(client, contract, stranger, fake_clock):
    """With more rows in the period than the page shows, the page lists the newest by when each was accepted
    (executed, or reserved), whatever their kind, on every database: not the oldest reservation, and not
    immediate transfers ahead of a newer reservation."""
    from payments import inquiry

    at(fake_clock, 2026, 11, 30, 9, 0)
    transfer, _digest = confirmed_same_bank(contract, stranger, 1_000)
    first = datetime(2026, 11, 2, 9, 0, tzinfo=JST)
    immediate = copies(
        transfer, [{"status": "done", "executed_at": first + timedelta(minutes=n)} for n in range(1, inquiry.LIMIT + 1)]
    )
    old_reservation, reserved_then_executed, new_reservation = copies(
        transfer,
        [
            {"status": "reserved", "reserved_at": first, "scheduled_for": date(2026, 12, 10)},
            {
                "status": "done",
                "reserved_at": datetime(2026, 10, 20, 9, 0, tzinfo=JST),
                "executed_at": datetime(2026, 11, 28, 9, 0, tzinfo=JST),
                "scheduled_for": date(2026, 11, 28),
            },
            {
                "status": "reserved",
                "reserved_at": datetime(2026, 11, 29, 9, 0, tzinfo=JST),
                "scheduled_for": date(2026, 12, 1),
            },
        ],
    )
    login(client, contract)
    response = client.get(INQUIRY)
    newest_immediate = [t.reference for t in reversed(immediate)][: inquiry.LIMIT - 2]
    assert references(response) == [new_reservation.reference, reserved_then_executed.reference, *newest_immediate]
    assert old_reservation.reference not in response.content.decode()
    assert f"新しい順に{inquiry.LIMIT}件まで表示しています。" in response.content.decode()
    # One status: the newest of it, the same way.
    done = references(client.get(INQUIRY, {"status": "done"}))
    assert done == [reserved_then_executed.reference, *[t.reference for t in reversed(immediate)][: inquiry.LIMIT - 1]]


@pytest.mark.postgres
@pytest.mark.parametrize(
    "status, period, index",
    [
        ("", True, "transfer_accepted"),
        ("done", True, "transfer_status_accepted"),
        ("reserved", False, "transfer_status_accepted"),
    ],
)
def test_each_listing_is_one_range_of_an_index(contract, stranger, status, period, index):
    """照会 reads one range of an index in order and stops at the page's size: not every transfer the contract
    ever made, filtered and sorted (the cost would grow with its history)."""
    from payments import inquiry

    transfer, _digest = confirmed_same_bank(contract, stranger, 1_000)
    first = datetime(2024, 12, 1, 9, 0, tzinfo=JST)
    copies(transfer, [{"status": "done", "executed_at": first + timedelta(hours=8 * n)} for n in range(2_000)])
    copies(transfer, [{"status": "reserved", "reserved_at": first, "scheduled_for": date(2026, 12, 1)}] * 20)
    analyze(Transfer)  # the plan at size, as autovacuum's statistics show it: a tiny table makes any plan cheap
    query = inquiry._transfers_query(one_status=bool(status), period=period)
    begin, finish = datetime(2025, 6, 1, tzinfo=JST), datetime(2025, 7, 1, tzinfo=JST)
    plan = compiled_plan(query, contract.pk, *([status] if status else []), *([begin, finish] if period else []))
    assert index in plan and "Sort" not in plan, plan


@pytest.mark.postgres
def test_the_payments_of_a_period_are_one_range_of_an_index(client, contract, billers):
    """照会's payments of a period: one range of an index, in order, whatever the contract's history."""
    from payments import inquiry
    from payments.models import Payment

    login(client, contract)
    _r, payment = pay(client, contract, "58001", **PRIVATE_NUMBERS)
    copies(payment, [{"status": "cancelled"}] * 2_000)
    analyze(Payment)
    begin, finish = datetime(2025, 6, 1, tzinfo=JST), datetime(2025, 7, 1, tzinfo=JST)
    plan = compiled_plan(inquiry._PAYMENTS, contract.pk, begin, finish)
    assert "payment_contract_done" in plan and "Sort" not in plan, plan
