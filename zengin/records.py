"""全銀協 総合振込 fixed-length records (120 bytes each, half-width kana, Shift_JIS): pure, no Django.

A file is one group per remitter (依頼人): a header record (1), one data record (2) per transfer and a
trailer (8) with the group's count and total; then one end record (9). Records end with CRLF.
:func:`parse` reads a file back (tests, and operators checking a file).
"""

import re
from dataclasses import dataclass
from datetime import date

RECORD = 120
ENCODING = "cp932"


class RecordError(ValueError):
    """A value that does not fit its field (too long, or not single-byte)."""


def _alpha(value: str, width: int) -> bytes:
    raw = value.encode(ENCODING)
    if len(raw) != len(value):
        raise RecordError(f"not single-byte: {value!r}")
    if len(raw) > width:
        raise RecordError(f"{value!r} longer than {width}")
    return raw.ljust(width, b" ")


def _num(value: int | str, width: int) -> bytes:
    text = str(value)
    if not text.isdigit() or len(text) > width:
        raise RecordError(f"{value!r} is not a number of at most {width} digits")
    return text.rjust(width, "0").encode("ascii")


def _checked(record: bytes) -> bytes:
    if len(record) != RECORD:
        raise RecordError(f"a record of {len(record)} bytes, not {RECORD}")
    return record


def _fit(value: str, width: int) -> str:
    """Cut a name to ``width`` characters (names in the master may be longer than the field)."""
    return value[:width]


@dataclass(frozen=True)
class Header:
    requester_code: str  # 依頼人コード (10 digits)
    requester_name: str  # 依頼人名 (kana)
    transfer_date: date  # 取組日
    bank_code: str
    bank_name: str
    branch_code: str
    branch_name: str
    account_kind: int
    account_number: str


@dataclass(frozen=True)
class Data:
    bank_code: str
    bank_name: str
    branch_code: str
    branch_name: str
    account_kind: int
    account_number: str
    payee_name: str
    amount: int
    customer_code: str  # 顧客コード1 (10 digits): our transfer's id


def header_record(h: Header) -> bytes:
    record = b"".join(
        [
            b"1",  # データ区分: header
            b"21",  # 種別コード: 総合振込
            b"0",  # コード区分: JIS / SJIS
            _num(h.requester_code, 10),
            _alpha(_fit(h.requester_name, 40), 40),
            _num(f"{h.transfer_date:%m%d}", 4),
            _num(h.bank_code, 4),
            _alpha(_fit(h.bank_name, 15), 15),
            _num(h.branch_code, 3),
            _alpha(_fit(h.branch_name, 15), 15),
            _num(h.account_kind, 1),
            _num(h.account_number, 7),
            b" " * 17,
        ]
    )
    return _checked(record)


def data_record(d: Data) -> bytes:
    record = b"".join(
        [
            b"2",  # データ区分: data
            _num(d.bank_code, 4),
            _alpha(_fit(d.bank_name, 15), 15),
            _num(d.branch_code, 3),
            _alpha(_fit(d.branch_name, 15), 15),
            b"0000",  # 手形交換所番号 (none: テレ振込)
            _num(d.account_kind, 1),
            _num(d.account_number, 7),
            _alpha(d.payee_name, 30),
            _num(d.amount, 10),
            b"0",  # 新規コード
            _num(d.customer_code, 10),
            b" " * 10,  # 顧客コード2
            b"7",  # 振込区分: テレ振込
            b" ",  # 識別表示
            b" " * 7,
        ]
    )
    return _checked(record)


def trailer_record(count: int, total: int) -> bytes:
    record = b"8" + _num(count, 6) + _num(total, 12) + b" " * 101
    return _checked(record)


def end_record() -> bytes:
    return b"9" + b" " * 119


def write(header: Header, data: list[Data]) -> bytes:
    """A file of one group (one remitter)."""
    return write_groups([(header, data)])


def write_groups(groups: list[tuple[Header, list[Data]]]) -> bytes:
    """One header–data–trailer group per remitter (依頼人), then one end record."""
    records = []
    for header, data in groups:
        records += [header_record(header), *(data_record(d) for d in data)]
        records.append(trailer_record(len(data), sum(d.amount for d in data)))
    records.append(end_record())
    return b"".join(record + b"\r\n" for record in records)


def _text(raw: bytes) -> str:
    return raw.decode(ENCODING).rstrip(" ")


def parse(content: bytes) -> dict:
    """Read a file back into ``{"header": {...}, "data": [{...}], "trailer": {...}}``; checks every length."""
    lines = content.split(b"\r\n")
    if lines[-1] != b"":
        raise RecordError("the file does not end with CRLF")
    lines = lines[:-1]
    if any(len(line) != RECORD for line in lines):
        raise RecordError("a record is not 120 bytes")
    kinds = "".join(chr(line[0]) for line in lines)
    if not re.fullmatch(r"(12*8)+9", kinds):
        raise RecordError(f"records in the wrong order: {kinds}")
    groups, current = [], None
    for line in lines[:-1]:
        if line[:1] == b"1":
            current = {"header": _header(line), "data": []}
        elif line[:1] == b"2":
            current["data"].append(_data(line))
        else:
            current["trailer"] = {"count": int(line[1:7]), "total": int(line[7:19])}
            groups.append(current)
    # The first group's records also stand at the top (a file of one remitter reads as before).
    return {**groups[0], "groups": groups}


def _header(h: bytes) -> dict:
    return {
        "kind_code": _text(h[1:3]),
        "requester_code": _text(h[4:14]),
        "requester_name": _text(h[14:54]),
        "date": _text(h[54:58]),
        "bank_code": _text(h[58:62]),
        "bank_name": _text(h[62:77]),
        "branch_code": _text(h[77:80]),
        "branch_name": _text(h[80:95]),
        "account_kind": int(h[95:96]),
        "account_number": _text(h[96:103]),
    }


def _data(d: bytes) -> dict:
    return {
        "bank_code": _text(d[1:5]),
        "bank_name": _text(d[5:20]),
        "branch_code": _text(d[20:23]),
        "branch_name": _text(d[23:38]),
        "clearing_house": _text(d[38:42]),
        "account_kind": int(d[42:43]),
        "account_number": _text(d[43:50]),
        "payee_name": _text(d[50:80]),
        "amount": int(d[80:90]),
        "customer_code": _text(d[91:101]),
    }
