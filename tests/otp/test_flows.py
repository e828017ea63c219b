"""利用登録 / 交換 / 利用停止 from the login page (SPEC §4.2–§4.4), through the test client."""

import pytest
from django.db import IntegrityError
from django.urls import reverse

from accounts import authorization
from accounts.models import Contract
from auditlog.models import AuditEntry
from notices.outbox import subject
from otp import flows, services, totp
from otp import forms as otp_forms
from otp import messages as otp_messages
from otp.models import SoftwareToken, TokenBinding
from otp.services import token_issue
from tests.conftest import CARD_GRID, PASSWORD, TRANSFER_PASSWORD
from tests.helpers import is_locked, set_lock

REGISTER = reverse("otp-register")
REGISTER_TOKEN = reverse("otp-register-token")
EXCHANGE_OLD = reverse("otp-exchange-old")
EXCHANGE_NEW = reverse("otp-exchange-new")
STOP = reverse("otp-stop")
STOP_OTP = reverse("otp-stop-otp")
RESULT = reverse("otp-result")
LOGIN = reverse("accounts-login")
MENU = reverse("accounts-menu")


def auth(client, url, contract, password=PASSWORD):
    return client.post(url, {"contract_id": contract.contract_id, "password": password})


def code(key, clock, offset=0):
    return totp.hotp(key, totp.time_step(clock.epoch()) + offset)


def register(client, token, key, clock, *, secret=TRANSFER_PASSWORD, login_otp="1", token_id=None, otp=None):
    return client.post(
        REGISTER_TOKEN,
        {
            "token_id": token_id or token.token_id,
            "otp": otp or code(key, clock),
            "login_otp": login_otp,
            "transfer_password": secret,
        },
    )


@pytest.fixture
def issued(db):
    return token_issue(kind="mobile")


# -- registration ------------------------------------------------------------


def test_registration_happy_path(client, contract, issued, fake_clock, mailoutbox, django_capture_on_commit_callbacks):
    token, key = issued
    response = auth(client, REGISTER, contract)
    assert response.status_code == 302 and response["Location"] == REGISTER_TOKEN
    page = client.get(REGISTER_TOKEN).content.decode()
    for text in [
        "ワンタイムパスワード登録情報入力",
        "トークンID",
        "ワンタイムパスワード",
        "認証する",
        "認証しない",
        "資金移動用パスワード",
        ">登録</button>",
        "このページのご利用ガイド",
    ]:
        assert text in page
    assert '<li aria-current="step">ワンタイムパスワード登録情報入力</li>' in page

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = register(client, token, key, fake_clock)
    assert len(callbacks) == 1  # the notice waits for the commit
    assert response.status_code == 302 and response["Location"] == RESULT
    result = client.get(RESULT).content.decode()
    assert "ワンタイムパスワードの利用登録が完了しました。(00002)" in result
    assert "ログイン画面に戻る" in result

    binding = TokenBinding.objects.get(contract=contract)
    assert binding.software_token == token and binding.login_otp is True
    assert binding.last_step == totp.time_step(fake_clock.epoch())  # the code was consumed
    token.refresh_from_db()
    assert token.status == SoftwareToken.Status.ACTIVE
    assert flows.FLOW_KEY not in client.session

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert (
        message.subject == subject("token_registered") == "【さくら架空信用金庫】ワンタイムパスワード利用登録のお知らせ"
    )
    assert message.to == [contract.email]
    for secret in (TRANSFER_PASSWORD, code(key, fake_clock), totp.b32(key), token.token_id, PASSWORD):
        assert secret not in message.body
    assert f"{token.token_id[:4]}****{token.token_id[-4:]}" in message.body

    actions = set(AuditEntry.objects.filter(contract=contract, outcome="ok").values_list("action", flat=True))
    assert {"register.auth", "register.secret", "register.otp", "token.register"} <= actions


