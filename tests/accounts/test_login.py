from urllib.parse import quote

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts import forms, locks, services
from accounts.models import Contract, LoginRecord
from auditlog.models import AuditEntry
from tests.conftest import PASSWORD
from tests.helpers import answered_after, is_locked, post_login, stored_session

LOGIN = reverse("accounts-login")
MENU = reverse("accounts-menu")


def errors(response):
    return response.context["form"].non_field_errors()


def test_login_page_has_the_seeds_labels_and_button(client):
    response = client.get(LOGIN)
    html = response.content.decode()
    assert response.status_code == 200
    assert '<label for="id_contract_id">契約者ID（利用者番号）</label>' in html
    assert '<label for="id_password">ログインパスワード</label>' in html
    assert '<button type="submit" class="primary">ログイン</button>' in html
    assert "ソフトウェアキーボード" in html
    assert html.count("<h1>") == 1
    assert '<html lang="ja">' in html


def test_the_login_pages_say_where_a_forgotten_password_is_reset(client):
    """A customer who forgot it is not left guessing (each wrong one counts toward the lock): the branch
    resets it on a written request and posts a temporary one (branch: reset_login_password)."""
    assert "ログインパスワードをお忘れの方" in client.get(LOGIN).content.decode()
    phone = client.get(reverse("mobile-login")).content.decode()
    assert "ログインパスワードをお忘れの方は、お取引店の窓口で再設定" in phone and len(phone.encode()) < 5_000


def test_correct_password_logs_in_and_shows_menu(client, contract):
    response = post_login(client, contract.contract_id)
    assert response.status_code == 302
    assert response["Location"] == MENU
    menu = client.get(MENU)
    assert menu.status_code == 200
    assert contract.name in menu.content.decode()
    assert "100,000円" in menu.content.decode()
    assert AuditEntry.objects.filter(action="login", outcome="ok", contract=contract).exists()


@pytest.mark.parametrize("case", ["wrong_id", "wrong_password"])
def test_wrong_id_and_wrong_password_get_the_same_message(client, contract, case):
    if case == "wrong_id":
        response = post_login(client, "5555555555")
    else:
        response = post_login(client, contract.contract_id, "Wrong123")
    assert response.status_code == 200
    assert errors(response) == [forms.INVALID_CREDENTIALS]
    assert "契約者ID（利用者番号）またはログインパスワードが正しくありません。" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_unknown_id_is_audited_without_the_password(client, db):
    post_login(client, "5555555555", "Secret99")
    entry = AuditEntry.objects.get(action="login.password")
    assert entry.outcome == "failed" and entry.reason == "unknown_id"
    assert "Secret99" not in str(entry.detail)


def test_lock_at_exactly_the_fifth_failure(client, contract):
    limit = settings.IBANK_LOGIN_MAX_FAILURES
    assert limit == 5
    for attempt in range(1, limit):
        response = post_login(client, contract.contract_id, "Wrong123")
        # From the 3rd, the customer is told how many tries are left (2, then 1).
        left = f"あと{limit - attempt}回誤るとログインが停止されます。"
        assert errors(response) == [str(forms.INVALID_CREDENTIALS) + (left if attempt >= 3 else "")]
    contract.refresh_from_db()
    assert contract.login_failures == 4 and not is_locked(contract, "login")

    response = post_login(client, contract.contract_id, "Wrong123")
    assert errors(response) == [forms.LOGIN_LOCKED]
    html = response.content.decode()
    assert "ログインを停止しています。お取引店、またはインターネットバンキングヘルプデスク" in html
    assert settings.BANK_HELPDESK_PHONE in html
    contract.refresh_from_db()
    assert is_locked(contract, "login")
    assert AuditEntry.objects.filter(action="login.lock", contract=contract).count() == 1


def test_correct_password_refused_while_locked(client, contract):
    for _ in range(5):
        post_login(client, contract.contract_id, "Wrong123")
    response = post_login(client, contract.contract_id)
    assert response.status_code == 200
    assert errors(response) == [forms.LOGIN_LOCKED]
    assert "_auth_user_id" not in client.session
    assert AuditEntry.objects.filter(action="login.password", reason="locked", contract=contract).exists()


