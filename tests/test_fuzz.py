"""Hostile input at every form: no server error, no unescaped reflection.

A short profile runs in ``make test``; ``make fuzz`` runs IBANK_FUZZ_EXAMPLES
(10,000 by default there) examples per form.
"""

import os

import pytest
from django.conf import settings
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from ibank import clock
from otp.flows import FLOW_KEY
from otp.login import PENDING_LOGIN
from otp.services import token_issue
from tests.helpers import registered_payee
from tests.payments.helpers import prepared_same_bank

EXAMPLES = int(os.environ.get("IBANK_FUZZ_EXAMPLES", "25"))
INJECTION = '"><svg onload=alert(1)><script>alert(2)</script>'

hostile_text = st.one_of(
    st.just(""),
    st.just(INJECTION),
    st.just("x" * 10_000),
    st.just("\x00"),
    st.just("１２３４５６７８９０"),
    st.just("😀" * 7),
    st.just("' OR 1=1 --"),
    st.just("../../etc/passwd"),
    st.just("%s%(x)s{0}"),
    st.just("-1"),
    st.just("99999999999999999999999"),
    st.just("²"),  # a digit to str.isdigit, not to int
    st.just("١٢"),  # Arabic-Indic digits: int() reads them
    st.text(max_size=40),
)
hostile_bytes = st.one_of(
    st.just(b"\xff\xfe\xfa"),
    st.just(b"a=%ff%fe&b=\xc3\x28"),
    st.binary(max_size=200),
)


def _client(user=None):
    client = Client(raise_request_exception=True)
    if user is not None:
        client.force_login(user, backend="accounts.backends.IbankBackend")
    return client


def _pending(client, key, *values):
    session = client.session
    session[key] = [*values, clock.epoch()]
    session.save()


def _check(response):
    assert response.status_code < 500
    body = response.content.decode("utf-8", errors="replace")
    assert "<svg onload=alert(1)>" not in body and "<script>alert(2)</script>" not in body


@pytest.fixture
def world(db, make_contract, make_token, billers):  # billers: the Pay-easy forms have a biller and bills
    from zengin.models import Bank, Branch

    own = Bank.objects.create(code=settings.IBANK_BANK_CODE, name="own", kana="ｵｳﾝ", initial="ｵ", search_text="")
    Branch.objects.create(bank=own, code="001", name="本店", kana="ﾎﾝﾃﾝ", initial="ﾎ", search_text="")
    customer = make_contract()
    with_token = make_contract()
    binding, _key = make_token(with_token)
    payee = make_contract()
    transfer = prepared_same_bank(customer, payee, 100, payee_name="ﾃｽﾄ")
    issued, _ = token_issue(kind="mobile")
    payee_row = registered_payee(customer, number=payee.account.number)
    return {
        "payee": payee_row,
        "customer": customer,
        "with_token": with_token,
        "binding": binding,
        "transfer": transfer,
        "issued": issued,
    }


