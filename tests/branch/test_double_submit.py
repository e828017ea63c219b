"""A clerk's double click on an operation or a decision (the same page sent twice): the second request is told
what the first did — never refused as if nothing had been done (the lock already lifted, the request already
decided), which the clerk would take for not done — and nothing is done twice. The same page sent back with
another choice is another act. A new password is made again: the response that showed the first was never
seen."""

import re

import pytest
from django.urls import reverse

from accounts import authorization
from accounts.models import Contract, Lock
from auditlog.models import AuditEntry
from branch import admin as branch_admin
from notices.models import Notice
from tests.helpers import as_staff, double_click, is_locked, set_lock, twin_of

OPERATE = "admin:branch-operate"
DONE = "手続きが完了しました：%s"


def _attempt(client, url) -> str:
    """The page's name, as the browser has it."""
    return re.search(r'name="attempt" value="([0-9a-f]{16})"', client.get(url).content.decode())[1]


def _told(client, response) -> str:
    return client.get(response["Location"]).content.decode()


@pytest.fixture
def operating(client, maker, contract):
    as_staff(client, maker)
    url = reverse(OPERATE, args=[contract.pk])
    return client, url, _attempt(client, url)


def test_an_unlock_sent_twice_is_told_done_and_lifts_once(operating, contract):
    client, url, attempt = operating
    set_lock(contract, Lock.Kind.LOGIN)
    data = {"attempt": attempt, "operation": "unlock_login", "reason": "本人確認済み"}
    contract_page = reverse("admin:accounts_contract_change", args=[contract.pk])
    assert client.post(url, data)["Location"] == contract_page
    client.get(contract_page)  # the first's message, read
    second = client.post(url, data)
    assert second["Location"] == contract_page
    assert DONE % "ログイン停止を解除する" in _told(client, second)
    assert AuditEntry.objects.filter(action="login.unlock", contract=contract).count() == 1
    assert Notice.objects.filter(contract=contract, event="unlocked").count() == 1


def test_an_unlock_overlapping_its_twin_is_told_done(operating, contract, monkeypatch):
    """The second request passed its own checks before the first lifted the lock; the service then finds
    nothing to lift: the page's name in the first's entry tells it was this page."""
    client, url, attempt = operating
    set_lock(contract, Lock.Kind.PAYEASY)
    data = {"attempt": attempt, "operation": "unlock_payeasy", "reason": "本人確認済み"}
    twin, response = double_click(monkeypatch, client, url, data, at=(branch_admin, "_run"))
    assert response["Location"] == reverse("admin:accounts_contract_change", args=[contract.pk])
    assert DONE % "収納サービス利用停止を解除する" in _told(twin, response)
    assert AuditEntry.objects.filter(action="payeasy.unlock", contract=contract).count() == 1


def test_without_the_pages_name_the_second_is_refused(operating, contract):
    """What the name changes: a page sent without one (an old page, a script) meets the service's refusal."""
    client, url = operating[:2]
    set_lock(contract, Lock.Kind.LOGIN)
    data = {"operation": "unlock_login", "reason": "本人確認済み"}
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 200  # the unlock is no longer offered: the form says so


def test_a_page_sent_back_with_another_operation_does_it(operating, contract):
    client, url, attempt = operating
    set_lock(contract, Lock.Kind.LOGIN)
    set_lock(contract, Lock.Kind.PAYEASY)
    for operation in ("unlock_login", "unlock_payeasy"):
        assert (
            client.post(url, {"attempt": attempt, "operation": operation, "reason": "本人確認済み"}).status_code == 302
        )
    assert not is_locked(contract, Lock.Kind.LOGIN) and not is_locked(contract, Lock.Kind.PAYEASY)


def test_a_change_sent_twice_changes_once_and_another_value_changes_again(operating, contract):
    client, url, attempt = operating
    data = {
        "attempt": attempt,
        "operation": "change_email",
        "value": "new@example.jp",
        "reason": "届出",
        "reference": "F-1",
    }
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 302
    assert AuditEntry.objects.filter(action="contract.change", contract=contract).count() == 1
    assert client.post(url, {**data, "value": "newer@example.jp"}).status_code == 302  # the page sent back, changed
    assert Contract.objects.get(pk=contract.pk).email == "newer@example.jp"
    assert AuditEntry.objects.filter(action="contract.change", contract=contract).count() == 2


