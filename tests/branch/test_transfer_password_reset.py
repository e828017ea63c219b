"""資金移動用パスワードの再設定 (a forgotten one, on a written request): a 窓口担当 issues a new one, shown once for
the letter; the transaction lock it may have caused is lifted; the customer is told and may change it."""

import re

from django.urls import reverse

from accounts import authorization
from accounts.models import Contract, Lock
from auditlog.models import AuditEntry
from notices.models import Notice
from tests.conftest import TRANSFER_PASSWORD
from tests.helpers import as_staff, is_locked, set_lock

OPERATE = "admin:branch-operate"


def _reset(client, contract, **form):
    data = {"operation": "reset_transfer_password", "reason": "暗証失念", "reference": "F-2027-002", **form}
    return client.post(reverse(OPERATE, args=[contract.pk]), data)


def _authorizes(contract, secret) -> bool:
    contract = Contract.objects.get(pk=contract.pk)
    data = {"transfer_password": secret}
    return (
        authorization.method_for(contract)
        .authorize(actor=None, contract=contract, data=data, action="transfer.authorize")
        .ok
    )


def test_a_clerk_issues_a_new_one_shown_once(client, maker, contract, django_capture_on_commit_callbacks):
    set_lock(contract, Lock.Kind.TRANSACTION)  # a customer who forgot it has often locked transactions too
    Contract.objects.filter(pk=contract.pk).update(transaction_failures=5)
    as_staff(client, maker)
    with django_capture_on_commit_callbacks(execute=True):
        response = _reset(client, contract)
    assert response.status_code == 200 and "no-cache" in response["Cache-Control"]
    new = re.search(r'class="new-transfer-password">([0-9]+)<', response.content.decode())[1]
    assert len(new) == 6
    # Shown on this response only: not in the session, a message, the log or the notice.
    assert new not in str(dict(client.session)) and "messages" not in response.cookies
    entry = AuditEntry.objects.get(action="transfer_password.reset")
    assert entry.actor == f"staff:{maker.username}" and entry.detail["reference"] == "F-2027-002"
    assert entry.detail["transaction_unlocked"] is True and new not in str(entry.detail)
    notice = Notice.objects.get(contract=contract, event="transfer_password_reset")
    assert "郵送でお送りします" in notice.body and new not in notice.body
    assert not is_locked(contract, Lock.Kind.TRANSACTION) and is_locked(contract, Lock.Kind.CHANGE_HOLD)
    assert Contract.objects.get(pk=contract.pk).transaction_failures == 0
    assert not _authorizes(contract, TRANSFER_PASSWORD) and _authorizes(contract, new)


def test_a_reset_starts_the_count_of_wrong_transfer_passwords_again(client, maker, contract):
    """Four wrong ones, not yet locked, then the reset: one wrong try of the new one is the first of five."""
    Contract.objects.filter(pk=contract.pk).update(transaction_failures=4)
    as_staff(client, maker)
    _reset(client, contract)
    assert not _authorizes(contract, TRANSFER_PASSWORD)  # the old one: wrong now
    assert Contract.objects.get(pk=contract.pk).transaction_failures == 1
    assert not is_locked(contract, Lock.Kind.TRANSACTION)


def test_the_written_forms_number_is_required_and_a_checker_cannot(client, maker, checker, contract):
    as_staff(client, maker)
    response = _reset(client, contract, reference="")
    assert "届出書番号を入力してください。" in response.content.decode()
    assert 'class="new-transfer-password"' not in response.content.decode()
    as_staff(client, checker)
    assert "この操作を行う権限がありません。" in _reset(client, contract).content.decode()
    assert not AuditEntry.objects.filter(action="transfer_password.reset").exists()
    assert _authorizes(contract, TRANSFER_PASSWORD)


def test_new_ones_are_never_weak():
    from accounts import passwords

    drawn = {passwords._new_transfer_password() for _ in range(2000)}
    assert not any(passwords.weak_digits(d) for d in drawn) and all(len(d) == 6 and d.isdigit() for d in drawn)
    assert passwords.weak_digits("000000") and passwords.weak_digits("890123") and passwords.weak_digits("3210")
    assert not passwords.weak_digits("240817")


def test_a_card_contract_gets_the_method_only_with_a_password_issued(client, maker, make_contract):
    """A contract made with the card has no 資金移動用パスワード: changed to that method, every answer would be
    wrong and counted, and transactions locked. The change is refused until one is issued."""
    from branch import services

    card = make_contract(method=Contract.Method.CARD)
    as_staff(client, maker)
    data = {"operation": "change_transaction_method", "method": "password", "reason": "変更届", "reference": "C-7"}
    response = client.post(reverse(OPERATE, args=[card.pk]), data)
    assert str(services.NO_TRANSFER_PASSWORD) in response.content.decode()
    assert Contract.objects.get(pk=card.pk).transaction_method == Contract.Method.CARD
    new = re.search(r'class="new-transfer-password">([0-9]+)<', _reset(client, card).content.decode())[1]
    assert client.post(reverse(OPERATE, args=[card.pk]), data).status_code == 302
    assert _authorizes(card, new)
