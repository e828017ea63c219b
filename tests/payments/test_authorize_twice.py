"""A right answer sent twice at 認証, the second finding it used before the first has moved the money: two
clicks overlapping to the millisecond, or a tap sent again by a phone's browser. Both must end on the result
with the money moved once, never on 「使用済み」 or 「既に認証されています」 while the money moves."""

import re
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Account, Contract
from auditlog.models import AuditEntry
from ledger.models import JournalEntry
from otp import totp
from payments import payeasy, services
from payments.models import Payment, Transfer
from tests.concurrency import run_concurrently
from tests.conftest import CARD_GRID, PASSWORD
from tests.helpers import answered_after, card_answer_as_sent, card_fields_named, known_environment, payee_of, twin_of
from tests.payments.helpers import confirm, enter, login, same_bank_data

USED = ("このワンタイムパスワードは使用済みです。", "このお取引は既に認証されています。")
BILL = {"customer_number": "12345678901234", "confirmation_number": "1234"}


@dataclass
class AtAuthorization:
    contract: Contract
    client: Client
    url: str
    answer: dict
    result: str
    obj: Transfer | Payment


def _answer(client, url, key, fake_clock) -> dict:
    if key is not None:
        return {"otp": totp.totp(key, fake_clock.t)}
    return card_answer_as_sent(client.get(url).content.decode(), CARD_GRID)  # what the page sends, as a browser would


def _customer(make_contract, make_token, method):
    """A customer of ``method`` ("otp": a token bound yesterday; "card"): (contract, the token's key or None)."""
    if method == "otp":
        contract = make_contract()
        _binding, key = make_token(contract, login_otp=False, bound_days_ago=1)
        return contract, key
    return make_contract(method=Contract.Method.CARD), None


def _transfer(client, contract, payee, key, fake_clock) -> AtAuthorization:
    login(client, contract)
    _response, transfer = enter(client, same_bank_data(contract, payee, amount=1_000))
    confirm(client, transfer)
    url = reverse("transfers-authorize", args=[transfer.reference])
    result = reverse("transfers-result", args=[transfer.reference])
    return AtAuthorization(contract, client, url, _answer(client, url, key, fake_clock), result, transfer)


def _payment(client, contract, key, fake_clock, *, mobile=False) -> AtAuthorization:
    prefix = "mobile-" if mobile else ""
    if mobile:
        known_environment(client, contract)
        client.post(reverse("mobile-login"), {"contract_id": contract.contract_id, "password": PASSWORD})
    else:
        login(client, contract)
    client.post(reverse(f"{prefix}payeasy-new"), {"biller_number": "58001"})
    response = client.post(reverse(f"{prefix}payeasy-numbers"), {"from_account": contract.account.pk, **BILL})
    payment = Payment.objects.get(contract=contract)
    client.post(response["Location"])
    url = reverse(f"{prefix}payeasy-authorize", args=[payment.reference])
    result = reverse(f"{prefix}payeasy-result", args=[payment.reference])
    return AtAuthorization(contract, client, url, _answer(client, url, key, fake_clock), result, payment)


def _mobile_transfer(client, contract, payee, fake_clock) -> AtAuthorization:
    known_environment(client, contract)
    client.post(reverse("mobile-login"), {"contract_id": contract.contract_id, "password": PASSWORD})
    registered = payee_of(contract, payee.account)
    response = client.post(
        reverse("mobile-transfer-input", args=[registered.pk]), {"from_account": contract.account.pk, "amount": "1000"}
    )
    transfer = Transfer.objects.get(contract=contract)
    client.post(response["Location"])
    url = reverse("mobile-transfer-authorize", args=[transfer.reference])
    result = reverse("mobile-transfer-result", args=[transfer.reference])
    return AtAuthorization(contract, client, url, _answer(client, url, None, fake_clock), result, transfer)


CASES = {
    "振込 with the OTP": ("otp", lambda c, k, p, f: _transfer(Client(), c, p, k, f), (services, "transfer_execute")),
    "振込 with the card": ("card", lambda c, k, p, f: _transfer(Client(), c, p, k, f), (services, "transfer_execute")),
    "Pay-easy with the OTP": ("otp", lambda c, k, p, f: _payment(Client(), c, k, f), (payeasy, "payment_execute")),
    "/m/ 振込 with the card": (
        "card",
        lambda c, k, p, f: _mobile_transfer(Client(), c, p, f),
        (services, "transfer_execute"),
    ),
    "/m/ Pay-easy with the card": (
        "card",
        lambda c, k, p, f: _payment(Client(), c, k, f, mobile=True),
        (payeasy, "payment_execute"),
    ),
}


def _moved_once(at: AtAuthorization, *responses):
    for response in responses:
        page = response.content.decode() if response.status_code == 200 else ""
        told = [used for used in USED if used in page]
        assert response.status_code == 302 and response["Location"] == at.result, (response.status_code, told)
    assert JournalEntry.objects.filter(reference=at.obj.reference).count() == 1
    assert Account.objects.get(pk=at.contract.account.pk).balance < 100_000
    assert Contract.objects.get(pk=at.contract.pk).transaction_failures == 0
    reasons = AuditEntry.objects.filter(action__endswith=".authorize", contract=at.contract)
    assert "wrong" not in set(reasons.values_list("reason", flat=True))


