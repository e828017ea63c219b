from functools import partial
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts import authorization
from accounts.models import Account, Contract
from auditlog.models import AuditEntry
from ledger.models import JournalEntry
from notices.outbox import subject
from otp import totp
from payments import forms, payees, refusals, services
from payments.models import Payee, Transfer
from payments.views import NOT_CONFIRMED
from tests.conftest import CARD_GRID, TRANSFER_PASSWORD
from tests.helpers import answered_after, double_click, is_locked, paid_before, registered_payee
from tests.payments.helpers import (
    NEW,
    authorize,
    confirm,
    confirmed_same_bank,
    enter,
    login,
    other_bank_data,
    same_bank_data,
    send,
)


def check_ledger():
    call_command("check_ledger", stdout=StringIO(), stderr=StringIO())


def balance(contract):
    return Account.objects.get(pk=contract.account.pk).balance


def internal(purpose):
    return Account.objects.internal(purpose).balance


@pytest.fixture
def payee(make_contract):
    return make_contract(balance=5_000)


# -- the happy paths -------------------------------------------------------------


def test_same_bank_transfer_credits_at_once(client, contract, payee, mailoutbox, django_capture_on_commit_callbacks):
    login(client, contract)
    with django_capture_on_commit_callbacks(execute=True):
        response, transfer = send(client, same_bank_data(contract, payee, amount=12_345))
    result_url = reverse("transfers-result", args=[transfer.reference])
    assert response["Location"] == result_url
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.DONE and transfer.fee == 0
    assert balance(contract) == 100_000 - 12_345
    assert balance(payee) == 5_000 + 12_345
    page = client.get(result_url).content.decode()
    assert transfer.reference in page and "お振込が完了しました。" in page and "振込済" in page
    [mail] = mailoutbox
    assert mail.subject == subject("transfer_done") and mail.to == [contract.email]
    assert transfer.reference in mail.body and "12,345円" in mail.body
    assert f"***{payee.account.number[-4:]}" in mail.body and payee.account.number not in mail.body
    actions = list(AuditEntry.objects.filter(contract=contract).values_list("action", flat=True).order_by("pk"))
    assert actions[-4:] == ["transfer.input", "transfer.confirm", "transfer.authorize", "transfer.execute"]
    authorized = AuditEntry.objects.get(action="transfer.authorize", contract=contract)
    assert authorized.detail["digest"] == transfer.digest == services.transfer_digest(transfer)
    check_ledger()


@pytest.mark.parametrize(("amount", "fee"), [(29_999, 275), (30_000, 440)])
def test_other_bank_transfer_is_debited_with_the_fee_and_queued(client, contract, amount, fee):
    login(client, contract)
    clearing, income = internal("clearing_out"), internal("fee_income")
    response, transfer = send(client, other_bank_data(contract, amount=amount))
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.ACCEPTED and transfer.fee == fee
    assert transfer.payee_name == "ﾔﾏﾀﾞ ﾊﾅｺ"  # converted from full-width hiragana
    assert balance(contract) == 100_000 - amount - fee
    assert internal("clearing_out") == clearing + amount
    assert internal("fee_income") == income + fee
    assert "受付済" in client.get(response["Location"]).content.decode()
    lines = sorted(transfer.entry.postings.values_list("amount", flat=True))
    assert sum(lines) == 0 and len(lines) == 4
    check_ledger()


def test_fee_comes_from_settings(settings, client, contract):
    settings.IBANK_FEE_OTHER_BANK_SMALL = 110
    login(client, contract)
    _response, transfer = enter(client, other_bank_data(contract, amount=1_000))
    assert transfer.fee == 110


def test_confirm_page_shows_the_fee_total_and_the_real_holder_name(client, contract, payee):
    login(client, contract)
    _response, transfer = enter(client, same_bank_data(contract, payee, payee_name="ｽｽﾞｷ"))
    page = client.get(reverse("transfers-confirm", args=[transfer.reference])).content.decode()
    assert payee.account.holder_kana in page and "ｽｽﾞｷ" in page
    assert "入力された受取人名と口座名義が異なります。" in page
    _response, other = enter(client, other_bank_data(contract, amount=40_000))
    page = client.get(reverse("transfers-confirm", args=[other.reference])).content.decode()
    assert "440円" in page and "40,440円" in page and "三菱ＵＦＪ" in page


