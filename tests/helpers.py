"""What many tests do the same way: log a customer in, read what the session store holds."""

from importlib import import_module

from django.conf import settings
from django.urls import reverse

from tests.conftest import PASSWORD


def post_login(client, contract_or_id, password=PASSWORD):
    """POST the login form (契約者ID + ログインパスワード); returns the response."""
    contract_id = getattr(contract_or_id, "contract_id", contract_or_id)
    return client.post(reverse("accounts-login"), {"contract_id": contract_id, "password": password})


def environment_cookie(contract) -> str:
    """The signed device cookie of a browser ``contract`` has used before (a row made a month ago), as its
    owner's own PC would carry it (accounts.environments)."""
    import secrets
    from datetime import timedelta

    from django.core import signing

    from accounts import environments
    from accounts.models import KnownEnvironment
    from ibank import clock

    since = clock.now() - timedelta(days=30)
    known = KnownEnvironment.objects.create(
        contract=contract, key=secrets.token_hex(16), browser="Chrome（Windows）", first_seen=since, last_seen=since
    )
    signer = signing.get_cookie_signer(salt=environments.COOKIE + environments.SALT)
    return signer.sign(f"{contract.pk}.{known.key}")


def known_environment(client, contract):
    """Make ``client`` a browser ``contract`` has logged in from before (unless it already carries a cookie)."""
    from accounts import environments

    if environments.COOKIE not in client.cookies:
        client.cookies[environments.COOKIE] = environment_cookie(contract)


def login(client, contract, password=PASSWORD, *, known=True):
    """Log ``contract`` in (or reach its second step); fails the test unless the form was accepted.

    ``known``: from a browser the customer has used before (their own PC); False: a new environment."""
    if known and hasattr(contract, "pk"):
        known_environment(client, contract)
    response = post_login(client, contract, password)
    assert response.status_code == 302, response.content.decode()[:500]
    return response


def fill_login(page, contract, password=PASSWORD, *, known=True):
    """Type 契約者ID and ログインパスワード into the login form on ``page`` (the caller presses the button).

    ``known``: the browser is one the customer has used before (it carries their device cookie)."""
    if known:
        from accounts import environments

        cookie = {"name": environments.COOKIE, "value": environment_cookie(contract), "url": page.url}
        page.context.add_cookies([cookie])
    page.get_by_label("契約者ID（利用者番号）").fill(contract.contract_id)
    page.get_by_label("ログインパスワード").fill(password)


def stored_session(client) -> tuple[dict, str]:
    """The client's session as the configured engine stores it: (decoded data, raw stored form).

    Fails the test when the client has no stored session, so that a check of what a session holds can
    never pass by looking at nothing (with cache sessions the database's session table stays empty).
    """
    key = client.cookies.get(settings.SESSION_COOKIE_NAME)
    assert key is not None and key.value, "the client has no session cookie"
    store = import_module(settings.SESSION_ENGINE).SessionStore(key.value)
    data = store.load()
    assert data, "the session store holds nothing for the client's session"
    return data, store.encode(data)


def set_lock(contract, kind, *, at=None, until=None):
    """Put a lock of ``kind`` on ``contract`` as the code would (a row); ``at`` is when it was set."""
    from accounts import locks
    from accounts.models import Lock

    assert locks.set_lock(contract, kind, reason="test", by="test", until=until)
    if at is not None:
        Lock.objects.filter(contract=contract, kind=kind, lifted_at__isnull=True).update(set_at=at)
    locks.forget(contract)


def is_locked(contract, kind) -> bool:
    """A lock of ``kind`` is in force on ``contract`` now (read from the lock table, not from a cache)."""
    from accounts import locks

    return kind in locks.open_locks(contract, refresh=True)


def locked_at(contract, kind):
    """When the lock of ``kind`` in force was set, or None."""
    from accounts import locks

    lock = locks.open_locks(contract, refresh=True).get(kind)
    return lock.set_at if lock is not None else None


def paid_before(contract, payee=None, *, bank_code=None, branch_code="001", kind=1, number=None, days_ago=60):
    """History: ``contract`` paid this payee (another contract's account, or an account at another bank)
    ``days_ago`` days ago, so it is no longer a new payee (payments.new_payees). The 1 yen moved through the
    books then is deposited first: the payer's balance is as before. (demo.history, as the demo data.)"""
    from demo import history

    to_account = payee.account if payee is not None else None
    return history.paid_before(
        contract,
        contract.account,
        to_account=to_account,
        bank_code=bank_code or "",
        branch_code=branch_code,
        kind=kind,
        number=number or "",
        payee_name="ﾃｽﾄ",
        days_ago=days_ago,
        keep_balance=True,
    )