def test_a_new_transfer_password_sent_twice_is_made_again_and_the_one_shown_works(operating, contract):
    client, url, attempt = operating
    data = {"attempt": attempt, "operation": "reset_transfer_password", "reason": "暗証失念", "reference": "F-2"}
    shown = [
        re.search(r'class="new-transfer-password">([0-9]+)<', client.post(url, data).content.decode())[1]
        for _click in range(2)
    ]
    contract = Contract.objects.get(pk=contract.pk)
    data = {"transfer_password": shown[-1]}
    method = authorization.method_for(contract)
    assert method.authorize(actor=None, contract=contract, data=data, action="transfer.authorize").ok


@pytest.fixture
def deciding(client, maker, checker, token_contract):
    from branch import services

    reset = services.token_reset_request(
        actor=None, staff=maker, contract=token_contract, reason="スマートフォン故障", reference="R-1"
    )
    as_staff(client, checker)
    url = reverse("admin:branch-decide", args=[reset.pk])
    return client, url, _attempt(client, url)


def test_an_approval_sent_twice_is_told_approved(deciding, token_contract):
    client, url, attempt = deciding
    data = {"attempt": attempt, "approve": "1", "comment": ""}
    assert client.post(url, data).status_code == 302
    second = client.post(url, data)
    assert second.status_code == 302 and "リセットを承認しました。" in _told(client, second)
    assert "既に処理されています" not in _told(client, second)
    assert AuditEntry.objects.filter(action="token_reset.approve", contract=token_contract).count() == 1


def test_an_approval_overlapping_its_twin_is_told_approved(deciding, token_contract, monkeypatch):
    client, url, attempt = deciding
    data = {"attempt": attempt, "approve": "1", "comment": ""}
    twin = twin_of(client)
    approve, told = branch_admin.DECISIONS["approve"]

    def later(**kwargs):  # the first click, whole, once the second passed its own checks
        monkeypatch.setitem(branch_admin.DECISIONS, "approve", (approve, told))
        client.post(url, data)
        return approve(**kwargs)

    monkeypatch.setitem(branch_admin.DECISIONS, "approve", (later, told))
    second = twin.post(url, data)
    assert second.status_code == 302 and "リセットを承認しました。" in _told(twin, second)
    assert AuditEntry.objects.filter(action="token_reset.approve", contract=token_contract).count() == 1


def test_a_rejection_after_an_approval_on_the_same_page_is_refused(deciding):
    """Another button of the same page is another decision: the request is decided, and the clerk is told so."""
    client, url, attempt = deciding
    assert client.post(url, {"attempt": attempt, "approve": "1", "comment": ""}).status_code == 302
    response = client.post(url, {"attempt": attempt, "reject": "1", "comment": "誤り"})
    assert response.status_code == 200 and "この依頼は既に処理されています。" in response.content.decode()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_clicks_at_the_same_instant_unlock_once_and_both_are_told_done(maker, contract):
    """Real threads on PostgreSQL: the second click's lift waits for the first's row, finds nothing to lift,
    and the first's committed entry names its page."""
    from django.test import Client

    from tests.concurrency import run_concurrently

    client = as_staff(Client(), maker)
    set_lock(contract, Lock.Kind.LOGIN)
    url = reverse(OPERATE, args=[contract.pk])
    data = {"attempt": _attempt(client, url), "operation": "unlock_login", "reason": "本人確認済み"}
    clicks = [client, twin_of(client)]
    responses = run_concurrently(lambda i: clicks[i].post(url, data), 2)
    contract_page = reverse("admin:accounts_contract_change", args=[contract.pk])
    assert [r["Location"] for r in responses] == [contract_page, contract_page], responses
    assert AuditEntry.objects.filter(action="login.unlock", contract=contract).count() == 1
    assert Notice.objects.filter(contract=contract, event="unlocked").count() == 1


def test_a_comment_too_long_is_told_at_its_field_and_nothing_is_decided(deciding):
    """The page came back without a word before (the comment's error was never shown): a clerk saw the same
    page and could not tell why nothing was done."""
    from branch.models import TokenResetRequest

    client, url, attempt = deciding
    response = client.post(url, {"attempt": attempt, "approve": "1", "comment": "あ" * 201})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_comment_error"' in html and "200 文字以下" in html
    assert 'value="' + "あ" * 201 + '"' in html  # what was typed is kept
    assert TokenResetRequest.objects.get().status == TokenResetRequest.Status.PENDING