# -- refusals at 入力 --------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"bank_code": "9998"}, "bank_code", refusals.UnknownBank.message),
        ({"bank_code": "12"}, "bank_code", forms.BANK_CODE_FORMAT),
        ({"branch_code": "999"}, "branch_code", refusals.UnknownBranch.message),
        ({"branch_code": "12"}, "branch_code", forms.BRANCH_CODE_FORMAT),
        ({"payee_number": "12a4567"}, "payee_number", forms.ACCOUNT_NUMBER_FORMAT),
        ({"payee_number": "12345678"}, "payee_number", forms.ACCOUNT_NUMBER_FORMAT),
        ({"amount": "0"}, "amount", forms.AMOUNT_MIN),
        ({"amount": "-500"}, "amount", forms.AMOUNT_MIN),
        ({"amount": "1.5"}, "amount", forms.AMOUNT_FORMAT),
        ({"amount": "10000000000"}, "amount", forms.AMOUNT_MAX % {"max": "9,999,999,999"}),  # the Zengin field
        ({"amount": ""}, "amount", "振込金額を入力してください。"),
        ({"payee_name": "山田ﾀﾛｳ"}, "payee_name", forms.NAME_INVALID % {"chars": "山、田"}),
        ({"payee_name": "ｱ" * 31}, "payee_name", forms.NAME_TOO_LONG),
    ],
)
def test_input_refusals_name_the_field_and_keep_what_was_typed(client, contract, change, field, message):
    login(client, contract)
    data = {**other_bank_data(contract), **change}
    response, transfer = enter(client, data)
    assert transfer is None and response.status_code == 200
    assert response.context["form"].errors[field] == [str(message)]
    page = response.content.decode()
    for name in ("bank_code", "branch_code", "payee_number"):
        assert f'value="{data[name]}"' in page
    assert not Transfer.objects.exists()


def test_the_largest_amount_the_zengin_field_holds_is_a_well_formed_amount(client, contract):
    """9,999,999,999円 is typed well: refused for what the account and the limit allow, not as too long."""
    login(client, contract)
    response, transfer = enter(client, {**other_bank_data(contract), "amount": "9999999999"})
    assert transfer is None
    assert response.context["form"].errors["amount"] == [
        str(refusals.InsufficientBalance.message) % {"available": "99,560"}
    ]


def test_the_date_box_offers_today_up_to_the_last_day_a_reservation_may_name(client, contract, fake_clock):
    from datetime import timedelta

    from payments.services import today

    login(client, contract)
    page = client.get(NEW).content.decode()
    last = today() + timedelta(days=settings.IBANK_RESERVATION_DAYS)
    assert f'min="{today().isoformat()}"' in page and f'max="{last.isoformat()}"' in page


def test_same_bank_account_that_does_not_exist_is_refused(client, contract, payee):
    login(client, contract)
    response, transfer = enter(client, same_bank_data(contract, payee, payee_number="7777777"))
    assert transfer is None
    assert response.context["form"].errors["payee_number"] == [str(refusals.PayeeAccountNotFound.message)]
    assert AuditEntry.objects.filter(action="transfer.input", outcome="failed", reason="no_such_account").exists()


def test_a_transfer_to_the_paying_account_itself_is_refused(client, contract):
    """The payee is the account paid from: told on the field, audited, nothing entered; a second account of the
    same customer is a payee like any other."""
    login(client, contract)
    response, transfer = enter(client, same_bank_data(contract, contract))
    assert transfer is None
    assert response.context["form"].errors["payee_number"] == [str(refusals.SameAccount.message)]
    assert AuditEntry.objects.filter(action="transfer.input", outcome="failed", reason="same_account").exists()
    assert not Transfer.objects.filter(contract=contract).exists()
    savings = Account.objects.create(
        contract=contract, branch_code="001", branch_name="本店営業部", kind=4, number="7654321", holder_kana="ﾃｽﾄ"
    )
    data = same_bank_data(contract, contract, payee_kind=4, payee_number=savings.number)
    assert enter(client, data)[1] is not None


def test_amount_over_the_balance_is_refused(client, contract):
    login(client, contract)
    response, transfer = enter(client, other_bank_data(contract, amount=99_800))
    assert transfer is None
    assert response.context["form"].errors["amount"] == ["支払口座の残高が不足しています。（お支払可能額：99,560円）"]


def test_a_balance_below_the_fee_says_nothing_is_payable(client, make_contract):
    poor = make_contract(balance=200)  # less than another bank's fee (275 yen below 30,000)
    login(client, poor)
    response, transfer = enter(client, other_bank_data(poor, amount=1))
    assert transfer is None
    assert response.context["form"].errors["amount"] == ["支払口座の残高が不足しています。（お支払可能額：0円）"]


def test_over_the_daily_limit_names_what_is_left(client, make_contract, payee):
    rich = make_contract(balance=1_000_000)
    paid_before(rich, payee)  # not a new payee: the daily limit, not the new payee's cap, is what binds
    login(client, rich)
    # No token: the ceiling is 200,000 yen a day.
    send(client, same_bank_data(rich, payee, amount=150_000))
    response, transfer = enter(client, same_bank_data(rich, payee, amount=60_000))
    assert transfer is None
    assert response.context["form"].errors["amount"] == [
        "1日あたりの振込限度額を超えています。本日お振込いただける金額はあと50,000円です。"
    ]
    assert send(client, same_bank_data(rich, payee, amount=50_000))[1].status == Transfer.Status.DONE
    # The day's limit used up: not even one yen more, and the page says nothing is left.
    response, transfer = enter(client, same_bank_data(rich, payee, amount=1))
    assert transfer is None
    assert response.context["form"].errors["amount"] == [
        "1日あたりの振込限度額を超えています。本日お振込いただける金額はあと0円です。"
    ]


