"""振込 as a customer (or a relay, or a browser's Back and reload) may drive it: any order of 入力, 訂正, 確認,
認証 (right, wrong, twice), 中止 and 結果 over several transfers of one session. Whatever the order: no
server error; money moves only for a transfer authorized after its last 確認, exactly as that 確認 showed
it, once; the books stay balanced."""

import os
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from accounts.models import Account
from ledger.models import JournalEntry
from payments.models import Transfer
from tests.conftest import TRANSFER_PASSWORD
from tests.helpers import login, paid_before
from tests.payments.helpers import NEW, same_bank_data

BALANCE = 100_000
#: sequences a run (``make fuzz`` runs IBANK_FUZZ_EXAMPLES of them)
EXAMPLES = int(os.environ.get("IBANK_FUZZ_EXAMPLES", "20"))
amounts = st.integers(min_value=1, max_value=40_000)


class TransferSequences(RuleBasedStateMachine):
    make_contract = None  # the test's fixture, set before the machine runs

    def __init__(self):
        super().__init__()
        self.payer, self.payee = self.make_contract(balance=BALANCE), self.make_contract(balance=0)
        paid_before(self.payer, self.payee)  # a payee of before: no new payee's cap (its 1 yen kept no balance)
        self.received_before = self._balance(self.payee)
        self.client = Client()
        login(self.client, self.payer)
        self.references: list[str] = []
        self.shown: dict[str, int] = {}  # reference → the amount its last 確認 showed
        self.confirmed: str | None = None  # the transfer this session confirmed last, until it is authorized

    def _post(self, url, data=None):
        response = self.client.post(url, data or {})
        assert response.status_code < 500, (url, response.status_code)
        return response

    @staticmethod
    def _balance(contract) -> int:
        return Account.objects.get(pk=contract.account.pk).balance

    def _transfer(self, reference) -> Transfer:
        return Transfer.objects.get(reference=reference)

    def _enter(self, amount) -> str | None:
        response = self._post(NEW, same_bank_data(self.payer, self.payee, amount))
        if response.status_code == 302 and "/confirm/" in response["Location"]:
            self.references.append(response["Location"].split("/")[2])
            return self.references[-1]
        return None  # refused (the balance, the day's limit): the page says why

    def _correct(self, reference, amount):
        if amount == self._transfer(reference).amount:
            amount += 1  # a correction changes what the transfer moves
        self._post(reverse("transfers-edit", args=[reference]), same_bank_data(self.payer, self.payee, amount))

    def _confirm(self, reference):
        shown = self._transfer(reference).amount  # what the 確認 page shows now
        response = self._post(reverse("transfers-confirm", args=[reference]))
        if response["Location"] == reverse("transfers-authorize", args=[reference]):
            self.shown[reference] = shown
            self.confirmed = reference  # the session keeps one confirmed transfer: the last

    def _authorize(self, reference, *, right=True, twice=False):
        answer = {"transfer_password": TRANSFER_PASSWORD if right else "99999"}
        for _click in range(2 if twice else 1):
            self._post(reverse("transfers-authorize", args=[reference]), answer)
        if reference == self.confirmed and self._transfer(reference).status == Transfer.Status.DONE:
            self.confirmed = None

    def _mostly_confirmed(self, data) -> str:
        """A transfer: mostly the one confirmed last (the one a customer goes on with), sometimes any other."""
        weighted = [self.confirmed] * 3 if self.confirmed else []
        return data.draw(st.sampled_from(weighted + self.references))

    @rule(amount=amounts)
    def enter(self, amount):
        self._enter(amount)

    @rule(amount=amounts)
    def whole(self, amount):
        """入力, 確認 and 認証 in a row, as most customers go."""
        if (reference := self._enter(amount)) is not None:
            self._confirm(reference)
            self._authorize(reference)

    @precondition(lambda self: self.confirmed is not None)
    @rule(amount=amounts)
    def changed_after_confirm(self, amount):
        """A relay (or another tab) corrects the transfer the customer has just confirmed; the customer's 認証
        arrives for what they saw."""
        reference = self.confirmed
        self._correct(reference, amount)
        self._authorize(reference)

    @precondition(lambda self: self.references)
    @rule(data=st.data(), amount=amounts)
    def correct(self, data, amount):
        self._correct(self._mostly_confirmed(data), amount)  # 確認's 戻る, mostly

    @precondition(lambda self: self.references)
    @rule(data=st.data())
    def confirm(self, data):
        self._confirm(data.draw(st.sampled_from(self.references)))

    @precondition(lambda self: self.references)
    @rule(data=st.data(), right=st.sampled_from([True, True, True, False]), twice=st.booleans())
    def authorize(self, data, right, twice):
        self._authorize(self._mostly_confirmed(data), right=right, twice=twice)

    @precondition(lambda self: self.references)
    @rule(data=st.data())
    def cancel(self, data):
        self._post(reverse("transfers-cancel", args=[data.draw(st.sampled_from(self.references))]))
        self.confirmed = None  # 中止 ends the session's confirmation, whichever transfer it names

    @precondition(lambda self: self.references)
    @rule(data=st.data())
    def result(self, data):
        reference = data.draw(st.sampled_from(self.references))
        assert self.client.get(reverse("transfers-result", args=[reference])).status_code < 500

    @invariant()
    def money_moves_once_as_confirmed(self):
        done = Transfer.objects.filter(reference__in=self.references, status=Transfer.Status.DONE)
        for transfer in done:
            assert self.shown[transfer.reference] == transfer.amount  # confirmed, and as its last 確認 showed
            assert JournalEntry.objects.filter(pk=transfer.entry_id).count() == 1
        moved = sum(transfer.total for transfer in done)
        assert self._balance(self.payer) == BALANCE - moved
        assert self._balance(self.payee) == self.received_before + sum(t.amount for t in done)

    def teardown(self):
        call_command("check_ledger", stdout=StringIO(), stderr=StringIO())


@pytest.mark.django_db
def test_any_order_of_the_steps_moves_money_once_as_confirmed(make_contract):
    TransferSequences.make_contract = staticmethod(make_contract)
    run_state_machine_as_test(
        TransferSequences,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
