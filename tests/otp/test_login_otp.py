import pytest
from django.conf import settings
from django.urls import reverse

from auditlog.models import AuditEntry
from otp import messages as otp_forms
from otp import totp
from otp.login import PENDING_EXPIRED, PENDING_LOGIN
from tests.conftest import PASSWORD
from tests.helpers import post_login, set_lock, stored_session

LOGIN = reverse("accounts-login")
LOGIN_OTP = reverse("accounts-login-otp")
MENU = reverse("accounts-menu")


def password_step(client, contract):
    return post_login(client, contract)


def current_code(contract, fake_clock):
    return totp.totp(contract.key, fake_clock.epoch())


def test_password_then_otp_page_with_the_seeds_wording(client, token_contract, fake_clock):
    response = password_step(client, token_contract)
    assert response.status_code == 302 and response["Location"] == LOGIN_OTP
    assert client.get(MENU).status_code == 302  # not logged in yet
    html = client.get(LOGIN_OTP).content.decode()
    assert "<h1>ワンタイムパスワード認証</h1>" in html
    assert "トークンに表示されている数字6桁を入力してください。(30秒毎に数字が変更されます。)" in html
    assert '<button type="submit" class="primary">確認</button>' in html
    assert ">中止</button>" in html


def test_correct_code_logs_in_with_a_new_session_key_and_marks_it_verified(client, token_contract, fake_clock):
    password_step(client, token_contract)
    key_before = client.session.session_key
    response = client.post(LOGIN_OTP, {"otp": current_code(token_contract, fake_clock)})
    assert response.status_code == 302 and response["Location"] == MENU
    assert client.session.session_key != key_before
    assert PENDING_LOGIN not in client.session
    menu = client.get(MENU)
    assert menu.status_code == 200
    assert menu.wsgi_request.user.is_verified()


def test_pending_login_holds_no_password_and_no_code(client, token_contract, fake_clock):
    password_step(client, token_contract)
    client.post(LOGIN_OTP, {"otp": "000000"})
    data, raw = stored_session(client)
    assert PENDING_LOGIN in data  # the pending login itself is what is searched
    assert PASSWORD not in repr(data) and "000000" not in repr(data)
    assert PASSWORD not in raw and "000000" not in raw


def test_wrong_code_gives_a_message_and_a_retry_and_counts(client, token_contract, fake_clock):
    password_step(client, token_contract)
    response = client.post(LOGIN_OTP, {"otp": "000000"})
    assert response.status_code == 200
    assert response.context["form"].errors["otp"] == [str(otp_forms.OTP_WRONG)]
    assert 'value="000000"' not in response.content.decode()  # a code is never shown back
    token_contract.binding.refresh_from_db()
    assert token_contract.binding.failures == 1
    response = client.post(LOGIN_OTP, {"otp": current_code(token_contract, fake_clock)})
    assert response["Location"] == MENU


def test_five_wrong_codes_lock_the_otp(client, token_contract, fake_clock, django_capture_on_commit_callbacks):
    from django.core import mail

    password_step(client, token_contract)
    for attempt in range(1, 5):
        response = client.post(LOGIN_OTP, {"otp": "000000"})
        message = response.context["form"].errors["otp"][0]
        # the 3rd and 4th wrong codes say how many tries are left
        assert ("あと2回誤ると" in message) == (attempt == 3) and ("あと1回誤ると" in message) == (attempt == 4)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(LOGIN_OTP, {"otp": "000000"})
    html = response.content.decode()
    assert str(otp_forms.OTP_LOCKED) in html and settings.BANK_HELPDESK_PHONE in html
    assert 'name="otp"' not in html and "ログイン画面に戻る" in html  # no field that cannot succeed
    assert mail.outbox[-1].to == [token_contract.email] and "ワンタイムパスワード停止" in mail.outbox[-1].subject
    response = client.post(LOGIN_OTP, {"otp": current_code(token_contract, fake_clock)})
    assert response.status_code == 200
    assert str(otp_forms.OTP_LOCKED) in response.content.decode() and 'name="otp"' not in response.content.decode()
    assert client.get(MENU).status_code == 302
    reload = client.get(LOGIN_OTP).content.decode()  # the page opened again: the same dead end, no field
    assert str(otp_forms.OTP_LOCKED) in reload and 'name="otp"' not in reload