def test_full_width_digits_and_commas_are_accepted(client, contract, payee):
    login(client, contract)
    data = same_bank_data(contract, payee, amount="１２，３４５")
    data["payee_number"] = "".join(chr(ord(c) + 0xFEE0) for c in data["payee_number"])
    _response, transfer = enter(client, data)
    assert transfer.amount == 12_345 and transfer.payee_number == payee.account.number


# -- 確認 and what was confirmed ------------------------------------------------------


def test_confirm_cannot_be_skipped(client, contract, payee):
    login(client, contract)
    _response, transfer = enter(client, same_bank_data(contract, payee))
    response = authorize(client, transfer)
    assert response["Location"] == reverse("transfers-confirm", args=[transfer.reference])
    assert str(NOT_CONFIRMED) in [str(m) for m in response.wsgi_request._messages]
    assert balance(contract) == 100_000 and not JournalEntry.objects.filter(kind="transfer").exists()


def test_a_confirm_racing_a_cancel_in_another_tab_confirms_nothing_and_leads_to_a_new_input(
    client, contract, payee, monkeypatch
):
    login(client, contract)
    _response, transfer = enter(client, same_bank_data(contract, payee))
    # Another tab's 中止 lands after this 確認 loaded the transfer, before its conditional UPDATE.
    fresh = Transfer.objects.get(pk=transfer.pk)
    cancel = partial(services.transfer_cancel, actor=None, contract=contract, transfer=fresh)
    answered_after(monkeypatch, cancel, at=(services, "transfer_confirm"))
    response = client.post(reverse("transfers-confirm", args=[transfer.reference]), follow=True)
    assert response.redirect_chain[-1][0] == NEW
    assert str(refusals.TransferChanged.message) in response.content.decode()
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.CANCELLED and not transfer.digest
    assert not AuditEntry.objects.filter(action="transfer.confirm", contract=contract).exists()


def _executed_by_another_tab_at(monkeypatch, client, contract, payee, service: str) -> Transfer:
    """A confirmed transfer of 1,000 yen whose money another tab's 認証 moves once this tab's next request has
    loaded it, when that request calls ``services.<service>`` (before its conditional UPDATE)."""
    login(client, contract)
    _response, transfer = enter(client, same_bank_data(contract, payee, amount=1_000))
    confirm(client, transfer)
    fresh = Transfer.objects.get(pk=transfer.pk)
    execute = partial(services.transfer_execute, actor=None, contract=contract, transfer=fresh, digest=fresh.digest)
    answered_after(monkeypatch, execute, at=(services, service))
    return transfer


def test_a_confirm_reloaded_while_another_tab_executed_it_shows_the_result(client, contract, payee, monkeypatch):
    transfer = _executed_by_another_tab_at(monkeypatch, client, contract, payee, "transfer_confirm")
    response = client.post(reverse("transfers-confirm", args=[transfer.reference]))
    assert response["Location"] == reverse("transfers-result", args=[transfer.reference])
    assert balance(contract) == 100_000 - 1_000 and JournalEntry.objects.filter(kind="transfer").count() == 1
    assert AuditEntry.objects.filter(action="transfer.confirm", contract=contract).count() == 1
    check_ledger()


def test_a_correction_racing_the_execution_in_another_tab_changes_nothing_and_shows_the_result(
    client, contract, payee, monkeypatch
):
    """入力 again (確認's 戻る) in one tab while another tab's 認証 moves the money: the correction's conditional
    UPDATE finds the row executed, changes nothing of what was paid, and the page shows the result."""
    transfer = _executed_by_another_tab_at(monkeypatch, client, contract, payee, "transfer_prepare")
    edit = reverse("transfers-edit", args=[transfer.reference])
    response = client.post(edit, same_bank_data(contract, payee, amount=9_000))
    assert response["Location"] == reverse("transfers-result", args=[transfer.reference])
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.DONE and transfer.amount == 1_000
    assert balance(contract) == 100_000 - 1_000 and balance(payee) == 5_000 + 1_000
    check_ledger()


def test_cancel_after_confirm_moves_nothing_and_is_told_and_audited(client, contract, payee):
    from payments.views import CANCELLED

    login(client, contract)
    _response, transfer = enter(client, same_bank_data(contract, payee, amount=1_000))
    confirm(client, transfer)
    response = client.post(reverse("transfers-cancel", args=[transfer.reference]))
    assert response["Location"] == reverse("accounts-menu")
    assert str(CANCELLED) in client.get(response["Location"]).content.decode()
    assert Transfer.objects.get(pk=transfer.pk).status == Transfer.Status.CANCELLED
    assert AuditEntry.objects.filter(action="transfer.cancel", contract=contract, outcome="ok").count() == 1
    assert balance(contract) == 100_000 and balance(payee) == 5_000
    followed = client.get(authorize(client, transfer)["Location"], follow=True)  # nothing left to authorize
    assert followed.redirect_chain[-1][0] == NEW and balance(contract) == 100_000


