"""利用登録 / 交換 / 利用停止 submitted twice by a double click: the second request is answered as the first
was (its result), never with "this token is in use", "the token changed" or "the code was used", which the
customer would take for a registration or stop not made; a wrong guess in it still counts."""

import pytest

from accounts.models import Contract
from auditlog.models import AuditEntry
from otp import flows, services
from otp.models import SoftwareToken, TokenBinding
from otp.services import token_issue
from tests.conftest import CARD_GRID, TRANSFER_PASSWORD
from tests.helpers import card_answer_as_sent, double_click, twin_of
from tests.otp.test_flows import (
    EXCHANGE_NEW,
    EXCHANGE_OLD,
    REGISTER,
    REGISTER_TOKEN,
    RESULT,
    STOP,
    STOP_OTP,
    auth,
    code,
)


@pytest.fixture
def issued(db):
    return token_issue(kind="mobile")


def _register_data(token, key, clock, **changes):
    data = {
        "token_id": token.token_id,
        "otp": code(key, clock),
        "login_otp": "1",
        "transfer_password": TRANSFER_PASSWORD,
    }
    return {**data, **changes}


def _answered_as_the_first(twin, response, told):
    assert response["Location"] == RESULT
    assert told in twin.get(RESULT).content.decode()


def test_registration_overlapping(client, contract, issued, fake_clock, monkeypatch):
    token, key = issued
    auth(client, REGISTER, contract)
    data = _register_data(token, key, fake_clock)
    twin, response = double_click(monkeypatch, client, REGISTER_TOKEN, data, at=(services, "token_register"))
    _answered_as_the_first(twin, response, "ワンタイムパスワードの利用登録が完了しました。")
    assert TokenBinding.objects.get(contract=contract).software_token == token
    assert AuditEntry.objects.filter(action="token.register", contract=contract).count() == 1
    assert not AuditEntry.objects.filter(contract=contract, outcome="failed").exclude(reason="reused").exists()


def test_registration_after_the_first_answered(client, contract, issued, fake_clock):
    token, key = issued
    auth(client, REGISTER, contract)
    twin = twin_of(client)
    data = _register_data(token, key, fake_clock)
    assert client.post(REGISTER_TOKEN, data)["Location"] == RESULT
    _answered_as_the_first(twin, twin.post(REGISTER_TOKEN, data), "ワンタイムパスワードの利用登録が完了しました。")


def test_a_registration_with_a_wrong_code_after_the_first_is_a_counted_guess(
    client, contract, issued, fake_clock, monkeypatch
):
    token, key = issued
    auth(client, REGISTER, contract)
    first = _register_data(token, key, fake_clock)
    wrong = _register_data(token, key, fake_clock, otp="000000")
    _twin, response = double_click(
        monkeypatch, client, REGISTER_TOKEN, wrong, first=first, at=(services, "token_register")
    )
    assert response.status_code == 200 and "利用登録が完了しました" not in response.content.decode()
    assert TokenBinding.objects.get(contract=contract).failures == 1


def test_exchange_overlapping(client, token_contract, issued, fake_clock, monkeypatch):
    new_token, new_key = issued
    auth(client, REGISTER, token_contract)
    assert client.post(EXCHANGE_OLD, {"otp": code(token_contract.key, fake_clock)})["Location"] == EXCHANGE_NEW
    fake_clock.advance(30)
    data = {"token_id": new_token.token_id, "otp": code(new_key, fake_clock)}
    twin, response = double_click(monkeypatch, client, EXCHANGE_NEW, data, at=(services, "token_exchange"))
    _answered_as_the_first(twin, response, "ワンタイムパスワードの交換が完了しました。")
    assert TokenBinding.objects.get(contract=token_contract).software_token == new_token
    assert AuditEntry.objects.filter(action="token.exchange", contract=token_contract).count() == 1


