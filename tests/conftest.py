import functools
import logging
import os
from datetime import timedelta

import pytest
from django.contrib.auth.hashers import make_password
from django.db import connection

from accounts.models import CARD_CELLS, Account, Contract, User
from ibank import clock
from ledger import books

# Playwright's sync API runs an event loop in the test thread; Django's ORM
# calls from that thread (fixtures, assertions) are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

#: Debian's Chromium headless shell (make chromium); IBANK_CHROMIUM=/usr/bin/chromium runs the tests in the full
#: browser's headless mode instead (the same engine, about 40% more CPU).
CHROMIUM = os.environ.get("IBANK_CHROMIUM") or "/usr/bin/chromium-headless-shell"
PASSWORD = "Passw0rd"
TRANSFER_PASSWORD = "13579"
CARD = "01234567890123456789"
#: the test card: cell (A1 … E4) -> its digit
CARD_GRID = dict(zip(CARD_CELLS, CARD, strict=True))


def _skip_or_fail(flag: str, reason: str):
    if os.environ.get(flag) == "1":
        pytest.fail(f"{reason} ({flag}=1 makes this an error)", pytrace=False)
    pytest.skip(reason)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if {"page", "browser"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.browser)


def pytest_runtest_setup(item):
    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        _skip_or_fail("IBANK_REQUIRE_POSTGRES", "PostgreSQL-only test; running on SQLite (set DATABASE_URL to run it)")
    if item.get_closest_marker("browser") and not os.access(CHROMIUM, os.X_OK):
        _skip_or_fail("IBANK_REQUIRE_BROWSER", f"browser test; Debian's Chromium is not at {CHROMIUM} (make chromium)")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--disable-sync",
        ],
    }


@pytest.fixture
def page(page):
    """pytest-playwright's page, failing the test on a script error or a console error (a CSP refusal among
    them). A 404 is the browser's own note on a missing resource (a deliberate 404 page): not one."""
    errors = []

    def console(message):
        if message.type == "error" and "the server responded with a status of 404" not in message.text:
            errors.append(f"console: {message.text}")

    page.on("console", console)
    page.on("pageerror", lambda error: errors.append(f"script: {error}"))
    yield page
    if errors:
        pytest.fail("the browser reported errors: " + "; ".join(errors))


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # A Japanese customer's browser; tests that want English ask for it.
    return {**browser_context_args, "locale": "ja-JP", "timezone_id": "Asia/Tokyo"}


@pytest.fixture(autouse=True)
def _templates_find_what_they_look_up():
    """No page looks up an attribute its object does not have (tests/template_guard.py)."""
    from tests.template_guard import missing_attributes

    with missing_attributes() as found:
        yield
    if found:
        pytest.fail("a template looked up what its object does not have: " + "; ".join(sorted(set(found))))


@pytest.fixture(autouse=True)
def _pages_hold_together(monkeypatch):
    """Every HTML page Django answers, to the test client or to Chromium through the live server: no id twice,
    no reference to a missing id (tests/html_guard.py)."""
    from django.core.handlers.base import BaseHandler

    from tests.html_guard import problems

    found, get_response = [], BaseHandler.get_response

    def checked(self, request):
        response = get_response(self, request)
        if response.get("Content-Type", "").startswith("text/html") and not response.streaming:
            html = response.content.decode(response.charset or "utf-8", "replace")
            found.extend(f"{request.path}: {problem}" for problem in problems(html))
        return response

    monkeypatch.setattr(BaseHandler, "get_response", checked)
    yield
    if found:
        pytest.fail("a page does not hold together: " + "; ".join(sorted(set(found))))


MIGRATES_ONCE = {"django_content_type", "auth_permission"}


