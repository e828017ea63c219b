"""振込照会・予約照会 (issue 18): the contract's transfers and payments past 認証, newest first, by status and by
period, each with its 受付番号 linking to its page; drafts and other contracts' are never listed."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from payments import reservations
from payments.models import Transfer
from tests.helpers import paid_before
from tests.payments.helpers import enter, login, other_bank_data, same_bank_data, send
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