def test_the_old_tokens_step_overlapping_goes_on_to_the_new_token(client, token_contract, fake_clock, monkeypatch):
    """交換's first step sent twice: the second finds the old token's code used by the first and goes on to the
    new token's page as the first did, neither told 「使用済み」 nor counted as a wrong code."""
    auth(client, REGISTER, token_contract)
    data = {"otp": code(token_contract.key, fake_clock)}
    twin, response = double_click(monkeypatch, client, EXCHANGE_OLD, data, at=(flows, "verify"))
    assert response.status_code == 302 and response["Location"] == EXCHANGE_NEW
    assert twin.get(EXCHANGE_NEW).status_code == 200
    binding = TokenBinding.objects.get(contract=token_contract)
    assert binding.failures == 0
    assert not AuditEntry.objects.filter(contract=token_contract, outcome="failed").exclude(reason="reused").exists()


def test_the_current_token_typed_as_the_new_one_is_still_refused(client, token_contract, fake_clock):
    """With the code the old step used: the current token's right code, already used, is no twin's doing."""
    auth(client, REGISTER, token_contract)
    client.post(EXCHANGE_OLD, {"otp": code(token_contract.key, fake_clock)})
    current = token_contract.binding.software_token.token_id
    response = client.post(EXCHANGE_NEW, {"token_id": current, "otp": code(token_contract.key, fake_clock)})
    assert response.status_code == 200 and "現在ご利用中のトークンです" in response.content.decode()


def test_stop_overlapping(client, token_contract, fake_clock, monkeypatch):
    auth(client, STOP, token_contract)
    data = {"otp": code(token_contract.key, fake_clock)}
    twin, response = double_click(monkeypatch, client, STOP_OTP, data, at=(flows, "verify"))
    _answered_as_the_first(twin, response, "ワンタイムパスワードの利用停止が完了しました。")
    assert not TokenBinding.objects.filter(contract=token_contract).exists()
    assert AuditEntry.objects.filter(action="token.stop", contract=token_contract).count() == 1


def test_stop_after_the_first_answered(client, token_contract, fake_clock):
    auth(client, STOP, token_contract)
    twin = twin_of(client)
    data = {"otp": code(token_contract.key, fake_clock)}
    assert client.post(STOP_OTP, data)["Location"] == RESULT
    _answered_as_the_first(twin, twin.post(STOP_OTP, data), "ワンタイムパスワードの利用停止が完了しました。")
    assert AuditEntry.objects.filter(action="token.stop", contract=token_contract).count() == 1


def test_a_wrong_stop_code_keeps_the_token_and_says_so(client, token_contract, fake_clock):
    auth(client, STOP, token_contract)
    response = client.post(STOP_OTP, {"otp": "000000"})
    assert response.status_code == 200 and TokenBinding.objects.filter(contract=token_contract).exists()
    assert SoftwareToken.objects.get(pk=token_contract.binding.software_token_id).status == SoftwareToken.Status.ACTIVE


def _six_at_once(client, url, data):
    from tests.concurrency import run_concurrently

    responses = run_concurrently(lambda _i: twin_of(client).post(url, data), 6)
    return [(r.status_code, r.get("Location")) for r in responses]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_six_registrations_at_once_each_end_on_the_result(client, contract, issued, fake_clock):
    token, key = issued
    auth(client, REGISTER, contract)
    assert _six_at_once(client, REGISTER_TOKEN, _register_data(token, key, fake_clock)) == [(302, RESULT)] * 6
    assert AuditEntry.objects.filter(action="token.register", contract=contract).count() == 1
    # No guess counted. (A twin whose token ID was checked after the first bound it has that check audited as
    # refused: the token was this contract's by then. It counts toward nothing.)
    assert TokenBinding.objects.get(contract=contract).failures == 0
    assert not AuditEntry.objects.filter(contract=contract, outcome="failed", reason="wrong").exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_six_exchanges_at_once_each_end_on_the_result(client, token_contract, issued, fake_clock):
    new_token, new_key = issued
    auth(client, REGISTER, token_contract)
    assert client.post(EXCHANGE_OLD, {"otp": code(token_contract.key, fake_clock)})["Location"] == EXCHANGE_NEW
    fake_clock.advance(30)
    data = {"token_id": new_token.token_id, "otp": code(new_key, fake_clock)}
    assert _six_at_once(client, EXCHANGE_NEW, data) == [(302, RESULT)] * 6
    assert AuditEntry.objects.filter(action="token.exchange", contract=token_contract).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_six_stops_at_once_each_end_on_the_result(client, token_contract, fake_clock):
    auth(client, STOP, token_contract)
    assert _six_at_once(client, STOP_OTP, {"otp": code(token_contract.key, fake_clock)}) == [(302, RESULT)] * 6
    assert AuditEntry.objects.filter(action="token.stop", contract=token_contract).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_six_clicks_at_once_of_the_old_tokens_code_each_lead_to_the_new_token(client, token_contract, fake_clock):
    auth(client, REGISTER, token_contract)
    data = {"otp": code(token_contract.key, fake_clock)}
    assert _six_at_once(client, EXCHANGE_OLD, data) == [(302, EXCHANGE_NEW)] * 6
    assert not AuditEntry.objects.filter(contract=token_contract, outcome="failed").exclude(reason="reused").exists()


