"""On /m/ a passkey cannot authorize (SPEC §6, §9): a customer who has one is held and capped there as one who
has none, and told so at 入力, as on the browser, not after typing the whole 振込 and its password."""

from django.test import Client
from django.urls import reverse

from accounts import holds
from accounts.models import Account, Lock
from auditlog.models import AuditEntry
from payments.models import Transfer
from tests.helpers import payee_of
from tests.mobile.test_mobile import mobile_login
from tests.payments.helpers import enter, same_bank_data
from tests.phishing.passkey_steps import registered


def _enter_on_the_phone(contract, payee_account, amount: int):
    phone = Client()
    mobile_login(phone, contract)
    payee = payee_of(contract, payee_account)
    url = reverse("mobile-transfer-input", args=[payee.pk])
    return phone.post(url, {"from_account": contract.account.pk, "amount": str(amount)})


def test_on_the_phone_a_hold_refuses_a_new_payee_at_input_though_the_customer_has_a_passkey(
    contract, stranger, fake_clock
):
    browser = Client()
    registered(browser, contract)  # a passkey from before the hold: on the browser it lets a new payee through
    fake_clock.advance(60)
    holds.begin(contract, Lock.Kind.CHANGE_HOLD, reason="email_change", actor=None)
    assert enter(browser, same_bank_data(contract, stranger, amount=5_000))[1] is not None

    response = _enter_on_the_phone(contract, stranger.account, 5_000)
    assert response.status_code == 200
    page = response.content.decode()
    assert "メールアドレスの変更の後、一定期間" in page and 'value="5000"' in page
    assert Transfer.objects.filter(contract=contract).count() == 1  # the browser's draft only
    entry = AuditEntry.objects.filter(action="transfer.input", contract=contract).latest("pk")
    assert (entry.outcome, entry.reason) == ("failed", "held")


def test_on_the_phone_a_new_payees_cap_is_told_at_input_though_the_customer_has_a_passkey(contract, stranger):
    Account.objects.filter(pk=contract.account.pk).update(balance=500_000)
    browser = Client()
    registered(browser, contract)  # on the browser the passkey lifts the cap
    assert enter(browser, same_bank_data(contract, stranger, amount=150_000))[1] is not None

    response = _enter_on_the_phone(contract, stranger.account, 150_000)
    assert response.status_code == 200
    errors = response.context["form"].errors["amount"]
    assert "はじめてのお振込先へは、最初のお振込から7日間、1日あたり100,000円まで" in errors[0]
    assert Transfer.objects.filter(contract=contract).count() == 1  # the browser's draft only
    entry = AuditEntry.objects.filter(action="transfer.input", contract=contract).latest("pk")
    assert (entry.outcome, entry.reason) == ("failed", "over_payee_cap")