def test_a_right_password_read_before_a_burst_locked_the_contract_is_refused(client, contract, monkeypatch):
    """A burst of guesses from a clean count: each request reads the contract (no failure yet), then checks its
    password. Five wrong ones lock it while a right one is still being checked; the right one, counted after
    the lock, is refused like any guess past the limit, and logs nobody in."""

    def five_wrong_guesses():
        for _ in range(5):
            post_login(Client(), contract.contract_id, "Wrong123")

    answered_after(monkeypatch, five_wrong_guesses, at=(services, "contract_authenticate"))
    response = post_login(client, contract.contract_id)
    # (the page's text: the test client's captured contexts include the five requests made inside this one)
    assert response.status_code == 200 and str(forms.LOGIN_LOCKED) in response.content.decode()
    assert "_auth_user_id" not in client.session
    contract.refresh_from_db()
    assert is_locked(contract, "login") and contract.login_failures == 5
    assert not AuditEntry.objects.filter(action="login", contract=contract).exists()
    assert AuditEntry.objects.filter(action="login.password", reason="locked", contract=contract).count() == 1


def test_success_resets_the_failure_count(client, contract):
    for _ in range(4):
        post_login(client, contract.contract_id, "Wrong123")
    post_login(client, contract.contract_id)
    contract.refresh_from_db()
    assert contract.login_failures == 0
    client.logout()
    for _ in range(4):
        post_login(client, contract.contract_id, "Wrong123")
    contract.refresh_from_db()
    assert not is_locked(contract, "login")


def test_unlock_lets_the_customer_in_again(client, contract):
    for _ in range(5):
        post_login(client, contract.contract_id, "Wrong123")
    locks.lift(Contract.objects.get(pk=contract.pk), "login", by="test", reason="unlock")
    assert post_login(client, contract.contract_id).status_code == 302


def test_session_key_changes_at_login(client, contract):
    client.get(LOGIN)
    client.session.save()
    before = client.session.session_key
    assert before
    post_login(client, contract.contract_id)
    assert client.session.session_key != before


def test_second_login_ends_the_first_session(client, contract):

    post_login(client, contract.contract_id)
    assert client.get(MENU).status_code == 200

    other = Client()
    post_login(other, contract.contract_id)
    assert other.get(MENU).status_code == 200

    response = client.get(MENU)
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_password_never_in_the_session_store(client, contract):
    post_login(client, contract.contract_id)
    client.get(MENU)
    data, raw = stored_session(client)
    assert "_auth_user_id" in data  # the logged-in session itself is what is searched
    assert PASSWORD not in repr(data)
    assert PASSWORD not in raw


def test_full_width_contract_id_is_accepted(client, contract):
    full_width = contract.contract_id.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    response = post_login(client, full_width)
    assert response.status_code == 302
    assert response["Location"] == MENU


@pytest.mark.parametrize(
    ("contract_id", "password", "field", "message"),
    [
        ("12345abcde", PASSWORD, "contract_id", forms.CONTRACT_ID_FORMAT),
        ("", PASSWORD, "contract_id", "契約者ID（利用者番号）を入力してください。"),
        ("1234567890", "", "password", "ログインパスワードを入力してください。"),
        ("1" * 1000, PASSWORD, "contract_id", forms.CONTRACT_ID_FORMAT),
        ("1234567890", "a" * 1000, "password", forms.PASSWORD_FORMAT),
        ("123456789", PASSWORD, "contract_id", forms.CONTRACT_ID_FORMAT),
        ("12345\x0067890", PASSWORD, "contract_id", "契約者ID（利用者番号）に使用できない文字が含まれています。"),
        ("1234567890", "pass\x00word", "password", "ログインパスワードに使用できない文字が含まれています。"),
    ],
)
def test_bad_input_gets_a_field_message_and_keeps_the_id(client, contract, contract_id, password, field, message):
    response = post_login(client, contract_id, password)
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors[field] == [str(message)]
    html = response.content.decode()
    assert f'id="id_{field}_error"' in html
    assert f'aria-describedby="id_{field}_error"' in html
    if contract_id and len(contract_id) < 50:
        assert f'value="{contract_id}"' in html  # what was typed is kept
    assert 'name="password" value=' not in html  # ...but never the password
    contract.refresh_from_db()
    assert contract.login_failures == 0  # malformed input is not a password attempt


def test_login_records_the_channel_and_menu_lists_previous_logins(client, contract):
    iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148"
    client.post(LOGIN, {"contract_id": contract.contract_id, "password": PASSWORD}, HTTP_USER_AGENT=iphone)
    client.post(reverse("accounts-logout"))
    for _ in range(3):
        post_login(client, contract.contract_id)
        client.post(reverse("accounts-logout"))
    post_login(client, contract.contract_id)
    assert LoginRecord.objects.filter(contract=contract).count() == 5
    html = client.get(MENU).content.decode()
    assert "前回ログイン日時" in html
    # the three logins before the current one, all from a PC; the smartphone one is older
    assert html.count("（パソコン）") == 3
    assert "（スマートフォン）" not in html


