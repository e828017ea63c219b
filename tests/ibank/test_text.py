"""Reading numbers typed by people into URLs and forms (ibank.text)."""

import pytest

from ibank.text import ascii_number, row_id


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("12", 12),
        ("0", 0),
        ("9223372036854775807", 2**63 - 1),  # the largest id a column holds
        ("9223372036854775808", None),  # one more: no id rather than a database error
        ("9" * 5000, None),  # more digits than int() reads: no ValueError
        ("²", None),  # a digit to str.isdigit, not to int
        ("١٢", None),  # Arabic-Indic digits: int() would read them
        ("１２", None),  # full-width: half_width_digits first where they are welcome
        ("-1", None),
        (" 12", None),
        ("", None),
    ],
)
def test_an_id_in_a_query_string_is_ascii_digits_within_a_columns_range(typed, read):
    assert row_id(typed) == read


def test_a_number_has_at_most_the_digits_asked():
    assert ascii_number("1" * 19) == int("1" * 19)
    assert ascii_number("1" * 20) is None
    assert ascii_number("123", max_digits=2) is None