def test_wrong_password_at_step_one_counts_toward_the_lock(client, contract):
    for _ in range(5):
        response = auth(client, REGISTER, contract, "Wrong123")
    assert "ログインを停止しています" in response.content.decode()
    contract.refresh_from_db()
    assert is_locked(contract, "login")
    assert AuditEntry.objects.filter(action="register.auth", reason="wrong_password").count() == 5
    assert "ログインを停止しています" in auth(client, LOGIN, contract).content.decode()  # the login is locked too


def test_wrong_code_refused_and_nothing_registered(client, contract, issued, fake_clock, mailoutbox):
    token, key = issued
    auth(client, REGISTER, contract)
    response = register(client, token, key, fake_clock, otp="000000")
    assert response.status_code == 200
    assert response.context["form"].errors["otp"] == [str(otp_messages.OTP_WRONG)]
    assert not TokenBinding.objects.exists()
    token.refresh_from_db()
    assert token.status == SoftwareToken.Status.ISSUED
    assert AuditEntry.objects.filter(action="register.otp", outcome="failed", reason="wrong").count() == 1
    assert mailoutbox == []
    # what was typed is kept, secrets excepted
    html = response.content.decode()
    assert f'value="{token.token_id}"' in html and 'value="000000"' not in html and TRANSFER_PASSWORD not in html


def test_wrong_check_digit_has_its_own_message_and_counts_no_failure(client, contract, issued, fake_clock):
    token, key = issued
    auth(client, REGISTER, contract)
    wrong = token.token_id[:-1] + str((int(token.token_id[-1]) + 1) % 10)
    response = register(client, token, key, fake_clock, token_id=wrong)
    assert response.context["form"].errors["token_id"] == [str(otp_forms.TOKEN_ID_CHECK_DIGIT)]
    contract.refresh_from_db()
    assert (contract.transaction_failures, contract.login_failures) == (0, 0)
    assert not AuditEntry.objects.filter(action__in=["register.otp", "register.secret"]).exists()
    # the code was not consumed: the right token ID with the same code still registers
    assert register(client, token, key, fake_clock)["Location"] == RESULT


def test_token_already_bound_to_another_contract_is_refused(client, contract, stranger, make_token, fake_clock):
    binding, key = make_token(stranger)
    auth(client, REGISTER, contract)
    response = register(client, binding.software_token, key, fake_clock)
    assert response.context["form"].errors["token_id"] == [str(services.TokenAlreadyBound.message)]
    assert TokenBinding.objects.get(software_token=binding.software_token).contract == stranger
    assert not TokenBinding.objects.filter(contract=contract).exists()


def test_stopped_token_can_never_be_registered_again(client, contract, issued, fake_clock):
    token, key = issued
    SoftwareToken.objects.filter(pk=token.pk).update(status=SoftwareToken.Status.RETIRED)
    auth(client, REGISTER, contract)
    response = register(client, token, key, fake_clock)
    assert response.context["form"].errors["token_id"] == [str(services.TokenAlreadyBound.message)]


def test_unknown_token_id_is_refused(client, contract, fake_clock):
    from otp import tokenid

    auth(client, REGISTER, contract)
    response = register(client, None, b"x" * 20, fake_clock, token_id=tokenid.make("SMBL", 4242), otp="123456")
    assert response.context["form"].errors["token_id"] == [str(services.TokenUnknown.message)]


def test_expired_unregistered_token_is_refused(client, contract, issued, fake_clock):
    token, key = issued
    fake_clock.advance(31 * 86400)
    auth(client, REGISTER, contract)
    response = register(client, token, key, fake_clock)
    assert response.context["form"].errors["token_id"] == [str(services.TokenRegistrationExpired.message)]


