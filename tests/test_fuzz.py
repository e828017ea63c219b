"""Hostile input at every page of the customer's: no server error, no unescaped reflection, and (the pages'
own guard, tests/html_guard.py) no field error the page does not show. Each form is sent with the fields
its case names and those its page's forms name; every URL the resolver knows must have a case.

A short profile runs in ``make test``; ``make fuzz`` runs IBANK_FUZZ_EXAMPLES (1,000 there) examples
a test, with tests/branch/test_fuzz_admin.py.
"""

import os
import re
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client
from django.urls import resolve
from django_otp_webauthn.models import WebAuthnCredential
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from accounts.models import Contract, KnownEnvironment
from accounts.settings_views import EMAIL_KEY, LIMIT_KEY
from ibank import clock
from ibank.business_days import next_business_day
from otp.flows import FLOW_KEY
from otp.login import PENDING_LOGIN
from otp.services import token_issue
from passkeys.views import AUTHORIZED as PASSKEY_AUTHORIZED
from payments import services
from payments.payeasy import payment_confirm, payment_prepare
from payments.payeasy_views import CONFIRMED_KEY as PAYEASY_CONFIRMED_KEY
from payments.reservations import reserve
from payments.ui import TRANSFER_CONFIRMED_KEY
from tests.helpers import environment_cookie, registered_payee, url_names
from tests.payments.helpers import confirmed_same_bank, prepared_same_bank

pytestmark = pytest.mark.usefixtures("client_errors_not_kept")  # tests/conftest.py

EXAMPLES = int(os.environ.get("IBANK_FUZZ_EXAMPLES", "12"))
INJECTION = '"><svg onload=alert(1)><script>alert(2)</script>'

