import pytest
from hypothesis import given
from hypothesis import strategies as st

from otp import tokenid, totp

RFC_KEY = b"12345678901234567890"


@pytest.mark.parametrize(
    ("t", "code"),
    [
        (59, "287082"),
        (1111111109, "081804"),
        (1111111111, "050471"),
        (1234567890, "005924"),
        (2000000000, "279037"),
        (20000000000, "353130"),
    ],
)
def test_rfc6238_appendix_b_sha1_vectors_in_six_digits(t, code):
    assert totp.totp(RFC_KEY, t) == code


@pytest.mark.parametrize(
    ("counter", "code"),
    list(
        enumerate(["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"])
    ),
)
def test_rfc4226_appendix_d_hotp_values(counter, code):
    assert totp.hotp(RFC_KEY, counter) == code


@given(st.binary(min_size=16, max_size=64), st.integers(min_value=0, max_value=2**40))
def test_hotp_agrees_with_pyotp(key, counter):
    import base64

    import pyotp

    assert totp.hotp(key, counter) == pyotp.HOTP(base64.b32encode(key).decode("ascii")).at(counter)


def test_match_accepts_previous_current_and_next_step_only():
    t = 1111111111
    step = totp.time_step(t)
    for offset in (-1, 0, 1):
        assert totp.match(RFC_KEY, totp.hotp(RFC_KEY, step + offset), t, window=1) == step + offset
    for offset in (-2, 2):
        assert totp.match(RFC_KEY, totp.hotp(RFC_KEY, step + offset), t, window=1) is None


def test_provisioning_uri_has_every_parameter():
    uri = totp.provisioning_uri(RFC_KEY, account="SMBL00000018", issuer="ibank")
    assert uri == (
        "otpauth://totp/ibank:SMBL00000018?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
        "&issuer=ibank&algorithm=SHA1&digits=6&period=30"
    )


def test_new_secrets_are_160_bits_and_random():
    assert len(totp.new_secret()) == 20
    assert totp.new_secret() != totp.new_secret()


@given(st.integers(min_value=0, max_value=9_999_999))
def test_every_made_token_id_parses(serial):
    token_id = tokenid.make("SMBL", serial)
    assert tokenid.parse(token_id) == token_id


@given(st.integers(min_value=0, max_value=9_999_999), st.integers(min_value=4, max_value=11), st.integers(1, 9))
def test_any_single_mistyped_digit_is_caught(serial, position, delta):
    token_id = tokenid.make("SMBL", serial)
    wrong = token_id[:position] + str((int(token_id[position]) + delta) % 10) + token_id[position + 1 :]
    with pytest.raises(tokenid.TokenIdCheckDigitError):
        tokenid.parse(wrong)


def test_token_id_typed_in_full_width_lower_case_with_hyphen_is_normalized():
    assert tokenid.parse("ｓｍｂｌ-００００００１８") == tokenid.make("SMBL", 1)


@pytest.mark.parametrize("value", ["", "SMBL1234567", "SMBL123456789", "SMB123456789", "12345678SMBL"])
def test_malformed_token_ids_are_format_errors(value):
    with pytest.raises(tokenid.TokenIdFormatError):
        tokenid.parse(value)