def test_a_token_of_a_type_past_its_end_of_use_is_not_registered(client, contract, issued, fake_clock):
    """The type policy (admin → トークン種類) ended this type's use: an issued token of it is refused at
    registration with its reason, and the contract stays without a token."""
    import datetime

    from otp.models import TokenType

    token, key = issued
    TokenType.objects.filter(kind="mobile").update(usable_until=datetime.date(2020, 1, 1))
    auth(client, REGISTER, contract)
    response = register(client, token, key, fake_clock)
    assert response.context["form"].errors["token_id"] == [str(services.TokenTypeNotUsable.message)]
    assert not TokenBinding.objects.filter(contract=contract).exists()


def test_one_token_per_contract_is_a_database_rule(contract, make_token):
    make_token(contract)
    other, _ = token_issue(kind="mobile")
    with pytest.raises(IntegrityError):
        TokenBinding.objects.create(user=contract.user, name="x", contract=contract, software_token=other)


def test_a_second_token_for_the_same_contract_is_refused_by_the_service(contract, make_token, issued, fake_clock):
    make_token(contract)
    token, key = issued
    with pytest.raises(services.ContractHasToken):
        services.token_register(
            actor=None, contract=contract, token_id=token.token_id, code=code(key, fake_clock), login_otp=True
        )
    assert TokenBinding.objects.filter(contract=contract).count() == 1


def test_contract_with_a_token_is_led_to_the_exchange(client, token_contract):
    response = auth(client, REGISTER, token_contract)
    assert response["Location"] == EXCHANGE_OLD


def test_wrong_transfer_password_refused_and_counted(client, contract, issued, fake_clock):
    token, key = issued
    auth(client, REGISTER, contract)
    response = register(client, token, key, fake_clock, secret="99999")
    assert response.context["form"].errors["transfer_password"] == [str(authorization.TRANSFER_PASSWORD_WRONG)]
    contract.refresh_from_db()
    assert contract.transaction_failures == 1
    assert not TokenBinding.objects.exists()
    assert register(client, token, key, fake_clock)["Location"] == RESULT  # code not consumed by the refusal
    contract.refresh_from_db()
    assert contract.transaction_failures == 0


def test_five_wrong_transfer_passwords_stop_transactions(client, contract, issued, fake_clock):
    token, key = issued
    auth(client, REGISTER, contract)
    for _ in range(5):
        response = register(client, token, key, fake_clock, secret="99999")
    assert str(authorization.TRANSACTION_LOCKED) in response.content.decode()
    response = register(client, token, key, fake_clock)  # even the right one now
    assert str(authorization.TRANSACTION_LOCKED) in response.content.decode()
    assert not TokenBinding.objects.exists()


def test_card_challenge_wrong_and_unchanged_after_a_reload(client, make_contract, issued, fake_clock):
    card_contract = make_contract(method=Contract.Method.CARD)
    token, key = issued
    auth(client, REGISTER, card_contract)
    first = client.get(REGISTER_TOKEN).context["form"].asked_cells
    assert len(first) == 4
    assert client.get(REGISTER_TOKEN).context["form"].asked_cells == first  # a reload draws no new cells
    wrong = {f"card_{i}": str((int(CARD_GRID[cell]) + 1) % 10) for i, cell in enumerate(first)}
    data = {"token_id": token.token_id, "otp": code(key, fake_clock), "login_otp": "0", **wrong}
    response = client.post(REGISTER_TOKEN, data)
    assert response.context["form"].errors["card_0"] == [str(authorization.CARD_WRONG)]
    assert response.context["form"].asked_cells == first  # a wrong answer keeps the challenge
    card_contract.refresh_from_db()
    assert card_contract.transaction_failures == 1
    right = {f"card_{i}": CARD_GRID[cell] for i, cell in enumerate(first)}
    response = client.post(REGISTER_TOKEN, {**data, **right})
    assert response["Location"] == RESULT
    assert TokenBinding.objects.get(contract=card_contract).login_otp is False


def test_step_two_without_step_one_goes_to_step_one(client, db):
    for url, first in [
        (REGISTER_TOKEN, REGISTER),
        (EXCHANGE_OLD, REGISTER),
        (EXCHANGE_NEW, REGISTER),
        (STOP_OTP, STOP),
    ]:
        response = client.get(url, follow=True)
        assert response.redirect_chain[0] == (first, 302)
        assert str(flows.FLOW_EXPIRED) in response.content.decode()