@pytest.mark.parametrize("value", ["12345", "abcdef", "", "1" * 1000])
def test_malformed_code_gets_a_field_message_and_counts_nothing(client, token_contract, fake_clock, value):
    password_step(client, token_contract)
    response = client.post(LOGIN_OTP, {"otp": value})
    assert response.status_code == 200
    assert response.context["form"].errors["otp"]
    token_contract.binding.refresh_from_db()
    assert token_contract.binding.failures == 0


def test_full_width_code_accepted_at_login(client, token_contract, fake_clock):
    password_step(client, token_contract)
    code = current_code(token_contract, fake_clock).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert client.post(LOGIN_OTP, {"otp": code})["Location"] == MENU


def test_pending_login_alive_at_300_seconds(client, token_contract, fake_clock):
    password_step(client, token_contract)
    fake_clock.advance(300)
    response = client.post(LOGIN_OTP, {"otp": current_code(token_contract, fake_clock)})
    assert response["Location"] == MENU


def test_pending_login_expires_after_5_minutes(client, token_contract, fake_clock):
    password_step(client, token_contract)
    fake_clock.advance(301)
    response = client.post(LOGIN_OTP, {"otp": current_code(token_contract, fake_clock)}, follow=True)
    assert response.redirect_chain[-1][0] == LOGIN
    assert str(PENDING_EXPIRED) in response.content.decode()
    assert PENDING_LOGIN not in client.session
    assert client.get(MENU).status_code == 302
    assert not AuditEntry.objects.filter(action="login.otp", contract=token_contract).exists()  # code never tried


def test_otp_page_without_the_password_step_goes_back_to_login(client, token_contract):
    response = client.get(LOGIN_OTP)
    assert response.status_code == 302 and response["Location"] == LOGIN


def test_cancel_ends_the_pending_login(client, token_contract, fake_clock):
    password_step(client, token_contract)
    response = client.post(LOGIN_OTP, {"cancel": "1"})
    assert response["Location"] == LOGIN
    assert "ログインを中止しました。" in client.get(LOGIN).content.decode()
    assert PENDING_LOGIN not in client.session
    assert client.get(LOGIN_OTP)["Location"] == LOGIN
    entry = AuditEntry.objects.get(action="login.otp", contract=token_contract)
    assert (entry.outcome, entry.reason) == ("failed", "cancelled")


def test_pending_login_is_bound_to_the_token(client, token_contract, fake_clock):
    from otp.models import TokenBinding
    from otp.services import token_issue

    password_step(client, token_contract)
    new_token, _ = token_issue(kind="mobile")  # the token is exchanged meanwhile, from another browser
    TokenBinding.objects.filter(pk=token_contract.binding.pk).update(software_token=new_token)
    response = client.post(LOGIN_OTP, {"otp": current_code(token_contract, fake_clock)})
    assert response["Location"] == LOGIN
    assert client.get(MENU).status_code == 302
    assert PENDING_LOGIN not in client.session  # ended, not left to be tried again


def test_without_login_otp_chosen_the_password_is_enough(client, make_contract, make_token):
    contract = make_contract()
    make_token(contract, login_otp=False)
    response = password_step(client, contract)
    assert response["Location"] == MENU


def test_expired_token_type_is_refused_at_login_with_the_exchange_message(client, token_contract, fake_clock):
    import datetime

    from otp.models import TokenType

    TokenType.objects.filter(kind="mobile").update(usable_until=datetime.date(2020, 1, 1))
    password_step(client, token_contract)
    response = client.post(LOGIN_OTP, {"otp": current_code(token_contract, fake_clock)})
    assert response.status_code == 200
    assert str(otp_forms.TOKEN_EXPIRED) in response.content.decode()
    assert client.get(MENU).status_code == 302