def test_a_cancel_racing_the_execution_in_another_tab_shows_the_result_not_cancelled(
    client, contract, payee, monkeypatch
):
    """中止 in one tab while another tab's 認証 moves the money: the cancel's conditional UPDATE finds the row
    executed, reads it again, and the page shows the result; never 「中止しました」 for money that moved."""
    from payments.views import CANCELLED

    transfer = _executed_by_another_tab_at(monkeypatch, client, contract, payee, "transfer_cancel")
    response = client.post(reverse("transfers-cancel", args=[transfer.reference]))
    assert response["Location"] == reverse("transfers-result", args=[transfer.reference])
    assert str(CANCELLED) not in [str(m) for m in response.wsgi_request._messages]
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.DONE
    assert balance(contract) == 100_000 - 1_000 and balance(payee) == 5_000 + 1_000
    assert not AuditEntry.objects.filter(action="transfer.cancel", contract=contract).exists()
    check_ledger()


def test_a_confirm_left_too_long_is_asked_again_and_then_authorizes(client, contract, payee, fake_clock):
    from ibank import pending

    login(client, contract)
    _response, transfer = enter(client, same_bank_data(contract, payee, amount=1_000))
    confirm(client, transfer)
    fake_clock.advance(pending.max_age() + 1)
    login(client, contract)  # the session's own idle limit is not this test's
    response = authorize(client, transfer)
    assert response["Location"] == reverse("transfers-confirm", args=[transfer.reference])
    assert [str(m) for m in response.wsgi_request._messages] == ["一定時間が経過したため、確認からやり直してください。"]
    assert balance(contract) == 100_000
    confirm(client, transfer)
    assert authorize(client, transfer)["Location"] == reverse("transfers-result", args=[transfer.reference])
    assert balance(contract) == 99_000


def test_a_confirm_made_since_in_another_tab_is_told_as_such(client, contract, payee):
    """Two transfers entered in two tabs, the second confirmed last: the first tab's 認証 is sent back to its
    確認 (the session keeps the last one confirmed), saying why — not that time ran out."""
    login(client, contract)
    _response, first = enter(client, same_bank_data(contract, payee, amount=1_000))
    _response, second = enter(client, same_bank_data(contract, payee, amount=2_000))
    confirm(client, first)
    confirm(client, second)
    response = authorize(client, first)
    assert response["Location"] == reverse("transfers-confirm", args=[first.reference])
    assert [str(m) for m in response.wsgi_request._messages] == [
        "別の画面で別のお取引が確認されたため、このお取引は確認からやり直してください。"
    ]
    assert balance(contract) == 100_000


def test_a_change_after_confirm_is_refused(client, contract, payee):
    login(client, contract)
    _response, transfer = enter(client, same_bank_data(contract, payee, amount=1_000))
    confirm(client, transfer)
    # The amount changes behind the confirmed digest (a second tab, or tampering).
    Transfer.objects.filter(pk=transfer.pk).update(amount=90_000)
    response = authorize(client, transfer)
    assert response["Location"] == reverse("transfers-edit", args=[transfer.reference])
    assert balance(contract) == 100_000
    assert AuditEntry.objects.filter(action="transfer.execute", outcome="failed", reason="changed").exists()


def test_correcting_after_confirm_needs_a_new_confirm(client, contract, payee, stranger):
    login(client, contract)
    _response, transfer = enter(client, same_bank_data(contract, payee, amount=1_000))
    confirm(client, transfer)
    # 修正 opens 入力 with what was entered.
    form = client.get(reverse("transfers-edit", args=[transfer.reference])).context["form"]
    assert (form["amount"].value(), form["payee_number"].value()) == (1_000, payee.account.number)
    client.post(reverse("transfers-edit", args=[transfer.reference]), same_bank_data(contract, stranger))
    response = authorize(client, transfer)
    assert response["Location"] == reverse("transfers-confirm", args=[transfer.reference])
    assert balance(stranger) == 100_000 and balance(contract) == 100_000


def test_a_reload_or_double_click_moves_money_once(client, contract, payee):
    login(client, contract)
    response, transfer = send(client, same_bank_data(contract, payee, amount=1_000))
    again = authorize(client, transfer)
    assert again["Location"] == response["Location"]
    assert client.post(reverse("transfers-confirm", args=[transfer.reference]))["Location"] == response["Location"]
    for step in ("transfers-confirm", "transfers-edit"):  # the 確認 or 入力 page reloaded: the result, not a form
        assert client.get(reverse(step, args=[transfer.reference]))["Location"] == response["Location"]
    assert balance(contract) == 99_000
    assert JournalEntry.objects.filter(reference=transfer.reference).count() == 1