def test_a_code_accepted_in_an_earlier_exchange_is_used_in_this_one(client, token_contract, fake_clock):
    """An exchange left at its second step and begun again: the old token's code of the first attempt is a
    used code at the second, not the same answer sent twice."""
    auth(client, REGISTER, token_contract)
    used = {"otp": code(token_contract.key, fake_clock)}
    assert client.post(EXCHANGE_OLD, used)["Location"] == EXCHANGE_NEW
    fake_clock.advance(5)  # the code is still within the verifier's window, as used
    auth(client, REGISTER, token_contract)
    response = client.post(EXCHANGE_OLD, used)
    assert response.status_code == 200 and "使用済み" in response.content.decode()


def test_the_old_tokens_step_sent_again_after_the_first_moved_on_leads_to_the_new_token(
    client, token_contract, fake_clock
):
    """The second click arrives once the first has moved the flow on: the new token's page, not 「一定時間が経過
    したか、手順が正しくないため」 and 利用者認証 again."""
    auth(client, REGISTER, token_contract)
    twin = twin_of(client)
    data = {"otp": code(token_contract.key, fake_clock)}
    assert client.post(EXCHANGE_OLD, data)["Location"] == EXCHANGE_NEW
    again = twin.post(EXCHANGE_OLD, data)
    assert again["Location"] == EXCHANGE_NEW
    assert "最初からやり直してください" not in twin.get(EXCHANGE_NEW).content.decode()
    assert not AuditEntry.objects.filter(contract=token_contract, action="exchange.old_otp", outcome="failed").exists()


@pytest.mark.parametrize("overlapping", [True, False], ids=["overlapping", "after the first answered"])
def test_a_card_customers_registration_sent_twice_is_answered_as_the_first(
    overlapping, client, make_contract, issued, fake_clock, monkeypatch
):
    """With the お客様カード, the form as the page sends it (the cells it asked come back with the digits): the
    second request is answered as the first, and the card's right answer is never counted as a wrong one."""
    contract = make_contract(method=Contract.Method.CARD)
    token, key = issued
    auth(client, REGISTER, contract)
    page = client.get(REGISTER_TOKEN).content.decode()
    typed = {"token_id": token.token_id, "otp": code(key, fake_clock), "login_otp": "1"}
    data = card_answer_as_sent(page, CARD_GRID) | typed
    if overlapping:
        twin, response = double_click(monkeypatch, client, REGISTER_TOKEN, data, at=(services, "token_register"))
    else:
        twin = twin_of(client)
        assert client.post(REGISTER_TOKEN, data)["Location"] == RESULT
        response = twin.post(REGISTER_TOKEN, data)
    _answered_as_the_first(twin, response, "ワンタイムパスワードの利用登録が完了しました。")
    assert TokenBinding.objects.get(contract=contract).software_token == token
    assert Contract.objects.get(pk=contract.pk).transaction_failures == 0
    assert not AuditEntry.objects.filter(contract=contract, reason="wrong").exists()
