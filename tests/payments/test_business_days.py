"""Business days and the cut-off (issue 18): other-bank transfers after 15:00 JST or on a closed day go into the
next business day's Zengin file, and 確認 and 結果 say on which day the payee is credited."""

from datetime import date, datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.urls import reverse

from ibank import business_days
from payments.models import Transfer
from tests.helpers import paid_before
from tests.payments.helpers import authorize, confirm, enter, login, other_bank_data, same_bank_data, send

JST = ZoneInfo("Asia/Tokyo")


def at(*args) -> datetime:
    return datetime(*args, tzinfo=JST)


@pytest.mark.parametrize(
    ("day", "open_"),
    [
        (date(2026, 11, 27), True),  # a Friday
        (date(2026, 11, 28), False),  # a Saturday
        (date(2026, 11, 29), False),  # a Sunday
        (date(2026, 11, 23), False),  # 勤労感謝の日 (jpholiday)
        (date(2026, 12, 31), False),  # the bank's closing days
        (date(2027, 1, 1), False),
        (date(2027, 1, 3), False),
        (date(2027, 1, 4), True),
        (date(2027, 1, 11), False),  # 成人の日
    ],
)
def test_business_days(day, open_):
    assert business_days.is_business_day(day) is open_


def test_the_closing_days_are_a_setting(settings):
    settings.IBANK_CLOSING_DAYS = ["12-31"]
    assert not business_days.is_business_day(date(2026, 12, 31))
    assert business_days.is_business_day(date(2027, 1, 4))
    settings.IBANK_CLOSING_DAYS = ["12-31", "01-04"]
    assert business_days.next_business_day(date(2026, 12, 30)) == date(2027, 1, 5)


@pytest.mark.parametrize(
    ("executed", "sent"),
    [
        (at(2026, 11, 27, 14, 59, 59), date(2026, 11, 27)),  # before the cut-off: today
        (at(2026, 11, 27, 15, 0, 0), date(2026, 11, 30)),  # 15:00 exactly is after: Friday → Monday
        (at(2026, 11, 28, 10, 0), date(2026, 11, 30)),  # a Saturday
        (at(2026, 11, 22, 10, 0), date(2026, 11, 24)),  # Sunday, then the holiday: Tuesday
        (at(2026, 12, 30, 16, 0), date(2027, 1, 4)),  # across the year-end closing
        (at(2026, 12, 31, 9, 0), date(2027, 1, 4)),
    ],
)
def test_other_bank_settlement(executed, sent):
    assert business_days.other_bank_settlement(executed) == sent


def test_the_cut_off_is_a_setting(settings):
    settings.IBANK_OTHER_BANK_CUTOFF = "14:30"
    assert business_days.other_bank_settlement(at(2026, 11, 27, 14, 30)) == date(2026, 11, 30)
    assert business_days.other_bank_settlement(at(2026, 11, 27, 14, 29)) == date(2026, 11, 27)


def test_a_transfer_at_15_00_on_friday_is_credited_on_monday_and_sent_in_mondays_file(
    client, contract, fake_clock, tmp_path
):
    fake_clock.t = at(2026, 11, 27, 15, 0).timestamp()
    login(client, contract)
    paid_before(contract, bank_code="0005", number="7654321")
    _r, transfer = enter(client, other_bank_data(contract, amount=12_000))
    page = client.get(reverse("transfers-confirm", args=[transfer.reference])).content.decode()
    assert "お振込先への入金日" in page and "2026年11月30日" in page
    confirm(client, transfer)
    authorize(client, transfer)
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.ACCEPTED and transfer.settles_on == date(2026, 11, 30)
    page = client.get(reverse("transfers-result", args=[transfer.reference])).content.decode()
    assert "他の金融機関へのお振込は、2026年11月30日に振込先の金融機関へ送信します。" in page

    out = StringIO()
    call_command("export_zengin", date="2026-11-27", output=str(tmp_path / "fri.txt"), stdout=out)
    assert "no queued other-bank transfers" in out.getvalue()
    call_command("export_zengin", date="2026-11-30", output=str(tmp_path / "mon.txt"), stdout=StringIO())
    transfer.refresh_from_db()
    assert transfer.exported_at is not None
    assert (tmp_path / "mon.txt").exists()


def test_a_transfer_before_the_cut_off_is_credited_today(client, contract, fake_clock):
    fake_clock.t = at(2026, 11, 27, 14, 59, 59).timestamp()
    login(client, contract)
    paid_before(contract, bank_code="0005", number="7654321")
    _r, transfer = send(client, other_bank_data(contract, amount=12_000))
    assert transfer.settles_on == date(2026, 11, 27)


def test_same_bank_transfers_are_credited_at_once_on_a_holiday(client, contract, make_contract, fake_clock):
    fake_clock.t = at(2026, 11, 23, 20, 0).timestamp()  # 勤労感謝の日, in the evening
    login(client, contract)
    payee = make_contract()
    paid_before(contract, payee)
    payee.account.refresh_from_db()
    before = payee.account.balance
    _r, transfer = send(client, same_bank_data(contract, payee, amount=1_000))
    assert transfer.status == Transfer.Status.DONE and transfer.settles_on == date(2026, 11, 23)
    payee.account.refresh_from_db()
    assert payee.account.balance == before + 1_000
