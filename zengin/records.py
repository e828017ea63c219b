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


@dataclass(frozen=True, kw_only=True)
class AccountAt:
    """An account as a record names it: the remitter's in a header, the payee's in a data record."""

    bank_code: str
    bank_name: str
    branch_code: str
    branch_name: str
    account_kind: int
    account_number: str


@dataclass(frozen=True, kw_only=True)
class Header(AccountAt):
    requester_code: str  # 依頼人コード (10 digits)
    requester_name: str  # 依頼人名 (kana)
    transfer_date: date  # 取組日


@dataclass(frozen=True, kw_only=True)
class Data(AccountAt):
    payee_name: str
    amount: int
    customer_code: str  # 顧客コード1 (10 digits): our transfer's id


@dataclass(frozen=True)
class Field:
    """One field of a record: ``name`` is its key in :func:`parse`'s dicts ("" for one not read back);
    ``width`` in bytes; ``kind`` "9" a number (zero-padded) or "X" single-byte text (space-padded);
    ``fixed`` a constant; ``fit`` cuts a longer name to the width; ``number`` reads it back as an int."""

    name: str
    width: int
    kind: str = "X"
    fixed: bytes | None = None
    fit: bool = False
    number: bool = False


#: 総合振込's header record (1): the layout both :func:`header_record` and :func:`parse` follow.
HEADER = (
    Field("", 1, fixed=b"1"),  # データ区分: header
    Field("kind_code", 2, fixed=b"21"),  # 種別コード: 総合振込
    Field("", 1, fixed=b"0"),  # コード区分: JIS / SJIS
    Field("requester_code", 10, "9"),
    Field("requester_name", 40, fit=True),
    Field("date", 4, "9"),  # 取組日 (MMDD)
    Field("bank_code", 4, "9"),
    Field("bank_name", 15, fit=True),
    Field("branch_code", 3, "9"),
    Field("branch_name", 15, fit=True),
    Field("account_kind", 1, "9", number=True),
    Field("account_number", 7, "9"),
    Field("", 17, fixed=b" " * 17),
)

#: 総合振込's data record (2), one a transfer.
DATA = (
    Field("", 1, fixed=b"2"),  # データ区分: data
    Field("bank_code", 4, "9"),
    Field("bank_name", 15, fit=True),
    Field("branch_code", 3, "9"),
    Field("branch_name", 15, fit=True),
    Field("clearing_house", 4, fixed=b"0000"),  # 手形交換所番号 (none: テレ振込)
    Field("account_kind", 1, "9", number=True),
    Field("account_number", 7, "9"),
    Field("payee_name", 30),
    Field("amount", 10, "9", number=True),
    Field("", 1, fixed=b"0"),  # 新規コード
    Field("customer_code", 10, "9"),
    Field("", 10, fixed=b" " * 10),  # 顧客コード2
    Field("", 1, fixed=b"7"),  # 振込区分: テレ振込
    Field("", 1, fixed=b" "),  # 識別表示
    Field("", 7, fixed=b" " * 7),
)


def _record(layout: tuple[Field, ...], values: dict) -> bytes:
    parts = []
    for f in layout:
        if f.fixed is not None:
            parts.append(f.fixed)
        elif f.kind == "9":
            parts.append(_num(values[f.name], f.width))
        else:
            value = values[f.name]
            parts.append(_alpha(_fit(value, f.width) if f.fit else value, f.width))
    return _checked(b"".join(parts))


def _read(layout: tuple[Field, ...], record: bytes) -> dict:
    out, at = {}, 0
    for f in layout:
        raw, at = record[at : at + f.width], at + f.width
        if f.name:
            out[f.name] = int(raw) if f.number else _text(raw)
    return out


def header_record(h: Header) -> bytes:
    return _record(HEADER, {**vars(h), "date": f"{h.transfer_date:%m%d}"})


def data_record(d: Data) -> bytes:
    return _record(DATA, vars(d))


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
            current = {"header": _read(HEADER, line), "data": []}
        elif line[:1] == b"2":
            current["data"].append(_read(DATA, line))
        else:
            current["trailer"] = {"count": int(line[1:7]), "total": int(line[7:19])}
            groups.append(current)
    # The first group's records also stand at the top (a file of one remitter reads as before).
    return {**groups[0], "groups": groups}