@pytest.mark.parametrize("case", CASES)
def test_the_second_click_before_the_money_moved_ends_on_the_result(
    case, make_contract, make_token, stranger, billers, fake_clock, monkeypatch
):
    method, reach, executes_at = CASES[case]
    contract, key = _customer(make_contract, make_token, method)
    at = reach(contract, key, stranger, fake_clock)
    twin = twin_of(at.client)
    seconds = []
    # The first click's answer is accepted; before it moves the money, the second click arrives whole.
    answered_after(monkeypatch, lambda: seconds.append(twin.post(at.url, at.answer)), at=executes_at)
    first = at.client.post(at.url, at.answer)
    assert len(seconds) == 1
    _moved_once(at, seconds[0], first)
    assert at.client.get(at.result).status_code == 200


def _cells(html: str) -> tuple[list[str], list[str] | None]:
    """(the cells a card page names in its labels, the cells its form sends back: None if it sends none)."""
    named = [cell for _field, cell in card_fields_named(html)]
    sent = re.search(r'<input type="hidden" name="card_cells" value="([^"]*)"', html)
    return named, sent.group(1).split() if sent else None


def _token_registration(client, contract) -> str:
    client.post(reverse("otp-register"), {"contract_id": contract.contract_id, "password": PASSWORD})
    return reverse("otp-register-token")


def _phone_password_change(client, contract) -> str:
    known_environment(client, contract)
    client.post(reverse("mobile-login"), {"contract_id": contract.contract_id, "password": PASSWORD})
    return reverse("mobile-password")


CARD_PAGES = {
    "振込": lambda client, contract, payee, clock: _transfer(client, contract, payee, None, clock).url,
    "/m/ 振込": lambda client, contract, payee, clock: _mobile_transfer(client, contract, payee, clock).url,
    "/m/ Pay-easy": lambda client, contract, payee, clock: _payment(client, contract, None, clock, mobile=True).url,
    "トークンの利用登録": lambda client, contract, payee, clock: _token_registration(client, contract),
    "/m/ ログインパスワード変更": lambda client, contract, payee, clock: _phone_password_change(client, contract),
}


@pytest.mark.parametrize("name", CARD_PAGES)
def test_every_card_page_sends_back_the_cells_it_names_even_after_a_refusal(
    name, client, make_contract, stranger, billers, fake_clock
):
    """The cells sent back are what lets a second submission of the right answer be recognised (not counted
    as a wrong one); before, no page sent them. Shown again after a refusal whose post named other cells, the
    page still sends back the cells its labels name: the customer's next answer is checked against those."""
    contract = make_contract(method=Contract.Method.CARD)
    url = CARD_PAGES[name](client, contract, stranger, fake_clock)
    named, sent = _cells(client.get(url).content.decode())
    assert len(named) == 4 and sent == named
    others = [cell for cell in CARD_GRID if cell not in named][:4]
    wrong = {f"card_{i}": str((int(CARD_GRID[cell]) + 1) % 10) for i, cell in enumerate(others)}
    response = client.post(url, {"card_cells": " ".join(others), **wrong, "token_id": "x", "otp": "1"})
    assert response.status_code == 200
    assert _cells(response.content.decode()) == (named, named)


def test_an_answer_used_for_an_earlier_confirmation_of_the_same_transfer_authorizes_nothing(
    client, make_contract, make_token, stranger, fake_clock
):
    """A code accepted for this transfer as confirmed before (its execution refused: the balance was short),
    sent again once the same content is confirmed anew, is a used code: it must not pay the new confirmation."""
    contract, key = _customer(make_contract, make_token, "otp")
    login(client, contract)
    _response, transfer = enter(client, same_bank_data(contract, stranger, amount=1_000))
    confirm(client, transfer)
    digest = Transfer.objects.get(pk=transfer.pk).digest
    authorize = reverse("transfers-authorize", args=[transfer.reference])
    code = totp.totp(key, fake_clock.t)
    Account.objects.filter(pk=contract.account.pk).update(balance=500)
    refused = client.post(authorize, {"otp": code})
    assert refused["Location"] == reverse("transfers-edit", args=[transfer.reference])
    Account.objects.filter(pk=contract.account.pk).update(balance=100_000)
    fake_clock.advance(5)  # a later confirmation; the code is still within the verifier's window, as used
    client.post(reverse("transfers-edit", args=[transfer.reference]), same_bank_data(contract, stranger, amount=1_000))
    confirm(client, transfer)
    assert Transfer.objects.get(pk=transfer.pk).digest == digest  # the same content: the same digest
    response = client.post(authorize, {"otp": code})
    assert response.status_code == 200 and USED[0] in response.content.decode()
    assert not JournalEntry.objects.filter(reference=transfer.reference).exists()
    assert Account.objects.get(pk=contract.account.pk).balance == 100_000


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_six_clicks_at_once_with_the_otp_all_end_on_the_result(make_contract, make_token, stranger, fake_clock):
    contract, key = _customer(make_contract, make_token, "otp")
    at = _transfer(Client(), contract, stranger, key, fake_clock)

    def click(_i):
        return twin_of(at.client).post(at.url, at.answer)

    _moved_once(at, *run_concurrently(click, 6))