def registered_payee(contract, *, number="1234567", name="ﾃｽﾄ", **row):
    """A 登録振込先 of ``contract`` (at this bank's 本店 unless ``row`` says otherwise)."""
    from payments.models import Payee

    row = {"bank_code": settings.IBANK_BANK_CODE, "bank_name": "当金庫", "branch_code": "001", **row}
    row.setdefault("branch_name", "本店営業部")
    row.setdefault("kind", 1)
    return Payee.objects.create(contract=contract, number=number, name=name, **row)


def payee_of(contract, account):
    """``account`` as a 登録振込先 of ``contract``."""
    where = {"branch_code": account.branch_code, "branch_name": account.branch_name, "kind": account.kind}
    return registered_payee(
        contract, number=account.number, name=account.holder_kana, bank_name=settings.BANK_NAME, **where
    )


def enter_transfer(page, *, number, amount, name="ﾃｽﾄ", bank=None, branch="001", on=None):
    """振込 入力 in the browser (already on the page): the payee, the amount (and a 振込指定日), 確認画面へ.
    ``bank=None`` leaves the bank and branch as the page has them."""
    if bank:
        page.get_by_label("金融機関コード").fill(bank)
        page.get_by_label("支店番号").fill(branch)
    page.get_by_label("口座番号").fill(number)
    page.get_by_label("受取人名").fill(name)
    page.get_by_label("振込金額（円）").fill(amount)
    if on is not None:
        page.get_by_label("振込指定日").fill(on.isoformat())
    page.get_by_role("button", name="確認画面へ").click()


def result_status(page):
    """The status a page shows of its own (a step's result, a message), inside <main>: the page-wide status
    said while a form is on its way (#sending, static/js/sent_once.js) stands outside it."""
    return page.get_by_role("main").get_by_role("status")


def authorize_with_otp(page, key, at):
    """認証 in the browser: the token's code for time ``at``, then 実行."""
    from otp import totp

    page.get_by_label("ワンタイムパスワード").fill(totp.totp(key, at))
    page.get_by_role("button", name="実行").click()


def confirm_and_authorize_with_otp(page, key, at):
    """確認 pressed, the 認証 step shown, then 認証 with the token's code for time ``at``."""
    from playwright.sync_api import expect

    page.get_by_role("button", name="確認", exact=True).click()
    expect(page.locator("[aria-current=step]")).to_have_text("認証")
    authorize_with_otp(page, key, at)


def as_staff(client, user):
    """``client`` logged in as the staff member ``user``, past the admin's TOTP step (a confirmed device)."""
    from django_otp import DEVICE_ID_SESSION_KEY

    from accounts.models import StaffDevice

    device = StaffDevice(user=user, name=user.get_username(), confirmed=True)
    device.set_key(bytes(20))
    device.save()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def generic_plan(sql: str, args: list) -> str:
    """The plan PostgreSQL keeps for ``sql`` ($1, $2, … placeholders) once it settles on a generic one, as it
    does for a statement prepared on a connection (ibank_post's guards, psycopg's after five runs)."""
    from django.db import connection
    from psycopg import sql as psql

    literals = ", ".join(psql.Literal(a).as_string(connection.connection) for a in args)
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
        cursor.execute(f"PREPARE plan_probe AS {sql}")
        cursor.execute("SET plan_cache_mode = force_generic_plan")
        try:
            cursor.execute(f"EXPLAIN EXECUTE plan_probe({literals})")
            return "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("RESET plan_cache_mode")
            cursor.execute("DEALLOCATE plan_probe")


def compiled_plan(query, *values) -> str:
    """The generic plan of an ibank.compiled query run with ``values``."""
    sql, params = query.sql_with_params(*values)
    numbered = sql.replace("%s", "{}").format(*(f"${n}" for n in range(1, len(params) + 1)))
    return generic_plan(numbered, params)