def test_a_later_step_cannot_be_skipped_to(client, token_contract, issued, fake_clock):
    auth(client, REGISTER, token_contract)  # at the old-token step of the exchange
    response = client.get(EXCHANGE_NEW)
    assert response["Location"] == REGISTER


def _ended_with_no_token(response):
    """The flow ended: back to its start (利用者認証 again), and no token was bound."""
    assert response["Location"] == REGISTER
    assert not TokenBinding.objects.exists()


def test_pending_state_alive_at_300_seconds_and_gone_at_301(client, contract, issued, fake_clock):
    token, key = issued
    auth(client, REGISTER, contract)
    fake_clock.advance(300)
    assert client.get(REGISTER_TOKEN).status_code == 200
    fake_clock.advance(1)
    response = register(client, token, key, fake_clock)
    _ended_with_no_token(response)


def test_flow_state_holds_no_password_or_code(client, contract, issued, fake_clock):
    from otp.flows import FLOW_KEY
    from tests.helpers import stored_session

    token, key = issued
    auth(client, REGISTER, contract)
    register(client, token, key, fake_clock, otp="000000")
    data, raw = stored_session(client)
    assert FLOW_KEY in data  # the flow's own state is what is searched
    for secret in (PASSWORD, "000000", TRANSFER_PASSWORD):
        assert secret not in repr(data) and secret not in raw


def test_registration_with_login_otp_makes_login_ask_for_the_code(client, contract, issued, fake_clock):
    token, key = issued
    auth(client, REGISTER, contract)
    register(client, token, key, fake_clock, login_otp="1")
    assert auth(client, LOGIN, contract)["Location"] == reverse("accounts-login-otp")


def test_registration_without_login_otp_leaves_login_as_is(client, contract, issued, fake_clock):
    token, key = issued
    auth(client, REGISTER, contract)
    register(client, token, key, fake_clock, login_otp="0")
    assert auth(client, LOGIN, contract)["Location"] == MENU


def test_result_page_without_a_flow_goes_to_login(client, db):
    assert client.get(RESULT)["Location"] == LOGIN


# -- exchange ----------------------------------------------------------------


def test_exchange_happy_path(
    client, token_contract, issued, fake_clock, mailoutbox, django_capture_on_commit_callbacks
):
    old_token = token_contract.binding.software_token
    new_token, new_key = issued
    auth(client, REGISTER, token_contract)
    page = client.get(EXCHANGE_OLD).content.decode()
    assert '<li aria-current="step">旧トークンのワンタイムパスワード入力</li>' in page
    response = client.post(EXCHANGE_OLD, {"otp": code(token_contract.key, fake_clock)})
    assert response["Location"] == EXCHANGE_NEW
    page = client.get(EXCHANGE_NEW).content.decode()
    assert '<li aria-current="step">新トークン登録情報入力</li>' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(EXCHANGE_NEW, {"token_id": new_token.token_id, "otp": code(new_key, fake_clock)})
    assert response["Location"] == RESULT
    assert "ワンタイムパスワードの交換が完了しました。(00003)" in client.get(RESULT).content.decode()

    binding = TokenBinding.objects.get(contract=token_contract)
    assert binding.pk == token_contract.binding.pk and binding.software_token == new_token
    assert SoftwareToken.objects.get(pk=old_token.pk).status == SoftwareToken.Status.RETIRED
    assert SoftwareToken.objects.get(pk=new_token.pk).status == SoftwareToken.Status.ACTIVE
    assert [m.subject for m in mailoutbox] == [subject("token_exchanged")]
    assert AuditEntry.objects.filter(action="token.exchange", contract=token_contract).exists()
    # the old token no longer logs in
    client.logout()
    auth(client, LOGIN, token_contract)
    fake_clock.advance(30)
    response = client.post(reverse("accounts-login-otp"), {"otp": code(token_contract.key, fake_clock)})
    assert response.status_code == 200 and client.get(MENU).status_code == 302