def test_logout_ends_the_session(client, contract):
    post_login(client, contract.contract_id)
    response = client.post(reverse("accounts-logout"), follow=True)
    assert response.redirect_chain[0][1] == 302 and "ログアウトしました。" in response.content.decode()
    assert client.get(MENU).status_code == 302
    assert AuditEntry.objects.filter(action="logout", contract=contract).exists()


def test_logout_by_get_is_refused(client, contract):
    post_login(client, contract.contract_id)
    assert client.get(reverse("accounts-logout")).status_code == 405
    assert client.get(MENU).status_code == 200


def test_menu_requires_login(client, db):
    response = client.get(MENU)
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next={MENU}"


def test_a_page_asked_for_with_a_query_too_long_to_come_back_to_leads_to_the_login_without_it(client, db):
    """A query of 100,000 characters made a ``next`` longer than Django redirects to: a 400 Bad Request, and an
    error in the log for each. The login comes back to the page without its query; a usual query is kept."""
    assert client.get(MENU, {"x": "[" * 100_000})["Location"] == f"{LOGIN}?next={MENU}"
    response = client.get(reverse("transfers-new"), {"payee": "1"})
    assert response["Location"] == f"{LOGIN}?next=" + quote(reverse("transfers-new") + "?payee=1", safe="/")


def test_staff_user_without_contract_cannot_see_the_menu(client, django_user_model):
    staff = django_user_model.objects.create_user("clerk", password="clerk-pass-123", is_staff=True)
    client.force_login(staff)
    assert client.get(MENU).status_code == 302


def test_menu_shows_only_the_customers_own_accounts(client, contract, stranger):
    post_login(client, contract.contract_id)
    html = client.get(MENU).content.decode()
    own = contract.accounts.get()
    other = stranger.accounts.get()
    assert own.number in html
    assert other.number not in html


def test_menu_names_what_authorizes_transactions(client, make_contract, make_token):
    card = make_contract(method=Contract.Method.CARD)
    post_login(client, card.contract_id)
    assert "お取引の認証方法：確認用パスワード（お客様カード）" in client.get(MENU).content.decode()
    make_token(card, login_otp=False)
    assert "お取引の認証方法：ワンタイムパスワード" in client.get(MENU).content.decode()


def _kind(sql: str) -> str:
    """A statement's kind: its first word, or for a data-modifying WITH the statement inside it."""
    first = sql.split()[0].upper()
    if first == "WITH":
        return sql.split("(", 1)[1].split()[0].upper()
    return first


def _statement_kinds(client, contract_id, password):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        client.post(LOGIN, {"contract_id": contract_id, "password": password})
    kinds = [_kind(q["sql"]) for q in ctx.captured_queries]
    # Session and message writes are the same for both; what the login check itself runs is compared.
    return kinds, [q["sql"].split()[0:3] for q in ctx.captured_queries if "accounts_" in q["sql"]]


def test_unknown_id_and_wrong_password_run_the_same_statements(client, contract):
    """No contract-ID enumeration by timing: the same SELECT, UPDATE and INSERT (and commits) either way."""
    unknown, unknown_tables = _statement_kinds(client, "5555555555", "Wrong123")
    known, known_tables = _statement_kinds(client, contract.contract_id, "Wrong123")
    assert unknown == known
    assert unknown_tables == known_tables
    assert "UPDATE" in known  # the failure counter is written (and matched no row for the unknown ID)


def test_the_login_lock_is_emailed_once(client, contract, mailoutbox, django_capture_on_commit_callbacks):
    from notices.outbox import subject

    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(6):
            client.post(LOGIN, {"contract_id": contract.contract_id, "password": "Wrong123"})
    assert [m.subject for m in mailoutbox] == [subject("login_locked")]
    assert mailoutbox[0].to == [contract.email] and "ログインを停止しました" in mailoutbox[0].body


def test_an_unknown_id_gets_the_same_answers_as_a_known_one(client, contract):
    """Tries left and the lock are told for any ID typed: the answers never tell whether the ID exists."""

    def answers(contract_id):
        return [errors(post_login(client, contract_id, "Wrong123")) for _ in range(6)]

    assert answers("5555555555") == answers(contract.contract_id)
    assert AuditEntry.objects.filter(reason="unknown_id").count() == 6


