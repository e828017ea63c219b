"""The feature-phone IB at /m/ (SPEC §6)."""

from functools import partial

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts import authorization
from accounts.models import Account, Contract, LoginRecord
from auditlog.models import AuditEntry
from payments import payeasy, refusals, services
from payments.models import Payment, Transfer
from payments.services import today
from tests.conftest import CARD_GRID, PASSWORD, TRANSFER_PASSWORD
from tests.helpers import answered_after, is_locked, known_environment, payee_of, registered_payee, set_lock
from tests.payments.conftest import zengin_master  # noqa: F401 (the payee's bank)
from tests.payments.helpers import login as browser_login

LOGIN = reverse("mobile-login")
MENU = reverse("mobile-menu")


def mobile_login(client, contract, password=PASSWORD):
    """From the customer's own phone (a browser the contract has used before)."""
    known_environment(client, contract)
    return client.post(LOGIN, {"contract_id": contract.contract_id, "password": password})


def _pages(client, contract):
    history = reverse("mobile-history", args=[contract.account.pk])
    return [LOGIN, MENU, history, reverse("mobile-password"), reverse("mobile-transfer-password")]


def test_id_and_password_only_even_with_login_otp_chosen(client, token_contract):
    assert token_contract.binding.login_otp
    assert mobile_login(client, token_contract)["Location"] == MENU
    page = client.get(MENU).content.decode()
    assert "100,000円" in page
    assert LoginRecord.objects.get(contract=token_contract).channel == LoginRecord.Channel.MOBILE


def test_the_phones_menu_shows_the_logins_before_this_one_with_their_channel(client, contract):
    mobile_login(client, contract)
    client.post(reverse("mobile-logout"))
    mobile_login(client, contract)
    page = client.get(MENU).content.decode()
    assert page.count("前回ログイン日時") == 1
    assert "（携帯電話）</p>" in page and "（パソコン）" not in page


def test_logout_on_the_phone_ends_the_session_and_returns_to_the_phones_login(client, contract):
    mobile_login(client, contract)
    response = client.post(reverse("mobile-logout"))
    assert response["Location"] == LOGIN
    assert "ログアウトしました。" in client.get(LOGIN).content.decode()
    assert client.get(MENU)["Location"].startswith(LOGIN)


def test_every_page_is_small_plain_html_with_a_title(client, contract):
    anonymous = client.get(LOGIN).content
    mobile_login(client, contract)
    for url in _pages(client, contract):
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content
        assert len(body) <= 5 * 1024, (url, len(body))
        html = body.decode()
        assert "<script" not in html and "<img" not in html and "<title>" in html
        assert "Content-Security-Policy" in response.headers and response.headers["X-Frame-Options"] == "DENY"
    assert len(anonymous) <= 5 * 1024


def test_numbered_menu_items_have_access_keys(client, contract):
    mobile_login(client, contract)
    assert 'accesskey="1"' in client.get(MENU).content.decode()


def test_the_lockout_is_shared_with_the_browser(client, contract):
    for _ in range(3):
        mobile_login(client, contract, "Wrong123")
    browser = Client()
    for _ in range(2):
        browser.post(reverse("accounts-login"), {"contract_id": contract.contract_id, "password": "Wrong123"})
    assert is_locked(contract, "login")
    response = mobile_login(client, contract)
    assert "ログインを停止しています" in response.content.decode()


def test_a_mobile_login_ends_the_browser_session_and_vice_versa(contract):
    browser, phone = Client(), Client()
    browser_login(browser, contract)
    mobile_login(phone, contract)
    assert phone.get(MENU).status_code == 200
    assert browser.get(reverse("accounts-menu")).status_code == 302  # ended by the phone's login
    browser_login(browser, contract)
    assert phone.get(MENU)["Location"] == LOGIN


def test_another_contracts_history_is_404(client, contract, stranger):
    mobile_login(client, contract)
    assert client.get(reverse("mobile-history", args=[stranger.account.pk])).status_code == 404


@pytest.mark.parametrize("url", [MENU, "/m/history/1/", "/m/password/", "/m/transfer-password/"])
def test_pages_need_a_login(client, db, url):
    assert client.get(url)["Location"] == LOGIN


# -- transactions on /m/ (customers without a token) ---------------------------------


@pytest.fixture
def payee(contract, stranger):
    return payee_of(contract, stranger.account)