hostile_text = st.one_of(
    st.just(""),
    st.just(INJECTION),
    st.just("x" * 10_000),
    st.just("[" * 100_000),  # JSON nested too deep: Python's parser raises RecursionError, not ValueError
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
    confirmed, digest = confirmed_same_bank(customer, payee, 200, payee_name="ﾃｽﾄ")
    done, done_digest = confirmed_same_bank(customer, payee, 300, payee_name="ﾃｽﾄ")
    services.transfer_execute(actor=None, contract=customer, transfer=done, digest=done_digest)
    reservation = services.transfer_prepare(
        actor=None,
        contract=customer,
        from_account=customer.account,
        amount=400,
        scheduled_for=next_business_day(services.today()),
        **_same_bank(payee),
    )
    reserved_digest = services.transfer_confirm(actor=None, contract=customer, transfer=reservation)
    reserve(actor=None, contract=customer, transfer=reservation, digest=reserved_digest)
    payment = payment_prepare(actor=None, contract=customer, bill=billers["electricity"], from_account=customer.account)
    payment_digest = payment_confirm(actor=None, contract=customer, payment=payment)
    environment_cookie(customer)  # a browser of the customer's, listed under ご利用環境
    with_passkey = make_contract()
    passkey = WebAuthnCredential.objects.create(
        user=with_passkey.user, name="パスキー1", credential_id=b"credential", public_key=b"key"
    )
    Contract.objects.filter(pk=with_passkey.pk).update(has_passkey=True)
    return {
        "payee": payee_row,
        "customer": customer,
        "with_token": with_token,
        "binding": binding,
        "transfer": transfer,
        "issued": issued,
        "confirmed": (confirmed, digest),
        "done": done,
        "reservation": reservation,
        "payment": (payment, payment_digest),
        "environment": KnownEnvironment.objects.get(contract=customer),
        "with_passkey": with_passkey,
        "passkey": passkey,
    }


def _same_bank(payee) -> dict:
    account = payee.account
    return {
        "bank_code": settings.IBANK_BANK_CODE,
        "branch_code": account.branch_code,
        "payee_kind": account.kind,
        "payee_number": account.number,
        "payee_name": "ﾃｽﾄ",
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
        *_later_steps(world, logged_in, payeasy_pending),
    ]


def _with(make, key, *values):
    """``make``'s client with ``values`` pending under ``key`` in its session (a step begun earlier)."""

    def made():
        client = make()
        _pending(client, key, *values)
        return client

    return made


def _later_steps(world, logged_in, payeasy_pending):
    """The steps that follow an earlier one (a change to authorize, a confirmed payment, a passkey's
    ceremony), the removals, and the cancellations last (each ends what it names)."""
    customer = world["customer"]
    confirmed, digest = world["confirmed"]
    payment, payment_digest = world["payment"]
    ref, done, pay = confirmed.reference, world["done"].reference, payment.reference
    to_authorize = _with(logged_in, TRANSFER_CONFIRMED_KEY, ref, digest)
    payment_to_authorize = _with(logged_in, PAYEASY_CONFIRMED_KEY, pay, payment_digest)
    secret = ["transfer_password", "attempt", "shown", "otp", "card_cells", "card_0", "card_1"]
    transfer_fields = ["from_account", "bank_code", "branch_code", "payee_kind", "payee_number", "payee_name"]
    numbers = ["from_account", "customer_number", "confirmation_number", "payment_category"]
    passkey_owner = lambda: _client(world["with_passkey"].user)  # noqa: E731
    passkey_ready = _with(logged_in, PASSKEY_AUTHORIZED, customer.pk)
    return [
        ("login notices", logged_in, "/menu/environments/notices/", ["notify_known_logins"]),
        ("limit authorize", _with(logged_in, LIMIT_KEY, 2_000_000), "/limit/authorize/", secret),
        ("email authorize", _with(logged_in, EMAIL_KEY, "new@example.jp"), "/email/authorize/", secret),
        ("transfer edit", logged_in, f"/transfer/{world['transfer'].reference}/edit/", [*transfer_fields, "amount"]),
        ("transfer authorize confirmed", to_authorize, f"/transfer/{ref}/authorize/", secret),
        ("mobile transfer confirm", logged_in, f"/m/transfer/{ref}/confirm/", ["cancel"]),
        ("mobile transfer authorize", to_authorize, f"/m/transfer/{ref}/authorize/", secret),
        ("save payee", logged_in, f"/transfer/{done}/payee/", ["attempt"]),
        ("payeasy confirm", logged_in, f"/payeasy/{pay}/confirm/", ["cancel"]),
        ("payeasy authorize", payment_to_authorize, f"/payeasy/{pay}/authorize/", secret),
        ("mobile payeasy numbers", payeasy_pending, "/m/payeasy/numbers/", numbers),
        ("mobile payeasy confirm", logged_in, f"/m/payeasy/{pay}/confirm/", ["cancel"]),
        ("mobile payeasy authorize", payment_to_authorize, f"/m/payeasy/{pay}/authorize/", secret),
        ("mobile transfer password", logged_in, "/m/transfer-password/", ["new_transfer_password", *secret]),
        (
            "passkey login",
            _with(_client, PENDING_LOGIN, world["with_passkey"].pk, "passkey"),
            "/login/passkey/",
            ["passkey_assertion", "passkey_challenge", "skip"],
        ),
        ("passkey authorize", logged_in, "/menu/passkeys/authorize/", secret),
        ("passkey begin", passkey_ready, "/menu/passkeys/begin/", ["x"]),
        ("passkey complete", passkey_ready, "/menu/passkeys/complete/", ["id", "rawId", "response", "type"]),
        ("set language", _client, "/i18n/setlang/", ["language", "next"]),
        ("desktop token", _client, "/token/desktop/", ["x"]),
        ("environment remove", logged_in, f"/menu/environments/{world['environment'].pk}/remove/", ["attempt"]),
        ("payee delete", logged_in, f"/payees/{world['payee'].pk}/delete/", ["attempt"]),
        ("passkey remove", passkey_owner, f"/menu/passkeys/{world['passkey'].pk}/remove/", ["attempt"]),
        ("limit cancel", _with(logged_in, LIMIT_KEY, 2_000_000), "/limit/cancel/", ["attempt"]),
        ("reservation cancel", logged_in, f"/transfer/{world['reservation'].reference}/reservation/cancel/", []),
        ("mobile payeasy cancel", logged_in, f"/m/payeasy/{pay}/cancel/", []),
        ("payeasy cancel", logged_in, f"/payeasy/{pay}/cancel/", []),
        ("transfer cancel", logged_in, f"/transfer/{world['transfer'].reference}/cancel/", []),
        ("logout", logged_in, "/logout/", []),
        ("mobile logout", logged_in, "/m/logout/", []),
    ]


FUZZ = hsettings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


#: A field a page's own form names (the fuzz sends what the page would, and more).
FIELD = re.compile(r'<(?:input|select|textarea|button)\b[^>]*?\sname="([^"]+)"')


def _fields(world, name, make_client, url, declared) -> list[str]:
    """The fields ``declared`` for a case, with those its page's forms name (read once a test)."""
    found = world.setdefault("fields", {})
    if name not in found:
        response = make_client().get(url)
        named = set(FIELD.findall(response.content.decode(errors="replace"))) if response.status_code == 200 else set()
        found[name] = sorted((named | set(declared)) - {"csrfmiddlewaretoken"})
    return found[name]


def post_hostile(state, cases, data) -> None:
    """Each case's form sent with hostile values (and a few fields it does not have), with every field twice,
    and as a GET."""
    for name, make_client, url, declared in cases:
        fields = _fields(state, name, make_client, url, declared)
        values = {field: data.draw(hostile_text) for field in fields}
        extra = data.draw(st.dictionaries(st.sampled_from(["extra", "__proto__", "id"]), hostile_text, max_size=2))
        client = make_client()
        _check(client.post(url, {**values, **extra}))
        _check(client.post(url, {field: [value, value] for field, value in values.items()}))
        _check(client.get(url, values))


@FUZZ
@given(data=st.data())
def test_hostile_form_values(world, data):
    post_hostile(world, _form_cases(world), data)


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
        (f"/transfer/banks/{settings.IBANK_BANK_CODE}/", ["q", "initial"]),
        ("/token/status/", ["token_id", "proof", "now"]),
        *((url, ["x"]) for url in _plain_pages(world)),
    ]