def test_suspension_between_password_and_code_refuses_the_login(client, token_contract, fake_clock):

    from accounts import locks

    password_step(client, token_contract)
    set_lock(token_contract, "ib_suspension")
    response = client.post(LOGIN_OTP, {"otp": current_code(token_contract, fake_clock)})
    assert response["Location"] == LOGIN
    assert client.get(MENU).status_code == 302
    # The pending login ended with the refusal: lifting the suspension does not revive it.
    locks.lift(token_contract, "ib_suspension", by="test")
    fake_clock.advance(30)  # the next code
    assert client.post(LOGIN_OTP, {"otp": current_code(token_contract, fake_clock)})["Location"] == LOGIN
    assert client.get(MENU).status_code == 302


def test_a_later_login_as_someone_else_clears_the_pending_login(client, token_contract, contract, fake_clock):
    client.post(LOGIN, {"contract_id": token_contract.contract_id, "password": PASSWORD})
    assert client.session.get(PENDING_LOGIN) is not None
    response = client.post(LOGIN, {"contract_id": contract.contract_id, "password": PASSWORD})
    assert response["Location"] == MENU
    assert PENDING_LOGIN not in client.session


def test_the_code_step_reads_the_contract_once(client, token_contract, fake_clock):
    """Nothing is loaded twice (issue 19): the binding's read brings what the login and its notice ask of the
    contract."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.helpers import known_environment

    known_environment(client, token_contract)  # a known environment's login asks notify_known_logins
    password_step(client, token_contract)
    with CaptureQueriesContext(connection) as queries:
        response = client.post(LOGIN_OTP, {"otp": current_code(token_contract, fake_clock)})
    assert response.status_code == 302 and response["Location"] == reverse("accounts-menu")
    reads = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    assert sum('FROM "accounts_contract"' in sql for sql in reads) == 0, reads  # only joined to the binding


@pytest.mark.django_db(transaction=True)
def test_a_login_from_a_new_environment_writes_its_hold_without_savepoints(
    client, token_contract, fake_clock, settings
):
    """The login's writes (record, environment, hold, audit, notice) are one transaction; the lock and hold
    helpers join it without savepoints of their own (round trips that protect nothing). Sessions in the
    cache, as in production (the database store saves a new session in a savepoint of its own)."""
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.models import Lock

    password_step(client, token_contract)  # no environment cookie: a new environment
    with CaptureQueriesContext(connection) as queries:
        response = client.post(LOGIN_OTP, {"otp": current_code(token_contract, fake_clock)})
    assert response["Location"] == reverse("accounts-menu")
    assert Lock.objects.filter(contract=token_contract, kind=Lock.Kind.ENVIRONMENT_HOLD).exists()
    assert not [q["sql"] for q in queries.captured_queries if "SAVEPOINT" in q["sql"]]


def test_the_password_step_reads_the_binding_with_the_contract(client, token_contract):
    """Issue 19: whether the OTP step follows is known from the contract's own query (the binding joined),
    not from a query of its own."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert password_step(client, token_contract)["Location"] == LOGIN_OTP
    selects = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    assert not [sql for sql in selects if 'FROM "ibank_otp_tokenbinding"' in sql], selects
    assert any('FROM "accounts_contract"' in sql and "ibank_otp_tokenbinding" in sql for sql in selects)


def test_a_double_click_overlapping_the_first_goes_to_the_menu_it_logged_in_to(
    client, token_contract, fake_clock, monkeypatch
):
    """The second click evaluates the code after the first logged in with it: not 「使用済み」 on a login page
    whose session the first ended, but the menu, which the first's session opens."""
    from otp import login as otp_login
    from tests.helpers import double_click

    password_step(client, token_contract)
    data = {"otp": current_code(token_contract, fake_clock)}
    _twin, response = double_click(monkeypatch, client, LOGIN_OTP, data, at=(otp_login, "verify"))
    assert response.status_code == 302 and response["Location"] == MENU
    assert client.get(MENU).status_code == 200  # the first click's session, which the browser now has
    assert not AuditEntry.objects.filter(contract=token_contract, outcome="failed").exclude(reason="reused").exists()


