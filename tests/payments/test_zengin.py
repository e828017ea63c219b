from datetime import date
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command

from auditlog.models import AuditEntry
from payments.models import Transfer
from tests.payments.helpers import login, other_bank_data, same_bank_data, send
from zengin import records as zengin


@pytest.fixture(autouse=True)
def _before_the_cutoff(fake_clock):
    """Transfers executed at 10:00 JST on a business day go out in that day's file, whenever the suite runs
    (after the cut-off they would wait for the next business day's: tests/payments/test_business_days.py)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    fake_clock.t = datetime(2026, 11, 30, 10, 0, tzinfo=ZoneInfo("Asia/Tokyo")).timestamp()


def test_export_writes_the_queued_transfers_and_marks_them_sent(client, contract, make_contract, tmp_path):
    payee = make_contract()
    login(client, contract)
    _r, first = send(client, other_bank_data(contract, amount=12_000))
    _r, second = send(client, other_bank_data(contract, amount=30_000, payee_name="ｶ)ﾆﾎﾝｼｮｳｼﾞ", payee_kind="2"))
    send(client, same_bank_data(contract, payee, amount=500))  # same bank: never in the file
    out = tmp_path / "sogo.txt"
    call_command("export_zengin", output=str(out), stdout=StringIO())
    raw = out.read_bytes()
    assert all(len(line) == 120 for line in raw.split(b"\r\n")[:-1])
    parsed = zengin.parse(raw)
    header = parsed["header"]
    assert header["kind_code"] == "21" and header["bank_code"] == settings.IBANK_BANK_CODE
    # The remitter is the customer (契約者ID, the account's kana), paying from their account (issue 18).
    assert header["requester_code"] == contract.contract_id
    assert header["requester_name"] == contract.account.holder_kana
    assert header["date"] == f"{first.executed_at.astimezone().date():%m%d}"
    assert header["account_number"] == contract.account.number and header["branch_code"] == "001"
    assert parsed["data"] == [
        {
            "bank_code": "0005",
            "bank_name": "ﾐﾂﾋﾞｼﾕ-ｴﾌｼﾞｴｲ",
            "branch_code": "001",
            "branch_name": "ﾎﾝﾃﾝ",
            "account_kind": 1,
            "account_number": "7654321",
            "payee_name": "ﾔﾏﾀﾞ ﾊﾅｺ",
            "amount": 12_000,
            "customer_code": f"{first.pk:010d}",
            "clearing_house": "0000",
        },
        {
            "bank_code": "0005",
            "bank_name": "ﾐﾂﾋﾞｼﾕ-ｴﾌｼﾞｴｲ",
            "branch_code": "001",
            "branch_name": "ﾎﾝﾃﾝ",
            "account_kind": 2,
            "account_number": "7654321",
            "payee_name": "ｶ)ﾆﾎﾝｼﾖｳｼﾞ",
            "amount": 30_000,
            "customer_code": f"{second.pk:010d}",
            "clearing_house": "0000",
        },
    ]
    assert parsed["trailer"] == {"count": 2, "total": 42_000}
    assert Transfer.objects.filter(exported_at__isnull=False).count() == 2
    assert AuditEntry.objects.get(action="zengin.export").detail["count"] == 2
    # Sent once: a second run finds nothing.
    again = StringIO()
    call_command("export_zengin", output=str(tmp_path / "again.txt"), stdout=again)
    assert "no queued" in again.getvalue() and not (tmp_path / "again.txt").exists()


def test_a_file_stands_under_its_name_only_for_transfers_marked_sent(client, contract, tmp_path, monkeypatch):
    """The transaction that marks the transfers sent fails after the file was written: no file is left that
    an operator would send, and the next run sends the transfers once."""
    from django.db import DatabaseError

    from payments.management.commands import export_zengin

    login(client, contract)
    _r, transfer = send(client, other_bank_data(contract, amount=12_000))
    out = tmp_path / "sogo.txt"

    def failing(*args, **kwargs):
        raise DatabaseError("the audit entry could not be written")

    with monkeypatch.context() as patched:
        patched.setattr(export_zengin.audit, "record", failing)
        with pytest.raises(DatabaseError):
            call_command("export_zengin", output=str(out), stdout=StringIO())
    assert list(tmp_path.iterdir()) == []  # neither the file nor its temporary copy
    assert not Transfer.objects.filter(exported_at__isnull=False).exists()
    printed = StringIO()
    call_command("export_zengin", output=str(out), stdout=printed)
    assert [d["customer_code"] for d in zengin.parse(out.read_bytes())["data"]] == [f"{transfer.pk:010d}"]
    assert list(tmp_path.iterdir()) == [out]
    assert printed.getvalue() == f"{out}: 1 transfers, 12,000 yen\n"  # what the operator is told


def _account(bank_code, bank_name, branch_code, branch_name, kind, number) -> dict:
    fields = ("bank_code", "bank_name", "branch_code", "branch_name", "account_kind", "account_number")
    return dict(zip(fields, (bank_code, bank_name, branch_code, branch_name, kind, number), strict=True))


def test_each_field_stands_where_the_zengin_format_puts_it():
    """Byte for byte, written out here from the 全銀協 layout rather than from zengin.records' own table (its
    reader would follow a wrong offset as faithfully as its writer)."""
    header = zengin.Header(
        requester_code="1234567890",
        requester_name="ﾔﾏﾀﾞ ﾀﾛｳ",
        transfer_date=date(2026, 3, 4),
        **_account("1999", "ﾃｽﾄｼﾝｷﾝ", "001", "ﾎﾝﾃﾝ", 1, "0012345"),
    )
    assert zengin.header_record(header) == (
        b"1" + b"21" + b"0" + b"1234567890" + "ﾔﾏﾀﾞ ﾀﾛｳ".encode("cp932").ljust(40) + b"0304" + b"1999"
        + "ﾃｽﾄｼﾝｷﾝ".encode("cp932").ljust(15) + b"001" + "ﾎﾝﾃﾝ".encode("cp932").ljust(15) + b"1" + b"0012345"
        + b" " * 17
    )  # fmt: skip
    data = zengin.Data(
        payee_name="ｶ)ﾆﾎﾝｼﾖｳｼﾞ",
        amount=30_000,
        customer_code="42",
        **_account("0005", "ﾐﾂﾋﾞｼﾕ-ｴﾌｼﾞｴｲ", "001", "ﾎﾝﾃﾝ", 2, "7654321"),
    )
    assert zengin.data_record(data) == (
        b"2" + b"0005" + "ﾐﾂﾋﾞｼﾕ-ｴﾌｼﾞｴｲ".encode("cp932").ljust(15) + b"001" + "ﾎﾝﾃﾝ".encode("cp932").ljust(15)
        + b"0000" + b"2" + b"7654321" + "ｶ)ﾆﾎﾝｼﾖｳｼﾞ".encode("cp932").ljust(30) + b"0000030000" + b"0"
        + b"0000000042" + b" " * 10 + b"7" + b" " + b" " * 7
    )  # fmt: skip
    assert zengin.trailer_record(1, 30_000) == b"8" + b"000001" + b"000000030000" + b" " * 101


def test_records_refuse_what_does_not_fit():
    with pytest.raises(zengin.RecordError):
        zengin.trailer_record(1, 10**12)
    account = _account("0001", "ﾐｽﾞﾎ", "001", "ﾎﾝﾃﾝ", 1, "1234567")
    with pytest.raises(zengin.RecordError):  # 山田: not single-byte
        zengin.header_record(
            zengin.Header(requester_code="1", requester_name="山田", transfer_date=date(2026, 1, 1), **account)
        )


def test_a_number_field_refuses_what_is_not_a_number_of_its_width():
    """A negative amount, a non-digit account number or an overlong 顧客コード is refused, never written into
    a file the bank would send."""
    account = _account("0001", "ﾐｽﾞﾎ", "001", "ﾎﾝﾃﾝ", 1, "1234567")
    good = {**account, "payee_name": "ﾔﾏﾀﾞ ﾀﾛｳ", "amount": 1_000, "customer_code": "1"}
    assert len(zengin.data_record(zengin.Data(**good))) == 120
    for bad in [{"amount": -5}, {"account_number": "12-4567"}, {"customer_code": "12345678901"}]:
        with pytest.raises(zengin.RecordError):
            zengin.data_record(zengin.Data(**{**good, **bad}))


def test_reading_a_file_back_refuses_a_cut_or_malformed_one():
    account = _account("0001", "ﾐｽﾞﾎ", "001", "ﾎﾝﾃﾝ", 1, "1234567")
    header = zengin.Header(requester_code="1", requester_name="ﾔﾏﾀﾞ", transfer_date=date(2026, 1, 5), **account)
    data = zengin.Data(**account, payee_name="ﾀﾅｶ", amount=500, customer_code="7")
    content = zengin.write(header, [data])
    assert zengin.parse(content)["trailer"] == {"count": 1, "total": 500}
    for broken in [content[:-2], content + b"9", content.replace(b"\r\n", b" \r\n", 1), content[122:]]:
        with pytest.raises(zengin.RecordError):
            zengin.parse(broken)


def test_each_remitter_has_its_own_group_read_back_record_by_record(client, make_contract, tmp_path):
    from django.test import Client

    first, second = make_contract(balance=500_000), make_contract(balance=500_000)
    for customer, amounts in ((first, (10_000, 20_000)), (second, (5_000,))):
        browser = Client()
        login(browser, customer)
        for amount in amounts:
            send(browser, other_bank_data(customer, amount=amount))
    out = tmp_path / "sogo.txt"
    call_command("export_zengin", output=str(out), stdout=StringIO())
    raw = out.read_bytes()
    kinds = "".join(chr(line[0]) for line in raw.split(b"\r\n")[:-1])
    assert kinds == "12281289"  # header, data…, trailer per remitter; one end record
    groups = zengin.parse(raw)["groups"]
    assert [g["header"]["requester_code"] for g in groups] == [first.contract_id, second.contract_id]
    assert [g["header"]["requester_name"] for g in groups] == [first.account.holder_kana, second.account.holder_kana]
    assert [g["header"]["account_number"] for g in groups] == [first.account.number, second.account.number]
    assert [[d["amount"] for d in g["data"]] for g in groups] == [[10_000, 20_000], [5_000]]
    assert [g["trailer"] for g in groups] == [{"count": 2, "total": 30_000}, {"count": 1, "total": 5_000}]
    assert AuditEntry.objects.get(action="zengin.export").detail["remitters"] == 2


def test_the_file_name_is_in_jst(tmp_path, settings, contract, client, fake_clock):
    from django.utils import timezone

    login(client, contract)
    send(client, other_bank_data(contract, amount=1_000))
    settings.BASE_DIR = tmp_path
    call_command("export_zengin", stdout=StringIO())
    [written] = (tmp_path / "var" / "zengin").iterdir()
    from ibank import clock

    jst = timezone.localtime(clock.now())
    assert written.name == f"sogo_{jst:%Y%m%d}_{jst:%H%M%S}.txt"  # JST, not UTC


@pytest.mark.parametrize("day", ["2026/12/01", "2026-02-30", "tomorrow"])
def test_a_wrong_date_is_told_as_such(day, db):
    """The operator's typo gets a one-line error naming the option, not a traceback (and no file)."""
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match=r"--date: .*YYYY-MM-DD"):
        call_command("export_zengin", "--date", day)