def test_a_taken_reference_is_drawn_again_and_nothing_half_written_stays(client, contract, payee, monkeypatch):
    """A 受付番号 drawn twice (rare: 8 random digits a day) is drawn again: the second 入力 gets a new one, the
    first transfer is untouched; a draw that never finds a free one is refused with the field-less message."""
    from payments import drafts

    login(client, contract)
    _, first = enter(client, same_bank_data(contract, payee, amount=1_000))
    draws = iter([first.reference, first.reference, "26120199999999"])
    monkeypatch.setattr(drafts, "_new_reference", lambda: next(draws))
    _, second = enter(client, same_bank_data(contract, payee, amount=2_000))
    assert second.reference == "26120199999999" and second.amount == 2_000
    assert Transfer.objects.get(pk=first.pk).amount == 1_000 and Transfer.objects.count() == 2
    monkeypatch.setattr(drafts, "_new_reference", lambda: first.reference)
    response, third = enter(client, same_bank_data(contract, payee, amount=3_000))
    assert third is None and response.status_code == 200 and Transfer.objects.count() == 2
    assert "お取引を完了できませんでした。最初からやり直してください。" in response.content.decode()


def test_insert_unless_taken_writes_nothing_for_a_taken_value_and_still_refuses_a_broken_rule(contract, payee):
    """unless_taken: a row whose unique value is taken is not written (False, no error, the transaction goes on);
    any other constraint still raises: on SQLite too, where INSERT OR IGNORE would have hidden it."""
    from django.db import IntegrityError, transaction

    from ibank import compiled

    existing, _digest = confirmed_same_bank(contract, payee, 500, payee_name="ﾃｽﾄ")
    fields = {
        f.attname: getattr(existing, f.attname)
        for f in Transfer._meta.concrete_fields
        if not f.primary_key and f.attname != "reference"
    }
    with transaction.atomic():
        taken = Transfer(reference=existing.reference, **fields)
        assert compiled.insert(taken, unless_taken="reference") is False and taken.pk is None
        free = Transfer(reference="29010100000001", **fields)
        assert compiled.insert(free, unless_taken="reference") is True and free.pk is not None
    assert Transfer.objects.filter(reference="29010100000001").exists()
    with pytest.raises(IntegrityError), transaction.atomic():
        compiled.insert(Transfer(reference="29010100000002", **{**fields, "amount": 0}), unless_taken="reference")
    assert not Transfer.objects.filter(reference="29010100000002").exists()


def test_execute_twice_in_the_service_raises_already_executed(rf, contract, payee):
    transfer, digest = confirmed_same_bank(contract, payee, 500, payee_name="ﾃｽﾄ")
    services.transfer_execute(actor=None, contract=contract, transfer=transfer, digest=digest)
    with pytest.raises(services.AlreadyExecuted):
        services.transfer_execute(actor=None, contract=contract, transfer=transfer, digest=digest)
    assert balance(contract) == 99_500


# -- the three methods -------------------------------------------------------------


def test_card_challenge_authorizes(client, make_contract, payee):
    card = make_contract(method=Contract.Method.CARD)
    login(client, card)
    _response, transfer = enter(client, same_bank_data(card, payee, amount=700))
    confirm(client, transfer)
    page = client.get(reverse("transfers-authorize", args=[transfer.reference]))
    form = page.context["form"]
    # the page names the cells asked, in words (once it showed the hidden field's HTML instead)
    assert f"お客様カードの {'・'.join(form.asked_cells)} の位置の数字を入力してください。" in page.content.decode()
    answer = {f"card_{i}": CARD_GRID[cell] for i, cell in enumerate(form.asked_cells)}
    response = authorize(client, transfer, **answer)
    assert response["Location"] == reverse("transfers-result", args=[transfer.reference])
    assert balance(card) == 99_300


def test_otp_authorizes_when_a_token_is_registered(client, make_contract, make_token, payee, fake_clock):
    customer = make_contract()
    _binding, key = make_token(customer, login_otp=False, bound_days_ago=1)
    assert authorization.method_for(customer).key == "otp"
    login(client, customer)
    _response, transfer = enter(client, same_bank_data(customer, payee, amount=100_000))
    confirm(client, transfer)
    page = client.get(reverse("transfers-authorize", args=[transfer.reference])).content.decode()
    assert 'name="otp"' in page and "transfer_password" not in page
    wrong = authorize(client, transfer, otp=TRANSFER_PASSWORD)  # the transfer password no longer authorizes
    assert wrong.status_code == 200 and balance(customer) == 100_000
    code = totp.totp(key, fake_clock.t)
    response = authorize(client, transfer, otp=code)
    assert response["Location"] == reverse("transfers-result", args=[transfer.reference])
    assert balance(customer) == 0
    entry = AuditEntry.objects.filter(action="transfer.authorize", outcome="ok").get()
    confirmed = Transfer.objects.get().digest
    assert confirmed and entry.detail["digest"] == confirmed


