"""Guesses racing the lock they count toward, and answers sent twice (issue 15's outside attack)."""

import time

import pytest
from django.test import Client
from django.urls import reverse

from accounts import authorization
from accounts.models import Contract, Lock
from auditlog.models import AuditEntry
from ledger.models import JournalEntry
from otp import totp
from otp.models import TokenBinding
from payments import payeasy
from payments.models import Transfer
from payments.services import today
from tests.concurrency import posted_at_once, run_concurrently
from tests.conftest import CARD_GRID, PASSWORD
from tests.helpers import login
from tests.payments.helpers import confirm, enter, same_bank_data


def _card_answer(form):
    return {f"card_{i}": CARD_GRID[cell] for i, cell in enumerate(form.asked_cells)} | {
        "card_cells": " ".join(form.asked_cells)
    }


def test_the_card_answer_sent_twice_is_recognised_not_counted(make_contract):
    contract = make_contract(method=Contract.Method.CARD)
    method = authorization.method_for(contract)
    form = authorization.AuthorizationForm(method=method, contract=contract)
    data = _card_answer(form)
    first = method.authorize(actor=None, contract=contract, data=data, action="transfer.authorize")
    again = Contract.objects.get(pk=contract.pk)
    second = method.authorize(actor=None, contract=again, data=data, action="transfer.authorize")
    assert first.ok and not second.ok and second.reused and not second.locked
    assert Contract.objects.get(pk=contract.pk).transaction_failures == 0
    reasons = list(AuditEntry.objects.filter(action="transfer.authorize").values_list("reason", flat=True))
    assert sorted(reasons) == ["", "reused"]  # audited as a double submission, never as wrong


def _at_card_authorization(make_contract, stranger):
    """A card customer logged in, a transfer confirmed: (contract, client, transfer, 認証's URL, the right answer)."""
    card = make_contract(method=Contract.Method.CARD)
    client = Client()
    login(client, card)
    _response, transfer = enter(client, same_bank_data(card, stranger, amount=1_000))
    confirm(client, transfer)
    url = reverse("transfers-authorize", args=[transfer.reference])
    return card, client, transfer, url, _card_answer(client.get(url).context["form"])


def test_a_wrong_answer_to_the_answered_challenge_still_counts(make_contract):
    contract = make_contract(method=Contract.Method.CARD)
    method = authorization.method_for(contract)
    data = _card_answer(authorization.AuthorizationForm(method=method, contract=contract))
    assert method.authorize(actor=None, contract=contract, data=data, action="transfer.authorize").ok
    wrong = {**data, "card_0": str((int(data["card_0"]) + 1) % 10)}
    outcome = method.authorize(actor=None, contract=contract, data=wrong, action="transfer.authorize")
    assert not outcome.ok and not outcome.reused
    assert Contract.objects.get(pk=contract.pk).transaction_failures == 1