@pytest.fixture(scope="session", autouse=True)
def _flush_past_the_audit_triggers():
    """Transactional tests end by emptying every table (Django's flush). The audit log's append-only
    triggers refuse a DELETE there, so the test flush goes past them, and only the test flush:
    - SQLite flushes with DELETE: the flush lifts the triggers for its own statements and puts them back.
    - PostgreSQL flushes with one TRUNCATE of every table, which the triggers do not cover, but which costs
      0.3-0.5 s a test (each table's files are made anew): 168 transactional tests spent a minute in it.
      The test flush truncates the two audit tables (what the triggers guard) and DELETEs the rest, which
      hold a test's few rows: 0.03 s. Every foreign key is deferred to the flush's commit, so the order of
      the DELETEs does not matter; a flush that resets sequences or cascades is left as Django writes it.
    Both keep the content types and permissions, which migrate made and no test changes: Django's flush
    would empty them and its post_migrate signal make them all again (0.15 s a test on PostgreSQL); kept,
    the signal finds them there."""
    migration = __import__("auditlog.migrations.0001_squashed", fromlist=["sqlite_triggers"])
    operations = type(connection.ops)
    original = operations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        tables = [table for table in tables if table not in MIGRATES_ONCE]
        if self.connection.vendor == "postgresql" and tables and not (reset_sequences or allow_cascade):
            guarded = [self.quote_name(table) for table in tables if table in migration.TABLES]
            others = [self.quote_name(table) for table in tables if table not in migration.TABLES]
            truncate = [f"TRUNCATE {', '.join(guarded)}"] if guarded else []
            return ["SET CONSTRAINTS ALL DEFERRED", *truncate, *(f"DELETE FROM {table}" for table in others)]  # noqa: S608 (model tables)
        statements = original(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        if self.connection.vendor != "sqlite":
            return statements
        guarded = [table for table in migration.TABLES if table in tables]
        drop = [f"DROP TRIGGER IF EXISTS {t}_{kind}" for t in guarded for kind in ("no_update", "no_delete")]
        create = [sql for t in guarded for sql in migration.sqlite_triggers(t)]
        return [*drop, *statements, *create]

    operations.sql_flush = sql_flush
    yield
    operations.sql_flush = original


@pytest.fixture(autouse=True)
def _tasks_backend(request, settings):
    """Tasks run when their transaction commits (tests.tasks), unless the test runs a real worker."""
    if request.node.get_closest_marker("real_worker") is None:
        settings.TASKS = {"default": {"BACKEND": "tests.tasks.OnCommitImmediateBackend"}}


@pytest.fixture(autouse=True)
def _site_language():
    """Each test starts in the site's language. A request in English leaves English active on its thread
    (LocaleMiddleware activates, nothing deactivates), and a later test's expected text, such as
    ``subject("otp_locked")``, would be translated by whichever test ran before it in that worker."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache (rate limits, type policies), as its database starts empty."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _browser_timeouts(request):
    if "page" in request.fixturenames:
        request.getfixturevalue("page").set_default_timeout(10_000)


class FakeClock:
    """Replaces ibank.clock: time stands still until a test moves it."""

    def __init__(self, start: float):
        self.t = start

    def epoch(self) -> float:
        return self.t

    def now(self):
        from datetime import UTC, datetime

        return datetime.fromtimestamp(self.t, tz=UTC)

    def advance(self, seconds: float) -> None:
        self.t += seconds


@pytest.fixture
def fake_clock(monkeypatch):
    fake = FakeClock(clock.epoch())
    monkeypatch.setattr(clock, "_epoch", fake.epoch)
    monkeypatch.setattr(clock, "_now", fake.now)
    return fake


@pytest.fixture
def admin_superuser(client, db):
    """The superuser ``chief``, with ``client`` logged in to the admin past the staff OTP (tests.helpers.as_staff)."""
    from accounts.models import User
    from tests.helpers import as_staff

    user = User.objects.create_user("chief", password="chief-pass-123", is_staff=True, is_superuser=True)
    as_staff(client, user)
    return user


#: (password, encoded) -> what Argon2id answered, in this test process (_each_password_checked_once).
_VERIFIED: dict[tuple[str, str], bool] = {}


@pytest.fixture(autouse=True)
def _each_password_checked_once(request, monkeypatch):
    """A password checked against a hash a second time in this process gets the answer Argon2id gave the first
    time, at once: the same answer, without its 28 ms. The suite's logins check a handful of passwords against
    the fixtures' few hashes again and again: without this, 26 of the 196 s of CPU the tests without a browser
    took on a slow machine (docs/performance.md, session 36).

    Not for a test whose requests can overlap, where Argon2id's time is the window a race needs: the
    PostgreSQL-only tests (every concurrent one), a browser's and any other on a live server. Every hash
    is still made at the app's parameters, and every first check of a pair runs Argon2id in full."""
    if {"postgres", "browser"} & {mark.name for mark in request.node.iter_markers()} or (
        "live_server" in request.fixturenames
    ):
        yield
        return
    from accounts.hashers import IbankArgon2PasswordHasher

    verify = IbankArgon2PasswordHasher.verify

    def remembered(self, password, encoded):
        key = (password, encoded)
        if key not in _VERIFIED:
            _VERIFIED[key] = verify(self, password, encoded)
        return _VERIFIED[key]

    monkeypatch.setattr(IbankArgon2PasswordHasher, "verify", remembered)
    yield


@pytest.fixture
def client_errors_not_kept():
    """For the fuzz tests: the log records of 4xx answers are not emitted, django.request's warnings and
    django.security's errors (a SuspiciousOperation is a 400). A 4xx is what hostile input should get, and
    each record holds its request (the hostile body with it), which pytest keeps with the test's captured
    log until the test ends: the admin's form fuzz grew by about 5 MB an example, 1.5 GB at 300 examples.
    Server errors are still logged by django.request (and fail the fuzz by their status)."""
    levels = {"django.request": logging.ERROR, "django.security": logging.CRITICAL}
    loggers = {logging.getLogger(name): logging.getLogger(name).level for name in levels}
    for logger in loggers:
        logger.setLevel(levels[logger.name])
    yield
    for logger, level in loggers.items():
        logger.setLevel(level)


@functools.cache
def _hashed(raw: str) -> str:
    """``make_password(raw)``, made once per test process for each password the fixtures give: a real Argon2id
    hash at the app's parameters, which every login still checks in full. Each costs tens of milliseconds and
    the suite's customers would make thousands (their salt is shared, which no test depends on)."""
    return make_password(raw)


@pytest.fixture
def make_contract(db):
    counter = iter(range(1, 10_000))

    def make(
        contract_id=None, *, password=PASSWORD, method=Contract.Method.TRANSFER_PASSWORD, balance=100_000, **fields
    ):
        n = next(counter)
        contract_id = contract_id or f"{2000000000 + n}"
        # An established customer unless a test says otherwise: internet banking started a month ago, so the
        # start hold (accounts.holds) has ended. Tests of the start pass created_at=clock.now().
        fields.setdefault("created_at", clock.now() - timedelta(days=30))
        user = User(username=contract_id, password=_hashed(password) if password else make_password(password))
        user.save()
        contract = Contract(
            user=user, contract_id=contract_id, name=f"テスト 太郎{n}", transaction_method=method, **fields
        )
        if method == Contract.Method.TRANSFER_PASSWORD:
            contract.transfer_password = _hashed(TRANSFER_PASSWORD)  # as set_transfer_password, made once
        else:
            contract.set_card(CARD)
        contract.email = contract.email or f"customer{n}@example.jp"
        contract.save()
        account = Account.objects.create(
            contract=contract,
            branch_code="001",
            branch_name="本店営業部",
            kind=Account.Kind.ORDINARY,
            number=f"{n:07d}",
            holder_kana=f"ﾃｽﾄ ﾀﾛｳ{n}",
        )
        if balance:
            books.deposit(account=account, amount=balance)
        contract.account = account
        return contract

    return make


@pytest.fixture
def contract(make_contract):
    """A customer without a token, using the 資金移動用パスワード."""
    return make_contract("1234567890")


@pytest.fixture
def stranger(make_contract):
    """Another customer, whose things the first must never reach."""
    return make_contract("9876543210")


@pytest.fixture
def make_token(db):
    """Issue a token of ``kind`` and bind it to ``contract``; returns (binding, key)."""
    from otp.models import TokenBinding
    from otp.services import token_issue

    def make(contract, *, kind="mobile", login_otp=True, bound_days_ago=0):
        token, key = token_issue(kind=kind)
        token.status = token.Status.ACTIVE
        token.save(update_fields=["status"])
        binding = TokenBinding.objects.bind(
            contract, token, login_otp=login_otp, bound_at=clock.now() - timedelta(days=bound_days_ago)
        )
        return binding, key

    return make


@pytest.fixture
def token_contract(make_contract, make_token):
    """A customer with a mobile token and login-time OTP (認証する); ``.key`` is the token's key."""
    contract = make_contract("1111111111")
    contract.binding, contract.key = make_token(contract)
    return contract


@pytest.fixture
def otp_customer(make_contract, make_token):
    """A customer whose transactions the OTP authorizes (a token registered yesterday, no login-time OTP);
    ``.key`` is the token's key."""
    contract = make_contract()
    _binding, contract.key = make_token(contract, login_otp=False, bound_days_ago=1)
    return contract


@pytest.fixture
def billers(db):
    """Two billers of the two kinds (民間, 国庫金・地方公共団体), each with an unpaid bill due in 10 days."""
    from payments.models import Bill, Biller
    from payments.services import today

    private = Biller(number="58001", name="さくら電力株式会社", kana="ｻｸﾗﾃﾞﾝﾘﾖｸ", kind=Biller.Kind.PRIVATE)
    private.save()
    public = Biller(number="78901", name="さくら市", kana="ｻｸﾗｼ", kind=Biller.Kind.PUBLIC)
    public.save()
    due = today() + timedelta(days=10)
    electricity = Bill.objects.create(
        biller=private,
        customer_number="12345678901234",
        confirmation_number="1234",
        description="電気料金（11月分）",
        amount=8_640,
        due_date=due,
    )
    tax = Bill.objects.create(
        biller=public,
        customer_number="1234567890123456",
        confirmation_number="123456",
        payment_category="101",
        description="固定資産税（第3期）",
        amount=45_600,
        due_date=due,
    )
    return {"private": private, "public": public, "electricity": electricity, "tax": tax}
