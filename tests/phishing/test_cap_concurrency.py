"""The new payee's cap under racing transfers, on PostgreSQL (separate connections)."""

import pytest
from django.db.models import Sum

from accounts.models import Account, DailyUsage
from payments import new_payees, services
from payments.models import Transfer
from tests.concurrency import run_concurrently
from tests.payments.helpers import confirmed_other_bank

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_racing_transfers_to_a_new_payee_never_pass_its_cap_together(make_contract):
    rich = make_contract(balance=2_000_000)  # no token: 200,000 a day; the new payee's cap is 100,000

    pairs = [confirmed_other_bank(rich, 60_000) for _ in range(4)]  # each alone fits under the cap

    def execute(i):
        transfer, digest = pairs[i]
        try:
            services.transfer_execute(actor=None, contract=rich, transfer=transfer, digest=digest)
        except new_payees.NewPayeeCap:
            return "capped"
        return "moved"

    assert sorted(run_concurrently(execute, 4)) == ["capped"] * 3 + ["moved"]
    assert Transfer.objects.filter(contract=rich, status__in=Transfer.EXECUTED).count() == 1
    assert Account.objects.get(pk=rich.account.pk).balance == 2_000_000 - 60_000 - 440
    usage = DailyUsage.objects.filter(contract=rich).exclude(scope="").aggregate(s=Sum("used"))["s"]
    assert usage == 60_000