def test_an_answer_for_cells_of_the_senders_choosing_is_wrong(make_contract):
    """The page sends back which cells it asked, so that a double submission is recognised; an attacker who
    knows a few cells (a photo of the card) cannot name those instead: right digits for cells other than the
    pending challenge (or the one answered last) are a wrong answer, counted, and the challenge stays."""
    contract = make_contract(method=Contract.Method.CARD)
    method = authorization.method_for(contract)
    asked = authorization.AuthorizationForm(method=method, contract=contract).asked_cells
    chosen = [cell for cell in CARD_GRID if cell not in asked][:4]
    data = {f"card_{i}": CARD_GRID[cell] for i, cell in enumerate(chosen)} | {"card_cells": " ".join(chosen)}
    outcome = method.authorize(actor=None, contract=contract, data=data, action="transfer.authorize")
    assert not outcome.ok and not outcome.reused
    fresh = Contract.objects.get(pk=contract.pk)
    assert fresh.transaction_failures == 1 and fresh.card_challenge_cells() == asked


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_five_simultaneous_right_card_answers_move_money_once_and_count_nothing(make_contract, stranger):
    card, client, transfer, url, data = _at_card_authorization(make_contract, stranger)
    statuses = posted_at_once(client, url, data, 5)
    assert statuses == [302] * 5  # each on the result: none told 「既に認証されています」 while the money moves
    assert JournalEntry.objects.filter(reference=transfer.reference).count() == 1
    assert Transfer.objects.get(pk=transfer.pk).is_executed
    assert Contract.objects.get(pk=card.pk).transaction_failures == 0
    assert not AuditEntry.objects.filter(action="transfer.authorize", reason="wrong").exists()
    assert not Lock.objects.filter(contract=card).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_burst_of_wrong_pay_easy_entries_after_nine_evaluates_one_more(contract, billers, rf):
    on = today()
    Contract.objects.filter(pk=contract.pk).update(payeasy_failures=9, payeasy_failure_date=on)
    biller = billers["private"]

    def lookup(i):
        if i == 12:  # the right numbers, sent just after the burst
            time.sleep(0.3)
            numbers = {"customer_number": "12345678901234", "confirmation_number": "1234"}
        else:
            numbers = {"customer_number": "12345678901234", "confirmation_number": f"{i:04d}"}
            if numbers["confirmation_number"] == "1234":
                numbers["confirmation_number"] = "9999"
        try:
            payeasy.bill_lookup(actor=None, contract=Contract.objects.get(pk=contract.pk), biller=biller, **numbers)
        except payeasy.Blocked:
            return "blocked"
        except payeasy.WrongNumbers:
            return "wrong"
        return "accepted"

    results = run_concurrently(lookup, 13)
    assert results[12] == "blocked"  # the right answer came after the 10th wrong one: refused
    assert results[:12].count("wrong") + results[:12].count("blocked") == 12
    evaluated = AuditEntry.objects.filter(action="payeasy.input", reason="wrong_numbers", contract=contract)
    assert evaluated.count() == 1  # exactly one more guess was evaluated and counted
    assert Lock.objects.filter(contract=contract, kind=Lock.Kind.PAYEASY).count() == 1
    assert AuditEntry.objects.filter(action="payeasy.block", contract=contract).count() == 1
    assert Contract.objects.get(pk=contract.pk).payeasy_failures == 10


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_thirty_two_simultaneous_stops_with_valid_codes_stop_once_without_an_error(token_contract, fake_clock):
    clients = []
    for _ in range(32):
        client = Client()
        response = client.post(reverse("otp-stop"), {"contract_id": token_contract.contract_id, "password": PASSWORD})
        assert response["Location"] == reverse("otp-stop-otp")
        clients.append(client)
    # The codes of the previous, the current and the next step are all valid: up to three are accepted.
    codes = [totp.totp(token_contract.key, fake_clock.t + 30 * (i % 3 - 1)) for i in range(32)]

    def stop(i):
        return clients[i].post(reverse("otp-stop-otp"), {"otp": codes[i]}).status_code

    statuses = run_concurrently(stop, 32)
    assert all(isinstance(status, int) and status < 500 for status in statuses), statuses
    assert not TokenBinding.objects.filter(contract=token_contract).exists()
    assert AuditEntry.objects.filter(action="token.stop", contract=token_contract).count() == 1


def test_the_card_answer_sent_again_while_the_first_executes_shows_the_result(make_contract, stranger, monkeypatch):
    """The second of two submissions of one right answer, read before the first moved the money, finds the
    answer used: it is shown the transfer's result, not the form with an error."""
    card, client, transfer, url, data = _at_card_authorization(make_contract, stranger)
    first_submission = Client()
    first_submission.cookies = client.cookies
    real = authorization.CardMethod.authorize

    def the_first_wins_meanwhile(self, **kwargs):
        monkeypatch.setattr(authorization.CardMethod, "authorize", real)
        assert first_submission.post(url, data).status_code == 302  # the first one: accepted, executed
        return real(self, **kwargs)  # this one: the same answer, now used

    monkeypatch.setattr(authorization.CardMethod, "authorize", the_first_wins_meanwhile)
    response = client.post(url, data)
    assert response.status_code == 302
    assert response["Location"] == reverse("transfers-result", args=[transfer.reference])
    assert JournalEntry.objects.filter(reference=transfer.reference).count() == 1
    assert Contract.objects.get(pk=card.pk).transaction_failures == 0