def analyze(model) -> None:
    """PostgreSQL's statistics of ``model``'s table, as autovacuum keeps them."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def twin_of(client):
    """The same page sent a second time (a double click): a client with ``client``'s cookies."""
    from django.test import Client

    twin = Client()
    for name, morsel in client.cookies.items():
        twin.cookies[name] = morsel.value
    return twin


def refuses_deletion(client, name: str, row) -> None:
    """The admin (``client`` logged in) deletes ``row`` neither from its page nor as a selection of the list
    ``name`` ("app_model"): both answer 403 or offer nothing, and the row stays."""
    from django.urls import reverse

    delete = reverse(f"admin:{name}_delete", args=[row.pk])
    assert client.get(delete).status_code == 403
    assert client.post(delete, {"post": "yes"}).status_code == 403
    changelist = reverse(f"admin:{name}_changelist")
    assert "delete_selected" not in client.get(changelist).content.decode()
    client.post(changelist, {"action": "delete_selected", "_selected_action": [row.pk], "post": "yes"})
    assert type(row).objects.filter(pk=row.pk).exists()


def answered_after(monkeypatch, first, at=None) -> None:
    """A double click whose two requests overlap: the second request (past its session and its own checks)
    evaluates its answer only once ``first()`` (the first click, whole) is done. ``at``: (object, name) of the
    call where the second waits; the OTP method's authorization by default."""
    from otp.authorization import OtpMethod

    owner, name = at or (OtpMethod, "authorize")
    original = getattr(owner, name)

    def later(*args, **kwargs):
        monkeypatch.setattr(owner, name, original)
        first()
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, later)


def double_click(monkeypatch, client, url, data, *, first=None, at=None):
    """``data`` posted to ``url`` twice from ``client``'s page, the two requests overlapping (the second
    waits at ``at`` until the first is done; ``first``: what the first posts, when it differs). Returns the
    second click's client and response."""
    twin = twin_of(client)
    answered_after(monkeypatch, lambda: client.post(url, data if first is None else first), at)
    return twin, twin.post(url, data)


def url_names() -> set[str]:
    """Every URL the resolver knows, by its name (namespaced; an unnamed one by its view's path), the admin's
    aside (Django's own code answers them): what the fuzz and the page walks must each reach."""
    from django.urls import get_resolver

    def names(patterns, namespace=""):
        for pattern in patterns:
            if not hasattr(pattern, "url_patterns"):
                yield f"{namespace}{pattern.name}" if pattern.name else pattern.lookup_str
            elif pattern.namespace != "admin":
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                yield from names(pattern.url_patterns, inner)

    return set(names(get_resolver().url_patterns))


def posts_sent(page, path: str) -> list[str]:
    """The POSTs to a URL ending in ``path`` that the browser sends from now on."""
    sent = []
    page.on("request", lambda r: sent.append(r.url) if r.method == "POST" and r.url.endswith(path) else None)
    return sent


def slowed(monkeypatch, owner, name: str) -> None:
    """``owner.name`` takes half a second more (what it declares kept): a slow line, whose answer a second
    click beats."""
    import functools
    import time

    real = getattr(owner, name)

    @functools.wraps(real)
    def slow(*args, **kwargs):
        time.sleep(0.5)
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, slow)


def browser_double_click(page, button) -> None:
    """Two clicks 150 ms apart, as a hand does; the second does not wait for the first's answer."""
    button.scroll_into_view_if_needed()
    box = button.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.click(x, y)
    page.wait_for_timeout(150)
    page.mouse.click(x, y)


def card_fields_named(html: str) -> list[tuple[str, str]]:
    """(field, cell) of each card field on a page, the cell as its label names it (確認用パスワード（B3）)."""
    import re

    return re.findall(r'<label for="id_(card_\d+)">[^<（]*（([A-E][1-4])）</label>', html)


def card_answer_as_sent(html: str, grid: dict) -> dict:
    """What a browser sends from a card authorization page: every input of its form as the page rendered it
    (a hidden one with its value), and in each card field the digit of the cell its label names."""
    import re

    form = re.search(r'<form method="post"(?: novalidate)?>(.*?)</form>', html, re.DOTALL).group(1)
    data = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name, value = re.search(r'name="([^"]*)"', tag), re.search(r'value="([^"]*)"', tag)
        if name:
            data[name.group(1)] = value.group(1) if value else ""
    cells = card_fields_named(form)
    assert cells, "no card field on the page"
    return data | {field: grid[cell] for field, cell in cells}