def test_five_wrong_answers_lock_transactions_with_audit_and_mail(
    client, contract, payee, mailoutbox, django_capture_on_commit_callbacks
):
    login(client, contract)
    _response, transfer = enter(client, same_bank_data(contract, payee))
    confirm(client, transfer)
    with django_capture_on_commit_callbacks(execute=True):
        for i in range(5):
            response = authorize(client, transfer, transfer_password="99999")
            page = response.content.decode()
            assert ("あと2回誤るとお取引が停止されます。" in page) == (i == 2)
            assert ("正しくありません。あと2回" in page) == (i == 2)  # one sentence after another, no space
            assert ("あと1回誤るとお取引が停止されます。" in page) == (i == 3)
            assert "あと3回" not in page and "あと4回" not in page  # told only when two or fewer are left
    page = response.content.decode()
    assert str(authorization.TRANSACTION_LOCKED) in page and 'name="transfer_password"' not in page
    assert is_locked(contract, "transaction")
    assert AuditEntry.objects.filter(action="transaction.lock", contract=contract).count() == 1
    # Each wrong answer is in the audit log as such, with its method and the count it reached.
    wrong = AuditEntry.objects.filter(action="transfer.authorize", contract=contract, reason="wrong").order_by("pk")
    assert [(e.outcome, e.detail["method"], e.detail["failures"]) for e in wrong] == [
        ("failed", Contract.Method.TRANSFER_PASSWORD, n) for n in range(1, 6)
    ]
    assert [m.subject for m in mailoutbox] == [subject("transaction_locked")]
    assert settings.BANK_HELPDESK_PHONE in mailoutbox[0].body and settings.BANK_HELPDESK_PHONE in page
    response = authorize(client, transfer)  # even the right one now
    assert balance(contract) == 100_000 and str(authorization.TRANSACTION_LOCKED) in response.content.decode()


# -- limits --------------------------------------------------------------------------


def test_a_token_registered_today_does_not_raise_the_ceiling(make_contract, make_token):
    today = services.today()
    fresh = make_contract()
    make_token(fresh, bound_days_ago=0)
    assert services.daily_limit(fresh, today) == 200_000
    old = make_contract()
    make_token(old, bound_days_ago=1)
    assert services.daily_limit(old, today) == 500_000  # the contract's own limit, under the 10M ceiling
    Contract.objects.filter(pk=old.pk).update(daily_transfer_limit=10_000_000)
    old.refresh_from_db()
    assert services.daily_limit(old, today) == 10_000_000


# -- access ----------------------------------------------------------------------------


def test_another_contracts_things_are_404(client, contract, stranger, payee):
    login(client, stranger)
    _response, transfer = send(client, same_bank_data(stranger, payee, amount=100))
    payees.payee_save(actor=None, contract=stranger, transfer=transfer)
    theirs = Payee.objects.get(contract=stranger)
    client.post(reverse("accounts-logout"))
    login(client, contract)
    for url in [
        reverse("transfers-history", args=[stranger.account.pk]),
        reverse("transfers-result", args=[transfer.reference]),
        reverse("transfers-confirm", args=[transfer.reference]),
        reverse("transfers-authorize", args=[transfer.reference]),
        reverse("transfers-edit", args=[transfer.reference]),
        reverse("transfers-payee-delete", args=[theirs.pk]),
    ]:
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("transfers-payee-delete", args=[theirs.pk])).status_code == 404
    assert Payee.objects.filter(pk=theirs.pk).exists()
    # Another contract's account as the paying account is not a choice.
    response, created = enter(client, {**same_bank_data(contract, payee), "from_account": stranger.account.pk})
    assert created is None and "from_account" in response.context["form"].errors


def test_pages_need_a_login(client, db):
    for url in [NEW, reverse("transfers-payees"), reverse("transfers-banks")]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("accounts-login"))


# -- payees, history, search -----------------------------------------------------------


def test_save_list_use_and_delete_a_payee(client, contract):
    login(client, contract)
    _response, transfer = send(client, other_bank_data(contract, amount=1_000))
    result = reverse("transfers-result", args=[transfer.reference])
    assert "この振込先を登録する" in client.get(result).content.decode()
    client.post(reverse("transfers-save-payee", args=[transfer.reference]))
    payee = Payee.objects.get(contract=contract)
    assert (payee.bank_code, payee.number, payee.name) == ("0005", "7654321", "ﾔﾏﾀﾞ ﾊﾅｺ")
    assert "この振込先を登録する" not in client.get(result).content.decode()
    assert "ﾔﾏﾀﾞ ﾊﾅｺ" in client.get(reverse("transfers-payees")).content.decode()
    form = client.get(NEW, {"payee": payee.pk}).context["form"]
    assert form.initial["payee_number"] == "7654321" and form.initial["bank_code"] == "0005"
    deleted = client.post(reverse("transfers-payee-delete", args=[payee.pk]), follow=True)
    assert "振込先を削除しました。" in deleted.content.decode()
    assert not Payee.objects.exists()
    assert AuditEntry.objects.filter(action="payee.delete", contract=contract).exists()


def test_a_double_click_on_saving_the_payee_saves_it_once_and_both_are_told_it_was_saved(client, contract, monkeypatch):
    login(client, contract)
    _response, transfer = send(client, other_bank_data(contract, amount=1_000))
    url = reverse("transfers-save-payee", args=[transfer.reference])
    twin, response = double_click(monkeypatch, client, url, {}, at=(payees, "payee_save"))
    assert response["Location"] == reverse("transfers-result", args=[transfer.reference])
    page = twin.get(response["Location"]).content.decode()
    assert "振込先を登録しました。" in page and "登録済み" not in page
    assert Payee.objects.filter(contract=contract).count() == 1
    assert AuditEntry.objects.filter(action="payee.add", contract=contract).count() == 1