def test_old_token_code_wrong_in_exchange_changes_nothing(client, token_contract, issued, fake_clock):
    auth(client, REGISTER, token_contract)
    response = client.post(EXCHANGE_OLD, {"otp": "000000"})
    assert response.context["form"].errors["otp"] == [str(otp_messages.OTP_WRONG)]
    assert client.get(EXCHANGE_NEW)["Location"] == REGISTER  # no way forward
    assert TokenBinding.objects.get(contract=token_contract).software_token == token_contract.binding.software_token


def test_new_token_code_wrong_keeps_the_old_token(client, token_contract, issued, fake_clock):
    new_token, _new_key = issued
    auth(client, REGISTER, token_contract)
    client.post(EXCHANGE_OLD, {"otp": code(token_contract.key, fake_clock)})
    response = client.post(EXCHANGE_NEW, {"token_id": new_token.token_id, "otp": "000000"})
    assert response.context["form"].errors["otp"] == [str(otp_messages.OTP_WRONG)]
    binding = TokenBinding.objects.get(contract=token_contract)
    assert binding.software_token == token_contract.binding.software_token
    assert binding.last_step == totp.time_step(fake_clock.epoch())  # the old token's state is intact
    assert SoftwareToken.objects.get(pk=new_token.pk).status == SoftwareToken.Status.ISSUED
    assert AuditEntry.objects.filter(action="exchange.otp", outcome="failed").count() == 1


def test_reused_code_refused(client, token_contract, fake_clock):
    used = code(token_contract.key, fake_clock)
    auth(client, REGISTER, token_contract)
    assert client.post(EXCHANGE_OLD, {"otp": used})["Location"] == EXCHANGE_NEW
    auth(client, STOP, token_contract)
    response = client.post(STOP_OTP, {"otp": used})
    assert response.context["form"].errors["otp"] == [str(otp_messages.OTP_REUSED)]
    assert TokenBinding.objects.filter(contract=token_contract).exists()


def test_token_past_end_of_use_can_still_be_exchanged(client, token_contract, issued, fake_clock):
    import datetime

    from otp.models import TokenType

    TokenType.objects.filter(kind="mobile").update(usable_until=datetime.date(2020, 1, 1), issuing_open=False)
    desktop_token, desktop_key = token_issue(kind="desktop")
    auth(client, REGISTER, token_contract)
    assert client.post(EXCHANGE_OLD, {"otp": code(token_contract.key, fake_clock)})["Location"] == EXCHANGE_NEW
    response = client.post(EXCHANGE_NEW, {"token_id": desktop_token.token_id, "otp": code(desktop_key, fake_clock)})
    assert response["Location"] == RESULT


def test_the_step_list_marks_the_first_and_the_last_step_and_only_the_steps_between_have_a_time_limit(
    client, token_contract, fake_clock
):
    """利用者認証 is current on the first page and 処理結果 on the result; 「5分以内」 is said on neither."""
    page = client.get(STOP).content.decode()
    assert '<li aria-current="step">利用者認証</li>' in page and page.count('aria-current="step"') == 1
    assert "この画面は5分以内に操作してください。" not in page
    auth(client, STOP, token_contract)
    client.post(STOP_OTP, {"otp": code(token_contract.key, fake_clock)})
    result = client.get(RESULT).content.decode()
    assert '<li aria-current="step">処理結果</li>' in result and result.count('aria-current="step"') == 1
    assert "この画面は5分以内に操作してください。" not in result


# -- stop --------------------------------------------------------------------