def test_a_code_another_login_used_is_still_refused_as_used(client, token_contract, fake_clock):
    """The same code from another pending login (another browser, or a relay): no twin of this one."""
    from django.test import Client

    other = Client()
    password_step(other, token_contract)
    password_step(client, token_contract)
    code = current_code(token_contract, fake_clock)
    assert other.post(LOGIN_OTP, {"otp": code})["Location"] == MENU
    response = client.post(LOGIN_OTP, {"otp": code})
    assert response.status_code == 200 and "使用済み" in response.content.decode()
    assert client.get(MENU).status_code == 302


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_six_clicks_at_once_of_the_code_each_go_to_the_menu_and_log_in_once(token_contract, fake_clock):
    from django.test import Client

    from tests.concurrency import run_concurrently
    from tests.helpers import twin_of

    client = Client()
    password_step(client, token_contract)
    data = {"otp": current_code(token_contract, fake_clock)}
    responses = run_concurrently(lambda _i: twin_of(client).post(LOGIN_OTP, data), 6)
    assert [(r.status_code, r.get("Location")) for r in responses] == [(302, MENU)] * 6
    assert AuditEntry.objects.filter(action="login.otp", contract=token_contract, outcome="ok").count() == 1
    assert not AuditEntry.objects.filter(contract=token_contract, outcome="failed").exclude(reason="reused").exists()


def test_the_code_sent_again_after_the_login_goes_to_the_menu(client, token_contract, fake_clock):
    """The 認証 button pressed again once the first press logged in (the browser holds its session): the menu,
    not 「一定時間が経過したため、ログインを中止しました」 on a login page the customer would log in at again."""
    password_step(client, token_contract)
    data = {"otp": current_code(token_contract, fake_clock)}
    assert client.post(LOGIN_OTP, data)["Location"] == MENU
    again = client.post(LOGIN_OTP, data)
    assert again["Location"] == MENU
    assert str(PENDING_EXPIRED) not in client.get(MENU).content.decode()
    assert AuditEntry.objects.filter(action="login.otp", contract=token_contract).count() == 1


def test_the_code_sent_again_with_the_old_cookie_after_the_login_goes_to_the_menu(client, token_contract, fake_clock):
    """A second press that leaves after the first has logged in carries the pending login's cookie, whose key
    that login replaced: it is sent to the menu (where the browser holds the new session), not told
    「一定時間が経過したため」; the old key logs no one in."""
    from tests.helpers import twin_of

    password_step(client, token_contract)
    second = twin_of(client)  # the same page, its cookie taken before the first press's answer came
    code = current_code(token_contract, fake_clock)
    assert client.post(LOGIN_OTP, {"otp": code})["Location"] == MENU
    response = second.post(LOGIN_OTP, {"otp": code}, follow=True)
    assert response.redirect_chain[0] == (MENU, 302)
    assert str(PENDING_EXPIRED) not in response.content.decode()
    assert response.redirect_chain[-1][0].startswith(LOGIN)  # this cookie is not logged in: the login page
    assert client.get(MENU).status_code == 200
    assert AuditEntry.objects.filter(action="login.otp", contract=token_contract).count() == 1


def test_the_old_cookie_more_than_ten_seconds_after_the_login_is_told_the_login_has_expired(
    client, token_contract, fake_clock
):
    """The mark answers a second press of the same moment only: later, the old cookie's page is an expired
    login as any other."""
    from tests.helpers import twin_of

    password_step(client, token_contract)
    second = twin_of(client)
    code = current_code(token_contract, fake_clock)
    assert client.post(LOGIN_OTP, {"otp": code})["Location"] == MENU
    fake_clock.advance(11)
    response = second.post(LOGIN_OTP, {"otp": code}, follow=True)
    assert response.redirect_chain[0] == (LOGIN, 302)
    assert str(PENDING_EXPIRED) in response.content.decode()