def test_an_empty_field_message_names_the_field_without_the_labels_note(client, contract):
    from tests.payments.helpers import login as customer_login

    customer_login(client, contract)
    response = client.post(reverse("transfers-new"), {})
    assert "振込金額を入力してください。" in response.content.decode()
    assert "振込金額（円）を入力してください" not in response.content.decode()


@pytest.mark.parametrize(
    ("contract_id", "password"),
    [("1234567890", PASSWORD), ("1234567890", "Wrong5678"), ("5555555555", PASSWORD)],
    ids=["right", "wrong password", "unknown ID"],
)
def test_no_transaction_is_open_while_the_password_is_checked(
    transactional_db, client, contract, monkeypatch, contract_id, password
):
    """Argon2 takes about 20 ms of CPU: a login holds no transaction (nor its connection, behind a pooler in
    transaction mode, nor the oldest snapshot VACUUM must keep) through it. Its writes still commit once."""
    from django.contrib.auth.hashers import get_hasher
    from django.db import connection, connections

    def in_transaction() -> bool:
        if connection.vendor == "postgresql":  # the server's view: a BEGIN sent, whoever sent it
            return connection.connection.info.transaction_status != 0  # psycopg.pq.TransactionStatus.IDLE
        return connection.in_atomic_block

    hasher, during_check, writes, commits = type(get_hasher("default")), [], [], []
    verify = hasher.verify

    def watched(self, *args):
        during_check.append(in_transaction())
        return verify(self, *args)

    def write(execute, sql, params, many, context):
        # Not the login's rows: the notice sent after the commit by the tests' task backend (the worker's work),
        # and the session saved with the response (in the cache in production, in the database here).
        other = sql.startswith(('UPDATE "notices_notice"', 'UPDATE "django_session"', 'INSERT INTO "django_session"'))
        if not other and sql.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE", "WITH")):
            writes.append((connection.in_atomic_block and not commits, sql[:90]))
        return execute(sql, params, many, context)

    monkeypatch.setattr(hasher, "verify", watched)
    commit = connections["default"].commit
    monkeypatch.setattr(connections["default"], "commit", lambda: commits.append(1) or commit())
    with connection.execute_wrapper(write):
        response = post_login(client, contract_id, password)
    assert during_check == [False]
    # Every row the login writes, in one transaction, before its one commit.
    assert writes and all(inside for inside, _ in writes), [w for w in writes if not w[0]]
    assert commits
    assert response.status_code == (302 if password == PASSWORD and contract_id == contract.contract_id else 200)
    outcome = "ok" if response.status_code == 302 else "failed"
    assert AuditEntry.objects.filter(action="login.password", outcome=outcome).count() == 1


@pytest.mark.parametrize("door", ["accounts-login", "mobile-login"])
def test_a_double_click_on_login_logs_in_once_and_tells_it_once(client, contract, fake_clock, door):
    """ログイン pressed twice, the second press sent from the session the first logged in: one login (one
    record, one notice), the session the first made stays; a login ten seconds later is a login of its own."""
    from notices.models import Notice
    from tests.helpers import known_environment

    known_environment(client, contract)
    data = {"contract_id": contract.contract_id, "password": PASSWORD}
    first, second = client.post(reverse(door), data), client.post(reverse(door), data)
    assert second["Location"] == first["Location"] and second.status_code == 302
    assert client.get(first["Location"]).status_code == 200
    assert LoginRecord.objects.filter(contract=contract).count() == 1
    assert Notice.objects.filter(contract_id=contract.pk, event="login").count() == 1
    fake_clock.advance(11)
    client.post(reverse(door), data)
    assert LoginRecord.objects.filter(contract=contract).count() == 2


def test_the_login_view_hides_the_password_from_error_reports_and_is_never_cached(rf, db):
    """Django's error reports must not show the password typed at ログイン, and no cache may keep the page."""
    from django.contrib.sessions.backends.cache import SessionStore

    from accounts.login import login_view
    from ibank.actor import of_request

    request = rf.post(reverse("accounts-login"), {"contract_id": "1", "password": "x"})
    request.session, request._dont_enforce_csrf_checks = SessionStore(), True  # as Django's test client
    request.actor = of_request(request)
    response = login_view(request)
    assert request.sensitive_post_parameters == ("password",)
    assert "no-store" in response["Cache-Control"]