def _transfer(client, payee, amount="5000", answer=None):
    """入力 → 確認 → 認証 on /m/; returns (last response, reference)."""
    response = client.post(
        reverse("mobile-transfer-input", args=[payee.pk]),
        {"from_account": payee.contract.account.pk, "amount": amount},
    )
    assert response.status_code == 302, response.content.decode()
    reference = response["Location"].split("/")[3]
    assert client.post(response["Location"])["Location"] == reverse("mobile-transfer-authorize", args=[reference])
    response = client.post(
        reverse("mobile-transfer-authorize", args=[reference]), answer or {"transfer_password": TRANSFER_PASSWORD}
    )
    return response, reference


def _pay(client, contract, answer=None):
    client.post(reverse("mobile-payeasy-new"), {"biller_number": "58001"})
    response = client.post(
        reverse("mobile-payeasy-numbers"),
        {"from_account": contract.account.pk, "customer_number": "12345678901234", "confirmation_number": "1234"},
    )
    assert response.status_code == 302, response.content.decode()
    reference = response["Location"].split("/")[3]
    client.post(response["Location"])
    response = client.post(
        reverse("mobile-payeasy-authorize", args=[reference]), answer or {"transfer_password": TRANSFER_PASSWORD}
    )
    return response, reference


def test_a_customer_without_a_token_transfers_to_a_registered_payee(client, contract, stranger, payee):
    mobile_login(client, contract)
    payees = client.get(reverse("mobile-transfer")).content.decode()
    assert stranger.account.holder_kana in payees and 'accesskey="1"' in payees
    response, reference = _transfer(client, payee)
    assert response["Location"] == reverse("mobile-transfer-result", args=[reference])
    result = client.get(response["Location"]).content.decode()
    assert "お振込が完了しました。" in result and reference in result
    # The bank and the branch as the Zengin master names them, each with its code, as on the browser's pages.
    assert f"（{settings.IBANK_BANK_CODE}）" in result and f"（{stranger.account.branch_code}）" in result
    assert f"（{settings.IBANK_BANK_CODE}）" in payees
    assert Account.objects.get(pk=contract.account.pk).balance == 95_000
    assert Account.objects.get(pk=stranger.account.pk).balance == 105_000
    transfer = Transfer.objects.get(reference=reference)
    assert transfer.status == Transfer.Status.DONE
    assert AuditEntry.objects.filter(action="transfer.execute", contract=contract, outcome="ok").exists()
    # A reload of 認証 moves nothing more.
    client.post(reverse("mobile-transfer-authorize", args=[reference]), {"transfer_password": TRANSFER_PASSWORD})
    assert Account.objects.get(pk=contract.account.pk).balance == 95_000


def test_mobile_transfer_keeps_the_limit_and_the_amount_messages(client, contract, payee):
    mobile_login(client, contract)
    url = reverse("mobile-transfer-input", args=[payee.pk])
    response = client.post(url, {"from_account": contract.account.pk, "amount": "abc"})
    html = response.content.decode()
    assert "振込金額は半角数字" in html and 'value="abc"' in html
    response = client.post(url, {"from_account": contract.account.pk, "amount": "600000"})
    assert "残高が不足しています" in response.content.decode()


def test_a_card_customer_pays_a_bill_on_the_phone(client, make_contract, billers):
    contract = make_contract(method=Contract.Method.CARD)
    mobile_login(client, contract)
    client.post(reverse("mobile-payeasy-new"), {"biller_number": "58001"})
    response = client.post(
        reverse("mobile-payeasy-numbers"),
        {"from_account": contract.account.pk, "customer_number": "12345678901234", "confirmation_number": "1234"},
    )
    reference = response["Location"].split("/")[3]
    confirm = client.get(response["Location"]).content.decode()
    assert "電気料金" in confirm and "8,640円" in confirm
    client.post(response["Location"])
    authorize = reverse("mobile-payeasy-authorize", args=[reference])
    page = client.get(authorize)
    form = page.context["form"]
    assert f"お客様カードの {'・'.join(form.asked_cells)} の位置の数字を入力してください。" in page.content.decode()
    response = client.post(authorize, {f"card_{i}": CARD_GRID[cell] for i, cell in enumerate(form.asked_cells)})
    assert response["Location"] == reverse("mobile-payeasy-result", args=[reference])
    assert "お支払いが完了しました。" in client.get(response["Location"]).content.decode()
    assert Payment.objects.get(reference=reference).status == Payment.Status.DONE
    assert Account.objects.get(pk=billers["private"].account_id).balance == 8_640