def test_stop_happy_path_then_login_needs_no_code_and_transactions_use_the_transfer_password(
    client, token_contract, fake_clock, mailoutbox, django_capture_on_commit_callbacks
):
    assert authorization.method_for(token_contract).key == "otp"
    response = auth(client, STOP, token_contract)
    assert response["Location"] == STOP_OTP
    page = client.get(STOP_OTP).content.decode()
    assert "ワンタイムパスワードを入力し、「停止」ボタンを押してください。" in page
    assert ">停止</button>" in page and ">中止</button>" in page
    assert "この画面は5分以内に操作してください。" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(STOP_OTP, {"otp": code(token_contract.key, fake_clock)})
    assert response["Location"] == RESULT
    result = client.get(RESULT).content.decode()
    assert "ワンタイムパスワードの利用停止が完了しました。(00001)" in result
    assert not TokenBinding.objects.filter(contract=token_contract).exists()
    assert SoftwareToken.objects.get(pk=token_contract.binding.software_token_id).status == SoftwareToken.Status.RETIRED
    assert [m.subject for m in mailoutbox] == [subject("token_stopped")]
    assert AuditEntry.objects.filter(action="token.stop", contract=token_contract).exists()

    assert auth(client, LOGIN, token_contract)["Location"] == MENU
    contract = Contract.objects.get(pk=token_contract.pk)
    assert authorization.method_for(contract).key == Contract.Method.TRANSFER_PASSWORD
    method = authorization.method_for(contract)
    data = {"transfer_password": TRANSFER_PASSWORD}
    assert method.authorize(actor=None, contract=contract, data=data, action="transfer.authorize").ok


def test_stop_without_a_token_says_so_and_leads_to_registration(client, contract):
    response = auth(client, STOP, contract)
    assert response["Location"] == REGISTER_TOKEN
    page = client.get(REGISTER_TOKEN).content.decode()
    assert str(flows.NO_TOKEN) in page and "トークンID" in page


def test_the_current_tokens_id_at_the_exchange_says_it_is_in_use(client, token_contract, fake_clock):
    auth(client, REGISTER, token_contract)
    client.post(reverse("otp-exchange-old"), {"otp": code(token_contract.key, fake_clock)})
    response = client.post(
        reverse("otp-exchange-new"), {"token_id": token_contract.binding.software_token.token_id, "otp": "123456"}
    )
    assert "現在ご利用中のトークンです" in response.content.decode()


def test_stop_with_a_wrong_code_keeps_the_token(client, token_contract, fake_clock):
    auth(client, STOP, token_contract)
    client.post(STOP_OTP, {"otp": "000000"})
    assert TokenBinding.objects.filter(contract=token_contract).exists()
    assert AuditEntry.objects.filter(action="stop.otp", reason="wrong").exists()


def test_a_stop_page_left_open_while_the_token_was_exchanged_says_so_and_stops_nothing(
    client, token_contract, make_token, fake_clock
):
    """The 利用停止's code page was shown for the token the contract then exchanged (in another tab): the code
    sent is for a token the contract no longer has. The page says the registration changed and to start again;
    the new token stays."""
    from otp import services

    auth(client, STOP, token_contract)
    services.unbind(token_contract.binding)
    new, _key = make_token(token_contract)  # the exchange's outcome: another token bound
    response = client.post(STOP_OTP, {"otp": code(token_contract.key, fake_clock)})
    assert response.status_code == 200
    assert str(services.TokenChanged.message) in response.content.decode()
    assert TokenBinding.objects.get(contract=token_contract).pk == new.pk
    assert not AuditEntry.objects.filter(action="token.stop").exists()


def test_an_exchange_page_left_open_while_the_token_was_stopped_says_so_and_binds_nothing(
    client, token_contract, issued, fake_clock
):
    """The exchange's new-token page was reached with the old token's code, then the token was stopped (in
    another tab): the old token the page was for is no longer the contract's. The page says the registration
    changed; no token is bound and the new one stays issued."""
    from otp import services

    new_token, new_key = issued
    auth(client, REGISTER, token_contract)
    assert client.post(EXCHANGE_OLD, {"otp": code(token_contract.key, fake_clock)})["Location"] == EXCHANGE_NEW
    services.unbind(token_contract.binding)
    response = client.post(EXCHANGE_NEW, {"token_id": new_token.token_id, "otp": code(new_key, fake_clock)})
    assert response.status_code == 200
    assert str(services.TokenChanged.message) in response.content.decode()
    assert not TokenBinding.objects.filter(contract=token_contract).exists()
    assert SoftwareToken.objects.get(pk=new_token.pk).status == SoftwareToken.Status.ISSUED
    assert not AuditEntry.objects.filter(action="token.exchange").exists()