def _form_cases(world):
    """(name, client maker, URL, fields) for every form of the product."""
    customer, with_token, binding, transfer = (
        world["customer"],
        world["with_token"],
        world["binding"],
        world["transfer"],
    )

    def anonymous():
        return _client()

    def logged_in():
        return _client(customer.user)

    def payeasy_pending():
        client = logged_in()
        _pending(client, "_ibank_payeasy_biller", "78901")  # 国庫金: every field of the numbers form
        return client

    def pending_login():
        client = _client()
        _pending(client, PENDING_LOGIN, with_token.pk, binding.software_token_id, "0123456789abcdef")
        return client

    def flow(name, stage, contract, token_pk=None):
        def make():
            client = _client()
            _pending(client, FLOW_KEY, contract.pk, name, stage, token_pk)
            return client

        return make

    ref = transfer.reference
    return [
        ("login", anonymous, "/login/", ["contract_id", "password"]),
        ("login otp", pending_login, "/login/otp/", ["otp", "cancel"]),
        ("issue", anonymous, "/token/issue/", ["kind"]),
        ("register auth", anonymous, "/otp/register/", ["contract_id", "password"]),
        (
            "register token",
            flow("register", "token", customer),
            "/otp/register/token/",
            ["token_id", "otp", "login_otp", "transfer_password"],
        ),
        ("exchange old", flow("exchange", "old", with_token, binding.software_token_id), "/otp/exchange/", ["otp"]),
        (
            "exchange new",
            flow("exchange", "new", with_token, binding.software_token_id),
            "/otp/exchange/new/",
            ["token_id", "otp"],
        ),
        ("stop auth", anonymous, "/otp/stop/", ["contract_id", "password"]),
        ("stop otp", flow("stop", "otp", with_token, binding.software_token_id), "/otp/stop/otp/", ["otp"]),
        (
            "transfer input",
            logged_in,
            "/transfer/",
            ["from_account", "bank_code", "branch_code", "payee_kind", "payee_number", "payee_name", "amount"],
        ),
        ("transfer confirm", logged_in, f"/transfer/{ref}/confirm/", ["x"]),
        ("transfer authorize", logged_in, f"/transfer/{ref}/authorize/", ["transfer_password"]),
        ("bank search", logged_in, "/transfer/banks/", ["q", "initial"]),
        ("suspend", logged_in, "/menu/suspend/", ["confirm"]),
        ("admin login", anonymous, "/admin/login/", ["username", "password", "otp_token", "otp_device"]),
        ("otp cancel", flow("stop", "otp", with_token, binding.software_token_id), "/otp/cancel/", ["x"]),
        ("limit", logged_in, "/limit/", ["limit"]),
        ("email", logged_in, "/email/", ["email"]),
        (
            "password change",
            logged_in,
            "/menu/password/",
            ["current_password", "new_password", "new_password_again", "transfer_password"],
        ),
        (
            "transfer password change",
            logged_in,
            "/menu/transfer-password/",
            ["new_transfer_password", "new_transfer_password_again", "transfer_password", "attempt"],
        ),
        ("payeasy", logged_in, "/payeasy/", ["biller_number"]),
        (
            "payeasy numbers",
            payeasy_pending,
            "/payeasy/numbers/",
            ["from_account", "customer_number", "confirmation_number", "payment_category"],
        ),
        ("mobile login", anonymous, "/m/", ["contract_id", "password"]),
        ("mobile transfer", logged_in, f"/m/transfer/payee/{world['payee'].pk}/", ["from_account", "amount"]),
        ("mobile payeasy", logged_in, "/m/payeasy/", ["biller_number"]),
        ("mobile password", logged_in, "/m/password/", ["current_password", "new_password", "attempt"]),
    ]


FUZZ = hsettings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


@FUZZ
@given(data=st.data())
def test_hostile_form_values(world, data):
    for _name, make_client, url, fields in _form_cases(world):
        values = {field: data.draw(hostile_text) for field in fields}
        extra = data.draw(st.dictionaries(st.sampled_from(["extra", "__proto__", "id"]), hostile_text, max_size=2))
        client = make_client()
        _check(client.post(url, {**values, **extra}))
        # the same fields twice, and as a GET
        _check(client.post(url, {field: [value, value] for field, value in values.items()}))
        _check(client.get(url, values))


@FUZZ
@given(
    body=hostile_bytes,
    content_type=st.sampled_from(
        [
            "application/x-www-form-urlencoded",
            "application/x-www-form-urlencoded; charset=utf-8",
            "multipart/form-data; boundary=xyz",
            "multipart/form-data",
            "application/json",
            "text/plain",
            "",
        ]
    ),
    method=st.sampled_from(["POST", "PUT", "PATCH", "DELETE"]),
)
def test_hostile_bodies_methods_and_content_types(world, body, content_type, method):
    for _name, make_client, url, _fields in _form_cases(world):
        client = make_client()
        _check(client.generic(method, url, body, content_type=content_type))


def _query_cases(world):
    """(URL, parameters) of every page that reads its query string (prefill, keyset, period, format)."""
    account = world["customer"].account.pk
    return [
        ("/transfer/", ["payee", "bank_code", "branch_code"]),
        (f"/accounts/{account}/history/", ["period", "date_from", "date_to", "before", "format", "encoding"]),
        ("/transfer/inquiry/", ["period", "date_from", "date_to", "status"]),
        (f"/m/history/{account}/", ["before"]),
        ("/payeasy/", ["biller"]),
        ("/transfer/banks/", ["q", "initial"]),
    ]


@FUZZ
@given(data=st.data())
def test_hostile_query_strings(world, data):
    client = _client(world["customer"].user)
    for url, names in _query_cases(world):
        _check(client.get(url, {name: data.draw(hostile_text) for name in names}))