def test_a_customer_with_a_token_is_told_to_use_a_pc_or_smartphone(client, token_contract, billers):
    mobile_login(client, token_contract)
    for name in ("mobile-transfer", "mobile-payeasy-new", "mobile-payeasy-numbers"):
        response = client.get(reverse(name))
        assert response.status_code == 403, name
        assert "パソコンまたはスマートフォンからご利用ください" in response.content.decode()
    response = client.post(reverse("mobile-payeasy-new"), {"biller_number": "58001"})
    assert response.status_code == 403
    assert not Payment.objects.exists()


def _plain(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    assert len(response.content) <= 5 * 1024, (url, len(response.content))
    html = response.content.decode()
    assert "<script" not in html and "<img" not in html and "<title>" in html, url


def _confirm_authorize_and_result(client, confirm_url: str, kind: str) -> str:
    """確認 (shown, then posted), 認証 with the 資金移動用パスワード, 結果: each page small plain HTML. The 受付番号."""
    reference = confirm_url.split("/")[3]
    _plain(client, confirm_url)
    client.post(confirm_url)
    authorize = reverse(f"mobile-{kind}-authorize", args=[reference])
    _plain(client, authorize)
    client.post(authorize, {"transfer_password": TRANSFER_PASSWORD})
    _plain(client, reverse(f"mobile-{kind}-result", args=[reference]))
    return reference


def test_every_transaction_page_is_small_plain_html(client, contract, payee, billers):
    mobile_login(client, contract)
    _plain(client, reverse("mobile-transfer"))
    _plain(client, reverse("mobile-transfer-input", args=[payee.pk]))
    response = client.post(
        reverse("mobile-transfer-input", args=[payee.pk]), {"from_account": contract.account.pk, "amount": "1000"}
    )
    _confirm_authorize_and_result(client, response["Location"], "transfer")
    _plain(client, reverse("mobile-payeasy-new"))
    client.post(reverse("mobile-payeasy-new"), {"biller_number": "78901"})
    _plain(client, reverse("mobile-payeasy-numbers"))
    response = client.post(
        reverse("mobile-payeasy-numbers"),
        {
            "from_account": contract.account.pk,
            "customer_number": "1234567890123456",
            "confirmation_number": "123456",
            "payment_category": "101",
        },
    )
    reference = _confirm_authorize_and_result(client, response["Location"], "payeasy")
    assert Payment.objects.get(reference=reference).status == Payment.Status.DONE


def test_the_refusal_and_blocked_pages_are_small_too(client, token_contract, contract, billers):
    mobile_login(client, token_contract)
    response = client.get(reverse("mobile-transfer"))
    assert len(response.content) <= 5 * 1024 and "<script" not in response.content.decode()
    set_lock(contract, "payeasy", until=payeasy._block_until(today()))
    mobile_login(client, contract)
    response = client.get(reverse("mobile-payeasy-new"))
    assert "本日は収納サービスをご利用いただけません" in response.content.decode()
    assert len(response.content) <= 5 * 1024


def test_another_contracts_transactions_are_404_on_the_phone(client, contract, stranger, payee, billers):

    mobile_login(client, contract)
    _response, reference = _transfer(client, payee)
    _response, paid = _pay(client, contract)
    theirs = registered_payee(stranger, number="1111111", bank_code="0005", bank_name="x", branch_name="y")
    mobile_login(client, stranger)
    assert client.get(reverse("mobile-transfer-input", args=[payee.pk])).status_code == 404
    assert client.get(reverse("mobile-transfer-input", args=[theirs.pk])).status_code == 200
    for name in ("mobile-transfer-result", "mobile-transfer-confirm", "mobile-transfer-authorize"):
        assert client.get(reverse(name, args=[reference])).status_code == 404, name
    for name in ("mobile-payeasy-result", "mobile-payeasy-confirm", "mobile-payeasy-authorize"):
        assert client.get(reverse(name, args=[paid])).status_code == 404, name


def test_a_missing_page_on_the_phone_is_its_own_plain_404(client, settings):
    settings.DEBUG = False
    response = client.get("/m/nowhere/")
    html = response.content.decode()
    assert response.status_code == 404 and "ページが見つかりません" in html
    assert "<script" not in html and len(response.content) < 5_000 and "モバイルバンキング" in html
    assert "モバイルバンキング" not in client.get("/nowhere/").content.decode()  # the site's own elsewhere


def test_a_reload_after_a_transfer_shows_its_result_even_when_a_lock_came_since(client, contract, payee):
    from tests.helpers import set_lock

    mobile_login(client, contract)
    _response, reference = _transfer(client, payee)
    set_lock(contract, "transaction")
    for step in ("mobile-transfer-confirm", "mobile-transfer-authorize"):
        response = client.get(reverse(step, args=[reference]))
        assert response["Location"] == reverse("mobile-transfer-result", args=[reference]), step


def test_a_browser_reservation_typed_into_a_phone_url_is_shown_as_it_stands(client, contract, fake_clock):
    """/m/ makes no reservations; a 振込予約 made in the browser whose 受付番号 is typed into a phone's step
    is shown on its result page (the browser's, where a reservation is shown and cancelled), never as a
    transfer awaiting 確認, and the phone's 中止 does not say it was stopped."""
    from tests.payments.test_reservations import THURSDAY, reserve, set_clock

    set_clock(fake_clock, THURSDAY)
    browser_login(client, contract)
    transfer = reserve(client, contract, amount=1_000)
    mobile_login(client, contract)
    result = reverse("transfers-result", args=[transfer.reference])
    for step in ("mobile-transfer-confirm", "mobile-transfer-authorize", "mobile-transfer-result"):
        assert client.get(reverse(step, args=[transfer.reference]))["Location"] == result, step
    response = client.post(reverse("mobile-transfer-confirm", args=[transfer.reference]), {"cancel": "1"})
    assert response["Location"] == result
    assert Transfer.objects.get(pk=transfer.pk).status == Transfer.Status.RESERVED
    assert "お振込を中止しました。" not in client.get(MENU).content.decode()
    shown = client.get(result)
    assert shown.status_code == 200 and "予約" in shown.content.decode()


def _entered(client, payee, amount="5000"):
    """入力 on /m/: the 確認 page's reference."""
    response = client.post(
        reverse("mobile-transfer-input", args=[payee.pk]), {"from_account": payee.contract.account.pk, "amount": amount}
    )
    assert response.status_code == 302, response.content.decode()
    return response["Location"].split("/")[3]


def test_stopping_a_transfer_at_confirm_on_the_phone_moves_nothing(client, contract, payee):
    mobile_login(client, contract)
    reference = _entered(client, payee)
    confirm = reverse("mobile-transfer-confirm", args=[reference])
    assert "中止" in client.get(confirm).content.decode()
    response = client.post(confirm, {"cancel": "1"})
    assert response["Location"] == MENU
    assert "お振込を中止しました。" in client.get(MENU).content.decode()
    assert Transfer.objects.get(reference=reference).status == Transfer.Status.CANCELLED
    assert AuditEntry.objects.filter(action="transfer.cancel", contract=contract, outcome="ok").count() == 1
    # The stopped transfer's steps lead back to the payees: it cannot be confirmed or authorized any more.
    assert client.get(confirm)["Location"] == reverse("mobile-transfer")
    client.post(reverse("mobile-transfer-authorize", args=[reference]), {"transfer_password": TRANSFER_PASSWORD})
    assert Transfer.objects.get(reference=reference).status == Transfer.Status.CANCELLED
    assert Account.objects.get(pk=contract.account.pk).balance == 100_000


def test_authorizing_on_the_phone_needs_a_confirm_of_this_session(client, contract, payee):
    mobile_login(client, contract)
    reference = _entered(client, payee)
    authorize = reverse("mobile-transfer-authorize", args=[reference])
    response = client.post(authorize, {"transfer_password": TRANSFER_PASSWORD})  # 確認 skipped
    assert response["Location"] == reverse("mobile-transfer-confirm", args=[reference])
    assert "お振込の内容を確認してから、認証に進んでください。" in client.get(response["Location"]).content.decode()
    assert Transfer.objects.get(reference=reference).status == Transfer.Status.DRAFT
    assert Account.objects.get(pk=contract.account.pk).balance == 100_000


def test_a_balance_spent_between_confirm_and_authorize_is_refused_on_the_phone(client, contract, payee):
    from ledger import books
    from ledger.models import JournalEntry

    mobile_login(client, contract)
    reference = _entered(client, payee, amount="5000")
    client.post(reverse("mobile-transfer-confirm", args=[reference]))
    # Spent elsewhere meanwhile: the account's opening deposit is reversed (the balance is 0).
    books.reverse(JournalEntry.objects.get(kind=JournalEntry.Kind.DEPOSIT, postings__account=contract.account))
    response = client.post(
        reverse("mobile-transfer-authorize", args=[reference]), {"transfer_password": TRANSFER_PASSWORD}
    )
    assert response["Location"] == MENU
    assert "支払口座の残高が不足しています。" in client.get(MENU).content.decode()
    assert Account.objects.get(pk=contract.account.pk).balance == 0
    assert Transfer.objects.get(reference=reference).status == Transfer.Status.CONFIRMED
    assert AuditEntry.objects.filter(action="transfer.execute", contract=contract, outcome="failed").count() == 1


def test_a_confirm_on_the_phone_racing_a_cancel_elsewhere_confirms_nothing(client, contract, payee, monkeypatch):
    """確認 on /m/ while the same transfer is cancelled elsewhere (another window) after this 確認 loaded it:
    nothing is confirmed, and the phone is led back to its payees with the changed message."""
    mobile_login(client, contract)
    reference = _entered(client, payee)
    fresh = Transfer.objects.get(reference=reference)
    cancel = partial(services.transfer_cancel, actor=None, contract=contract, transfer=fresh)
    answered_after(monkeypatch, cancel, at=(services, "transfer_confirm"))
    response = client.post(reverse("mobile-transfer-confirm", args=[reference]))
    assert response["Location"] == reverse("mobile-transfer")
    assert str(refusals.TransferChanged.message) in client.get(response["Location"]).content.decode()
    assert Transfer.objects.get(reference=reference).status == Transfer.Status.CANCELLED
    assert not AuditEntry.objects.filter(action="transfer.confirm", contract=contract).exists()


def _executed_elsewhere_at(monkeypatch, client, contract, payee, service: str) -> tuple[str, str]:
    """A transfer of 1,000 yen confirmed on /m/, whose money another window's 認証 moves once the phone's next
    request has loaded it, when that request calls ``services.<service>``: (its 受付番号, its 確認 URL)."""
    mobile_login(client, contract)
    reference = _entered(client, payee, amount="1000")
    confirm = reverse("mobile-transfer-confirm", args=[reference])
    client.post(confirm)
    fresh = Transfer.objects.get(reference=reference)
    execute = partial(services.transfer_execute, actor=None, contract=contract, transfer=fresh, digest=fresh.digest)
    answered_after(monkeypatch, execute, at=(services, service))
    return reference, confirm


def test_a_confirm_reloaded_on_the_phone_after_the_money_moved_elsewhere_shows_the_result(
    client, contract, payee, monkeypatch
):
    reference, confirm = _executed_elsewhere_at(monkeypatch, client, contract, payee, "transfer_confirm")
    response = client.post(confirm)
    assert response["Location"] == reverse("mobile-transfer-result", args=[reference])
    assert Account.objects.get(pk=contract.account.pk).balance == 100_000 - 1_000
    assert Transfer.objects.get(reference=reference).status == Transfer.Status.DONE


def test_a_stop_on_the_phone_racing_the_execution_elsewhere_shows_the_result(client, contract, payee, monkeypatch):
    """中止 on /m/'s 確認 while another window's 認証 moves the money after the phone's request loaded the
    transfer: the payment stands, and the phone shows its result, never 「お振込を中止しました。」."""
    reference, confirm = _executed_elsewhere_at(monkeypatch, client, contract, payee, "transfer_cancel")
    response = client.post(confirm, {"cancel": "1"})
    assert response["Location"] == reverse("mobile-transfer-result", args=[reference])
    assert "お振込を中止しました。" not in client.get(MENU).content.decode()
    assert Transfer.objects.get(reference=reference).status == Transfer.Status.DONE
    assert Account.objects.get(pk=contract.account.pk).balance == 100_000 - 1_000
    assert not AuditEntry.objects.filter(action="transfer.cancel", contract=contract).exists()


def test_a_lock_that_came_after_the_input_refuses_the_phones_steps_with_its_message(client, contract, payee):
    """取引認証停止 set meanwhile (wrong secrets elsewhere): the phone's 入力 and 確認 say so and whom to call, and
    the transfer is not confirmed."""
    mobile_login(client, contract)
    reference = _entered(client, payee)
    set_lock(contract, "transaction")
    confirm = reverse("mobile-transfer-confirm", args=[reference])
    for url in [reverse("mobile-transfer-input", args=[payee.pk]), confirm]:
        assert str(authorization.TRANSACTION_LOCKED) in client.get(url, follow=True).content.decode(), url
    client.post(confirm)
    assert Transfer.objects.get(reference=reference).status == Transfer.Status.DRAFT
    assert not AuditEntry.objects.filter(action="transfer.confirm", contract=contract).exists()