def test_a_payee_cannot_be_saved_from_a_transfer_not_made(client, contract):
    """「この振込先を登録する」 is offered on a transfer's result only; sent for one still at 確認 (a crafted POST) it
    saves nothing and leads to 確認."""
    login(client, contract)
    _response, transfer = enter(client, other_bank_data(contract, amount=1_000))
    response = client.post(reverse("transfers-save-payee", args=[transfer.reference]))
    assert response["Location"] == reverse("transfers-confirm", args=[transfer.reference])
    assert not Payee.objects.filter(contract=contract).exists()
    assert not AuditEntry.objects.filter(action="payee.add").exists()
    with pytest.raises(services.TransferError):
        payees.payee_save(actor=None, contract=contract, transfer=transfer)
    assert not Payee.objects.filter(contract=contract).exists()


def test_a_payee_registered_from_another_transfer_is_told_as_registered_already(client, contract):
    login(client, contract)
    _response, first = send(client, other_bank_data(contract, amount=1_000))
    _response, second = send(client, other_bank_data(contract, amount=2_000))
    client.post(reverse("transfers-save-payee", args=[first.reference]))
    response = client.post(reverse("transfers-save-payee", args=[second.reference]), follow=True)
    assert "この振込先は登録済みです。" in response.content.decode()
    assert Payee.objects.filter(contract=contract).count() == 1


def test_history_lists_newest_first_with_memo(client, contract, payee):
    login(client, contract)
    send(client, same_bank_data(contract, payee, amount=1_000))
    send(client, other_bank_data(contract, amount=2_000))
    page = client.get(reverse("transfers-history", args=[contract.account.pk]))
    rows = page.context["page"].object_list
    assert [p.memo for p in rows] == ["fee", "transfer_out", "transfer_out", "deposit"]
    assert [p.balance_after for p in rows] == [96_725, 97_000, 99_000, 100_000]
    html = page.content.decode()
    assert "振込手数料" in html and "ﾔﾏﾀﾞ ﾊﾅｺ" in html
    payee_page = client.get(reverse("transfers-history", args=[payee.account.pk]))
    assert payee_page.status_code == 404  # not this customer's account
    client.post(reverse("accounts-logout"))
    login(client, payee)
    html = client.get(reverse("transfers-history", args=[payee.account.pk])).content.decode()
    assert "振込入金" in html and contract.account.holder_kana in html


def test_history_is_paginated(client, contract, payee):
    login(client, contract)
    for _ in range(21):
        send(client, same_bank_data(contract, payee, amount=10))
    url = reverse("transfers-history", args=[contract.account.pk])
    first = client.get(url).context["page"]
    assert len(first.object_list) == 20
    assert len(client.get(url, {"before": first.next_before}).context["page"].object_list) == 2


def test_bank_and_branch_search(client, contract):
    login(client, contract)
    assert "三菱ＵＦＪ" in client.get(reverse("transfers-banks"), {"q": "みつびし"}).content.decode()
    assert "みずほ" in client.get(reverse("transfers-banks"), {"initial": "ﾐ"}).content.decode()
    page = client.get(reverse("transfers-branches", args=["0005"]), {"q": "ほんてん"}).content.decode()
    assert "?bank_code=0005&amp;branch_code=001" in page
    form = client.get(NEW, {"bank_code": "0005", "branch_code": "001"}).context["form"]
    assert form.initial == {"bank_code": "0005", "branch_code": "001"}


# -- check_ledger ----------------------------------------------------------------------------


def test_check_ledger_finds_a_balance_that_does_not_match_its_postings(contract):
    check_ledger()
    Account.objects.filter(pk=contract.account.pk).update(balance=100_001)
    with pytest.raises(CommandError):
        check_ledger()


def test_check_ledger_finds_a_line_whose_time_is_not_its_entrys(contract):
    from datetime import UTC, datetime

    from django.db import connection

    check_ledger()
    then = connection.ops.adapt_datetimefield_value(datetime(2020, 1, 1, tzinfo=UTC))
    with connection.cursor() as cursor:  # the ORM refuses to change a posting: only SQL can
        cursor.execute("UPDATE transfers_posting SET at = %s WHERE account_id = %s", [then, contract.account.pk])
    with pytest.raises(CommandError):
        check_ledger()


def _ledger_sql(sql, params):
    from django.db import connection

    with connection.cursor() as cursor:  # the ORM refuses to change a posting: only SQL can
        cursor.execute(sql, params)


def _ledger_problems():
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("check_ledger", stdout=StringIO(), stderr=err)
    return err.getvalue()