@pytest.mark.parametrize("typed", ["right", "wrong"])
def test_a_stop_page_left_open_while_the_branch_reset_the_token_stops_nothing_and_says_so(
    client, token_contract, fake_clock, typed
):
    """The 利用停止's code page was shown, then the branch reset the token (トークンIDのリセット): the token is
    retired and unbound, but not by this page. Whatever code is sent, the page says the registration changed
    and to start again — never 「利用停止が完了しました」 for a stop it did not make."""
    from otp import lost

    auth(client, STOP, token_contract)
    sent = code(token_contract.key, fake_clock) if typed == "right" else "000000"
    lost.token_reset(actor=None, contract=token_contract, reason="test", reference="R1")
    response = client.post(STOP_OTP, {"otp": sent})
    assert response.status_code == 200
    html = response.content.decode()
    assert str(services.TokenChanged.message) in html and "利用停止が完了しました" not in html
    assert not AuditEntry.objects.filter(action="token.stop").exists()


def test_every_flow_page_links_to_its_guide(client, token_contract, fake_clock):
    guide = reverse("otp-guide")
    assert f'href="{guide}#register-auth"' in client.get(REGISTER).content.decode()
    assert f'href="{guide}#stop-auth"' in client.get(STOP).content.decode()
    auth(client, REGISTER, token_contract)
    assert f'href="{guide}#exchange-old"' in client.get(EXCHANGE_OLD).content.decode()
    html = client.get(guide).content.decode()
    for anchor in [
        "register-auth",
        "register-token",
        "exchange-old",
        "exchange-new",
        "stop-auth",
        "stop-otp",
        "result",
    ]:
        assert f'id="{anchor}"' in html
    assert (
        "新しいソフトウェアトークンの利用登録が完了するまでは" in html
        or "新しいトークンの利用登録が完了するまでは" in html
    )


def test_login_page_links_to_the_flows(client, db):
    html = client.get(LOGIN).content.decode()
    assert f'<a href="{REGISTER}">ワンタイムパスワードの利用登録／交換はこちら</a>' in html
    assert f'<a href="{STOP}">ワンタイムパスワードの利用停止はこちら</a>' in html


def test_missing_choice_says_select_and_missing_text_says_enter(client, contract):
    auth(client, REGISTER, contract)
    response = client.post(REGISTER_TOKEN, {})
    errors = response.context["form"].errors
    assert errors["login_otp"] == ["ログイン時のワンタイムパスワード認証を選択してください。"]
    assert errors["token_id"] == ["トークンIDを入力してください。"]
    assert errors["transfer_password"] == ["資金移動用パスワードを入力してください。"]


def test_the_token_pages_name_the_code_and_box_the_token_id_as_it_is_printed(client, contract):
    """「ワンタイムパスワードを入力してください。」, never a field's code name; the トークンID box capitalises what a
    phone types and holds at most 20 characters (SMBL12345678 with room for spaces)."""
    auth(client, REGISTER, contract)
    page = client.get(REGISTER_TOKEN).content.decode()
    assert 'autocapitalize="characters"' in page and 'maxlength="20"' in page
    errors = client.post(REGISTER_TOKEN, {}).context["form"].errors
    assert errors["otp"] == ["ワンタイムパスワードを入力してください。"]