def _plain_pages(world):
    """The pages that read nothing from the query string: hostile parameters are ignored there."""
    payment, _digest = world["payment"]
    done = world["done"].reference
    return [
        "/",
        "/menu/",
        "/menu/logins/",
        "/menu/environments/",
        "/menu/passkeys/",
        "/limit/",
        "/email/",
        "/token/",
        "/token/mobile/",
        "/otp/result/",
        "/otp/guide/",
        f"/transfer/{done}/",
        "/payees/",
        f"/payeasy/{payment.reference}/",
        "/m/menu/",
        "/m/transfer/",
        f"/m/transfer/{done}/",
        f"/m/payeasy/{payment.reference}/",
        "/healthz/",
        "/healthz/notices/",
    ]


@FUZZ
@given(data=st.data())
def test_hostile_query_strings(world, data):
    client = _client(world["customer"].user)
    for url, names in _query_cases(world):
        _check(client.get(url, {name: data.draw(hostile_text) for name in names}))


def test_every_page_of_the_product_is_fuzzed(world):
    """A page added without a case here would escape the fuzz: every URL the resolver knows (the admin's
    aside, which Django's own code answers) is named by a form case or a query case."""
    urls = [url for _name, _make, url, _fields in _form_cases(world)] + [url for url, _names in _query_cases(world)]
    fuzzed = {resolve(urlsplit(url).path).view_name for url in urls}
    assert url_names() - fuzzed == set()