def test_check_ledger_finds_entries_whose_lines_do_not_balance(contract, payee):
    """Two entries off by one yen each way: every account still matches its lines and the total is 0, yet
    neither entry balances."""
    first = JournalEntry.objects.get(postings__account=contract.account)
    second = JournalEntry.objects.get(postings__account=payee.account)
    check_ledger()
    _ledger_sql("UPDATE transfers_posting SET amount = amount + 1 WHERE entry_id = %s AND amount > 0", [first.pk])
    _ledger_sql("UPDATE transfers_posting SET amount = amount - 1 WHERE entry_id = %s AND amount > 0", [second.pk])
    _ledger_sql("UPDATE accounts_account SET balance = balance + %s WHERE id = %s", [1, contract.account.pk])
    _ledger_sql("UPDATE accounts_account SET balance = balance + %s WHERE id = %s", [-1, payee.account.pk])
    problems = _ledger_problems()
    assert f"entry {first.pk}: 2 postings summing to 1" in problems
    assert f"entry {second.pk}: 2 postings summing to -1" in problems
    assert "sum to" not in problems.replace("postings summing to", "")  # the accounts and the total agree


def test_a_customer_balance_below_zero_is_refused_by_the_database_itself(contract):
    """Even by SQL that bypasses the engine: the CHECK on the account refuses it (an internal account, such as
    the cash account, may go below zero)."""
    from django.db import IntegrityError, transaction

    cash = Account.objects.internal(Account.Purpose.CASH)
    with pytest.raises(IntegrityError), transaction.atomic():
        _ledger_sql("UPDATE accounts_account SET balance = -1 WHERE id = %s", [contract.account.pk])
    _ledger_sql("UPDATE accounts_account SET balance = balance - 1 WHERE id = %s", [cash.pk])
    assert balance(contract) > 0


def test_ledger_entries_are_immutable(client, contract, payee):
    from django.core.exceptions import PermissionDenied

    login(client, contract)
    _response, transfer = send(client, same_bank_data(contract, payee, amount=100))
    entry = JournalEntry.objects.get(reference=transfer.reference)
    with pytest.raises(PermissionDenied):
        JournalEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(PermissionDenied):
        entry.postings.update(amount=1)
    posting = entry.postings.first()
    posting.amount = 1
    for write in (entry.save, entry.delete, posting.save, posting.delete):  # one row at a time, as the admin would
        with pytest.raises(PermissionDenied):
            write()
    from ledger import books as ledger

    reversal = ledger.reverse(entry)
    assert balance(contract) == 100_000 and reversal.reverses == entry
    check_ledger()


def test_execution_computes_the_ceiling_itself(make_contract, make_token, payee):
    from datetime import timedelta

    from ibank import clock
    from otp.models import TokenBinding

    rich = make_contract(balance=2_000_000, daily_transfer_limit=10_000_000)
    binding, _key = make_token(rich, bound_days_ago=1)
    paid_before(rich, payee)  # not a new payee: the daily limit, not the new payee's cap, is what binds

    def confirmed(amount):
        return confirmed_same_bank(rich, payee, amount, payee_name="ﾃｽﾄ")

    first, second = confirmed(600_000), confirmed(300_000)
    services.transfer_execute(actor=None, contract=rich, transfer=first[0], digest=first[1])  # 10M ceiling
    # The token is exchanged today (registered today): the ceiling falls to 200,000 until tomorrow.
    TokenBinding.objects.filter(pk=binding.pk).update(bound_at=clock.now() - timedelta(seconds=1))
    with pytest.raises(services.OverLimit):
        services.transfer_execute(actor=None, contract=rich, transfer=second[0], digest=second[1])
    assert balance(rich) == 1_400_000


def test_a_value_a_choice_does_not_offer_is_told_by_the_fields_name_and_not_repeated(client, contract, payee):
    """A stale or meddled page: the paying account and the 預金種目 name themselves, as an empty choice does."""
    login(client, contract)
    sent = "<b>999999</b>"
    response, created = enter(client, {**same_bank_data(contract, payee), "from_account": sent, "payee_kind": sent})
    errors = response.context["form"].errors
    assert created is None
    assert errors["from_account"] == ["支払口座を選択してください。"]
    assert errors["payee_kind"] == ["預金種目を選択してください。"]
    assert "999999" not in response.content.decode()


def test_a_payee_deleted_by_a_double_click_is_told_deleted(client, contract, payee, monkeypatch):
    """The second request of a double click finds the payee gone: told it was deleted (not 「ページが見つかりま
    せん」), and the deletion is audited once; another contract's payee stays a 404 (test above)."""
    login(client, contract)
    saved = registered_payee(contract)
    url = reverse("transfers-payee-delete", args=[saved.pk])
    twin, response = double_click(monkeypatch, client, url, {}, at=(payees, "payee_delete"))
    assert response["Location"] == reverse("transfers-payees")
    assert "振込先を削除しました。" in twin.get(response["Location"]).content.decode()
    assert client.post(url)["Location"] == reverse("transfers-payees")  # sent once more: the same answer
    assert not Payee.objects.filter(pk=saved.pk).exists()
    assert AuditEntry.objects.filter(action="payee.delete", contract=contract).count() == 1