def test_token_id_refusals_are_audited(client, contract, stranger, make_token, fake_clock):
    binding, key = make_token(stranger)
    auth(client, REGISTER, contract)
    register(client, binding.software_token, key, fake_clock)
    entry = AuditEntry.objects.get(action="token_id.check")
    assert (entry.outcome, entry.reason, entry.contract) == ("failed", "TokenAlreadyBound", contract)


def test_menu_tells_a_customer_with_an_expired_token_type_to_exchange(client, make_contract, make_token):
    import datetime

    from otp.models import TokenType

    customer = make_contract()
    make_token(customer, login_otp=False)
    TokenType.objects.filter(kind="mobile").update(usable_until=datetime.date(2020, 1, 1))
    auth(client, LOGIN, customer)
    assert str(otp_messages.TOKEN_EXPIRED) in client.get(MENU).content.decode()


@pytest.mark.parametrize("usable_until", [None, "2099-12-31"])
def test_menu_tells_nothing_of_an_end_of_use_still_ahead(client, make_contract, make_token, usable_until):
    from otp.models import TokenType

    customer = make_contract()
    make_token(customer, login_otp=False)
    TokenType.objects.filter(kind="mobile").update(usable_until=usable_until)
    auth(client, LOGIN, customer)
    page = client.get(MENU).content.decode()
    assert "利用中" in page  # the token panel is shown
    assert str(otp_messages.TOKEN_EXPIRED) not in page


def test_registration_page_links_to_issuance(client, contract):
    auth(client, REGISTER, contract)
    assert f'href="{reverse("otp-issue")}"' in client.get(REGISTER_TOKEN).content.decode()


def test_suspension_between_steps_ends_the_flow(client, contract, issued, fake_clock):

    token, key = issued
    auth(client, REGISTER, contract)
    set_lock(contract, "ib_suspension")  # from another browser
    response = register(client, token, key, fake_clock)
    _ended_with_no_token(response)


def test_result_shows_what_the_flow_did_masked_and_expires(client, contract, issued, fake_clock):
    token, key = issued
    auth(client, REGISTER, contract)
    assert register(client, token, key, fake_clock)["Location"] == RESULT
    page = client.get(RESULT).content.decode()
    assert f"{token.token_id[:4]}****{token.token_id[-4:]}" in page and token.token_id not in page
    # Later the contract's token changes (another session exchanges it): this result still says what it did.
    new, _new_key = token_issue(kind="mobile")
    TokenBinding.objects.filter(contract=contract).update(software_token=new)
    page = client.get(RESULT).content.decode()
    assert new.token_id[-4:] not in page and token.token_id[-4:] in page
    fake_clock.advance(301)
    assert client.get(RESULT)["Location"] == LOGIN


def test_cancel_in_the_middle_of_a_flow_says_cancelled_not_expired(client, token_contract, fake_clock):
    auth(client, STOP, token_contract)
    response = client.post(reverse("otp-cancel"), follow=True)
    page = response.content.decode()
    assert "ワンタイムパスワード利用停止の手続きを中止しました。" in page
    assert "一定時間が経過" not in page
    # the step cannot be resumed
    assert client.get(STOP_OTP)["Location"] == STOP


def test_registration_opens_token_issuance_in_a_new_tab_with_a_warning(client, contract):
    auth(client, REGISTER, contract)
    page = client.get(REGISTER_TOKEN).content.decode()
    assert 'target="_blank"' in page and "このタブに戻って入力してください" in page


def test_a_locked_token_at_the_stop_step_says_so_with_no_code_field(client, token_contract, fake_clock):
    from django.conf import settings

    auth(client, STOP, token_contract)
    for _ in range(5):
        response = client.post(STOP_OTP, {"otp": "000000"})
    html = response.content.decode()
    assert "ワンタイムパスワードによる認証を停止しています" in html and settings.BANK_HELPDESK_PHONE in html
    assert 'name="otp"' not in html
    html = client.get(STOP_OTP).content.decode()
    assert 'name="otp"' not in html and "ワンタイムパスワードによる認証を停止しています" in html
