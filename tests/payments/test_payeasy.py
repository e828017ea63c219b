"""収納サービス (Pay-easy), SPEC §5: both kinds of biller, the number-entry block, a bill paid once."""

from datetime import timedelta
from functools import partial

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from accounts.models import Account, Contract
from auditlog.models import AuditEntry
from branch import services as branch_services
from ibank.actor import of_request
from ledger.models import JournalEntry
from notices.models import Notice
from payments import payeasy
from payments.models import Bill, Payment
from payments.services import today
from tests.concurrency import run_concurrently
from tests.conftest import CARD_GRID, TRANSFER_PASSWORD
from tests.helpers import answered_after, compiled_plan, is_locked, set_lock
from tests.payments.helpers import copies, login, same_bank_data, send

NEW = reverse("payeasy-new")
NUMBERS = reverse("payeasy-numbers")
BLOCKED = "番号の誤りが続いたため、本日は収納サービスをご利用いただけません。"
WRONG = "入力された番号に該当するお支払いがありません。"


def enter(client, biller_number, contract, **numbers):
    """収納機関番号 and the numbers: returns the last response."""
    response = client.post(NEW, {"biller_number": biller_number})
    if response.status_code != 302:
        return response
    return client.post(NUMBERS, {"from_account": contract.account.pk, **numbers})


def pay(client, contract, biller_number, answer=None, **numbers):
    """A whole payment: returns (last response, payment)."""
    response = enter(client, biller_number, contract, **numbers)
    assert response.status_code == 302, response.context["form"].errors
    reference = response["Location"].split("/")[2]
    payment = Payment.objects.get(reference=reference)
    assert client.get(response["Location"]).status_code == 200
    confirmed = client.post(reverse("payeasy-confirm", args=[reference]))
    assert confirmed["Location"] == reverse("payeasy-authorize", args=[reference])
    response = client.post(
        reverse("payeasy-authorize", args=[reference]), answer or {"transfer_password": TRANSFER_PASSWORD}
    )
    payment.refresh_from_db()
    return response, payment


PRIVATE_NUMBERS = {"customer_number": "12345678901234", "confirmation_number": "1234"}
PUBLIC_NUMBERS = {"customer_number": "1234567890123456", "confirmation_number": "123456", "payment_category": "101"}


def test_a_private_billers_bill_end_to_end(client, contract, billers, django_capture_on_commit_callbacks):
    login(client, contract)
    numbers_page = client.post(NEW, {"biller_number": "５８００１"}, follow=True)
    html = numbers_page.content.decode()
    assert "さくら電力株式会社" in html and "お客様番号" in html and "納付区分" not in html
    response = client.post(NUMBERS, {"from_account": contract.account.pk, **PRIVATE_NUMBERS, "amount": "1"})
    reference = response["Location"].split("/")[2]
    confirm = client.get(response["Location"]).content.decode()
    # The bill as fetched: biller, 内容, amount (never typed: a posted "amount" is ignored).
    assert "電気料金（11月分）" in confirm and "8,640円" in confirm
    client.post(reverse("payeasy-confirm", args=[reference]))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("payeasy-authorize", args=[reference]), {"transfer_password": TRANSFER_PASSWORD})
    assert response["Location"] == reverse("payeasy-result", args=[reference])
    result = client.get(response["Location"]).content.decode()
    assert "お支払いが完了しました。" in result and reference in result

    payment = Payment.objects.get(reference=reference)
    assert payment.status == Payment.Status.DONE and payment.amount == 8_640
    bill = Bill.objects.get(pk=billers["electricity"].pk)
    assert bill.is_paid and bill.paid_reference == reference
    assert Account.objects.get(pk=contract.account.pk).balance == 100_000 - 8_640
    assert Account.objects.get(pk=billers["private"].account_id).balance == 8_640
    entry = JournalEntry.objects.get(reference=reference)
    assert entry.kind == JournalEntry.Kind.PAYEASY and sum(p.amount for p in entry.postings.all()) == 0
    actions = list(AuditEntry.objects.filter(contract=contract, outcome="ok").values_list("action", flat=True))
    for action in ("payeasy.input", "payeasy.confirm", "payeasy.authorize", "payeasy.execute"):
        assert action in actions
    assert mail.outbox[-1].to == [contract.email] and "払込み完了" in mail.outbox[-1].subject
    assert reference in mail.outbox[-1].body
    # A reload of 認証 or 結果 pays nothing more.
    client.post(reverse("payeasy-authorize", args=[reference]), {"transfer_password": TRANSFER_PASSWORD})
    assert Account.objects.get(pk=contract.account.pk).balance == 100_000 - 8_640
    assert JournalEntry.objects.filter(reference=reference).count() == 1
    call_command("check_ledger")


def test_a_public_billers_bill_end_to_end_with_the_card(client, make_contract, billers):
    contract = make_contract(method=Contract.Method.CARD)
    login(client, contract)
    page = client.post(NEW, {"biller_number": "78901"}, follow=True).content.decode()
    assert "納付番号" in page and "納付区分" in page
    # 納付区分 is one of the numbers: without it, the field is named.
    response = client.post(NUMBERS, {"from_account": contract.account.pk, **PUBLIC_NUMBERS, "payment_category": ""})
    assert "納付区分を入力してください。" in response.content.decode()
    assert 'value="1234567890123456"' in response.content.decode()  # what was typed is kept
    response = client.post(NUMBERS, {"from_account": contract.account.pk, **PUBLIC_NUMBERS})
    reference = response["Location"].split("/")[2]
    client.post(reverse("payeasy-confirm", args=[reference]))
    authorize = reverse("payeasy-authorize", args=[reference])
    form = client.get(authorize).context["form"]
    answer = {f"card_{i}": CARD_GRID[cell] for i, cell in enumerate(form.asked_cells)}
    assert client.post(authorize, answer)["Location"] == reverse("payeasy-result", args=[reference])
    assert Bill.objects.get(pk=billers["tax"].pk).is_paid
    assert Account.objects.get(pk=billers["public"].account_id).balance == 45_600


def test_a_wrong_category_is_a_wrong_entry_with_one_answer(client, contract, billers):
    login(client, contract)
    for numbers in (
        {**PUBLIC_NUMBERS, "payment_category": "102"},
        {**PUBLIC_NUMBERS, "confirmation_number": "000000"},
        {**PUBLIC_NUMBERS, "customer_number": "9"},
    ):
        response = enter(client, "78901", contract, **numbers)
        assert WRONG in response.content.decode()
    assert Contract.objects.get(pk=contract.pk).payeasy_failures == 3
    assert not Payment.objects.exists()


def _wrong(client, contract, n):
    for _ in range(n):
        response = enter(client, "58001", contract, customer_number="12345678901234", confirmation_number="9999")
    return response


def test_the_tenth_consecutive_wrong_entry_blocks_pay_easy_for_the_day(
    client, contract, billers, django_capture_on_commit_callbacks
):
    login(client, contract)
    page = _wrong(client, contract, 6).content.decode()
    assert str(payeasy.WrongNumbers.message) in page and "あと4回" not in page  # the tries left: from three
    response = _wrong(client, contract, 1)
    assert "あと3回" in response.content.decode()
    # An unknown 収納機関番号 is a wrong entry too.
    response = client.post(NEW, {"biller_number": "99999"})
    assert "収納機関番号に該当する収納機関がありません" in response.content.decode()
    response = _wrong(client, contract, 1)
    assert "あと1回" in response.content.decode() and BLOCKED not in response.content.decode()
    assert not payeasy.is_blocked(Contract.objects.get(pk=contract.pk))  # the 9th does not block
    with django_capture_on_commit_callbacks(execute=True):
        response = _wrong(client, contract, 1)
    assert BLOCKED in response.content.decode()
    contract.refresh_from_db()
    assert payeasy.is_blocked(contract) and contract.payeasy_failures == 10
    # The right numbers are refused now, and no number field is offered.
    page = client.get(NEW).content.decode()
    assert BLOCKED in page and "biller_number" not in page
    response = client.post(NEW, {"biller_number": "58001"})
    assert BLOCKED in response.content.decode()
    assert AuditEntry.objects.filter(contract=contract, action="payeasy.block").count() == 1
    assert any("利用停止" in m.subject for m in mail.outbox)
    # Transfers are another matter: not blocked.
    assert client.get(reverse("transfers-new")).status_code == 200


def test_a_tenth_wrong_entry_at_the_billers_number_blocks_too(client, contract, billers):
    """The 10th wrong entry may be a 収納機関番号 that names no 収納機関: the page that answers it is the block's,
    not the form with a field error (which would still offer a field the day's block refuses)."""
    login(client, contract)
    _wrong(client, contract, 9)
    page = client.post(NEW, {"biller_number": "99999"}).content.decode()
    assert BLOCKED in page and "biller_number" not in page
    assert "収納機関番号に該当する収納機関がありません" not in page
    contract.refresh_from_db()
    assert payeasy.is_blocked(contract) and contract.payeasy_failures == 10
    assert AuditEntry.objects.filter(contract=contract, action="payeasy.block").count() == 1


def test_the_days_block_holds_behind_another_lock(client, contract, billers):
    """The gate names one lock, the first: with the 資金移動用パスワード locked too, the day's block is still told
    at once and still refuses every number, right or wrong, counting none."""
    login(client, contract)
    _wrong(client, contract, 10)
    Contract.objects.filter(pk=contract.pk).update(transaction_failures=5)
    set_lock(contract, "transaction")
    page = client.get(NEW).content.decode()
    assert BLOCKED in page and "biller_number" not in page
    assert payeasy.is_blocked(Contract.objects.get(pk=contract.pk))
    for numbers in (PRIVATE_NUMBERS, {**PRIVATE_NUMBERS, "confirmation_number": "0000"}):
        held = Contract.objects.get(pk=contract.pk)
        with pytest.raises(payeasy.Blocked):
            payeasy.bill_lookup(actor=None, contract=held, biller=billers["private"], **_lookup(numbers))
    refused = AuditEntry.objects.filter(contract=contract, action="payeasy.input", reason=payeasy.Blocked.reason)
    before = refused.count()
    for number in ("58001", "99999"):  # a 収納機関 in service, and none
        with pytest.raises(payeasy.Blocked):
            payeasy.biller_lookup(actor=None, contract=Contract.objects.get(pk=contract.pk), number=number)
    assert refused.count() == before + 2  # each refusal audited as refused by the block, not as wrong
    assert Contract.objects.get(pk=contract.pk).payeasy_failures == 10


def test_a_right_entry_that_raced_the_tenth_wrong_one_is_refused(client, contract, billers, monkeypatch):
    """The right numbers were checked against the block before the 10th wrong entry set it (the race of a
    burst): they are refused as they are accepted, and the run of wrong entries is not reset."""
    login(client, contract)
    _wrong(client, contract, 10)
    monkeypatch.setattr(payeasy, "is_blocked", lambda contract: False)  # the check that ran before the block
    racing = Contract.objects.get(pk=contract.pk)
    with pytest.raises(payeasy.Blocked):
        payeasy.bill_lookup(actor=None, contract=racing, biller=billers["private"], **_lookup(PRIVATE_NUMBERS))
    assert Contract.objects.get(pk=contract.pk).payeasy_failures == 10
    last = AuditEntry.objects.filter(contract=contract, action="payeasy.input").latest("pk")
    assert (last.outcome, last.reason) == ("failed", payeasy.Blocked.reason)
    assert not Payment.objects.filter(contract=contract).exists()


def test_each_wrong_entry_is_audited_with_its_count(client, contract, billers):
    login(client, contract)
    _wrong(client, contract, 11)  # the 10th blocks; the 11th is refused before it is read
    entries = AuditEntry.objects.filter(contract=contract, action="payeasy.input", outcome="failed").order_by("pk")
    assert [(e.reason, e.detail["failures"]) for e in entries] == [("wrong_numbers", n) for n in range(1, 11)]


def test_a_right_entry_resets_the_run(client, contract, billers):
    login(client, contract)
    _wrong(client, contract, 9)
    response = enter(client, "58001", contract, **PRIVATE_NUMBERS)
    assert response.status_code == 302
    assert Contract.objects.get(pk=contract.pk).payeasy_failures == 0
    _wrong(client, contract, 9)
    assert not payeasy.is_blocked(Contract.objects.get(pk=contract.pk))


def test_the_next_jst_day_unblocks(client, contract, billers, fake_clock):
    login(client, contract)
    _wrong(client, contract, 10)
    assert payeasy.is_blocked(Contract.objects.get(pk=contract.pk))
    fake_clock.advance(24 * 3600)
    login(client, contract)  # the session has timed out meanwhile
    response = enter(client, "58001", contract, **PRIVATE_NUMBERS)
    assert response.status_code == 302 and "/confirm/" in response["Location"]


def test_the_next_days_tenth_wrong_entry_blocks_again(client, contract, billers, fake_clock):
    """Yesterday's block ended by itself (its row is still open, past its end): today's tenth wrong entry
    blocks again, audited and told again."""
    login(client, contract)
    _wrong(client, contract, 10)
    fake_clock.advance(24 * 3600)
    login(client, contract)
    response = _wrong(client, contract, 9)
    assert "あと1回" in response.content.decode()
    response = _wrong(client, contract, 1)
    assert BLOCKED in response.content.decode()
    assert payeasy.is_blocked(Contract.objects.get(pk=contract.pk))
    assert AuditEntry.objects.filter(contract=contract, action="payeasy.block").count() == 2
    assert Notice.objects.filter(contract_id=contract.pk, event="payeasy_blocked").count() == 2


def test_a_branch_unlock_unblocks_and_only_that(rf, client, contract, billers, django_user_model):
    from django.contrib.auth.models import Group

    login(client, contract)
    _wrong(client, contract, 10)
    Contract.objects.filter(pk=contract.pk).update(transaction_failures=5)
    set_lock(contract, "transaction")
    clerk = django_user_model.objects.create_user("clerk", password="x", is_staff=True)
    clerk.groups.add(Group.objects.get(name="窓口担当"))
    request = rf.post("/admin/")
    request.user = clerk
    branch_services.contract_unlock(
        actor=of_request(request), staff=clerk, contract=contract, kind="payeasy", reason="お客様から電話で申出"
    )
    contract.refresh_from_db()
    assert not payeasy.is_blocked(contract) and contract.payeasy_failures == 0
    assert is_locked(contract, "transaction")  # another kind stays
    entry = AuditEntry.objects.get(action="payeasy.unlock")
    assert entry.detail["staff_reason"] == "お客様から電話で申出" and "clerk" in entry.actor
    with pytest.raises(branch_services.OperationRefused):  # nothing left to lift
        branch_services.contract_unlock(actor=None, staff=clerk, contract=contract, kind="payeasy", reason="再")
    response = enter(client, "58001", contract, **PRIVATE_NUMBERS)  # the block is gone; the other lock is told
    page = response.content.decode()
    assert response.status_code == 200 and "お取引（振込・収納サービス等）を停止しています" in page
    assert "本日は収納サービスをご利用いただけません" not in page
    branch_services.contract_unlock(actor=None, staff=clerk, contract=contract, kind="transaction", reason="申出")
    assert enter(client, "58001", contract, **PRIVATE_NUMBERS).status_code == 302


def test_a_paid_bill_is_refused(client, contract, stranger, billers):
    login(client, contract)
    pay(client, contract, "58001", **PRIVATE_NUMBERS)
    response = enter(client, "58001", contract, **PRIVATE_NUMBERS)
    assert "このお支払いは既に完了しています。" in response.content.decode()
    assert Contract.objects.get(pk=contract.pk).payeasy_failures == 0  # the numbers were right
    refused = AuditEntry.objects.get(action="payeasy.input", contract=contract, outcome="failed")
    assert refused.reason == payeasy.BillPaid.reason


def test_a_bill_paid_between_confirm_and_execute_moves_nothing(client, contract, stranger, billers):
    login(client, contract)
    first = enter(client, "58001", contract, **PRIVATE_NUMBERS)
    reference = first["Location"].split("/")[2]
    client.post(reverse("payeasy-confirm", args=[reference]))
    other = Client()
    login(other, stranger)
    _response, paid = pay(other, stranger, "58001", **PRIVATE_NUMBERS)
    assert paid.status == Payment.Status.DONE
    response = client.post(reverse("payeasy-authorize", args=[reference]), {"transfer_password": TRANSFER_PASSWORD})
    assert response["Location"] == NEW
    assert "このお支払いは既に完了しています。" in client.get(NEW).content.decode()
    assert Account.objects.get(pk=contract.account.pk).balance == 100_000
    assert Payment.objects.get(reference=reference).status == Payment.Status.CONFIRMED
    assert Account.objects.get(pk=billers["private"].account_id).balance == 8_640
    call_command("check_ledger")


def test_a_payment_changed_after_confirm_is_refused_at_authorize_and_moves_nothing(client, contract, billers):
    """Authorization binds what was confirmed (SPEC §5), for Pay-easy as for 振込: the paying account changed
    behind 確認's digest (to another of the contract's own, which every later check would accept) is refused at
    認証, audited, and nothing is paid."""
    from ledger import books

    savings = Account.objects.create(
        contract=contract, branch_code="001", branch_name="本店営業部", kind=4, number="7654321", holder_kana="ﾃｽﾄ"
    )
    books.deposit(account=savings, amount=50_000)
    login(client, contract)
    reference = enter(client, "58001", contract, **PRIVATE_NUMBERS)["Location"].split("/")[2]
    client.post(reverse("payeasy-confirm", args=[reference]))
    Payment.objects.filter(reference=reference).update(from_account=savings)
    response = client.post(reverse("payeasy-authorize", args=[reference]), {"transfer_password": TRANSFER_PASSWORD})
    assert response.status_code == 302 and response["Location"] != reverse("payeasy-result", args=[reference])
    assert str(payeasy.PaymentChanged.message) in client.get(response["Location"], follow=True).content.decode()
    assert Payment.objects.get(reference=reference).status == Payment.Status.CONFIRMED
    assert not Bill.objects.get(pk=billers["electricity"].pk).is_paid
    assert [a.balance for a in Account.objects.filter(pk__in=[contract.account.pk, savings.pk]).order_by("pk")] == [
        100_000,
        50_000,
    ]
    entry = AuditEntry.objects.get(action="payeasy.execute", contract=contract)
    assert (entry.outcome, entry.reason) == ("failed", "changed")


def test_an_overdue_bill_is_refused(client, contract, billers):
    Bill.objects.filter(pk=billers["electricity"].pk).update(due_date=today() - timedelta(days=1))
    login(client, contract)
    response = enter(client, "58001", contract, **PRIVATE_NUMBERS)
    assert "お支払期限" in response.content.decode() and "過ぎている" in response.content.decode()
    refused = AuditEntry.objects.get(action="payeasy.input", contract=contract, outcome="failed")
    assert refused.reason == payeasy.BillOverdue.reason
    assert Contract.objects.get(pk=contract.pk).payeasy_failures == 0  # the numbers were right
    # Due today, it is still payable.
    Bill.objects.filter(pk=billers["electricity"].pk).update(due_date=today())
    assert enter(client, "58001", contract, **PRIVATE_NUMBERS).status_code == 302


def test_pay_easy_counts_toward_the_daily_limit(client, make_contract, billers):
    contract = make_contract(daily_transfer_limit=10_000)
    login(client, contract)
    response = enter(client, "78901", contract, **PUBLIC_NUMBERS)
    assert "限度額を超えています" in response.content.decode()
    assert not Payment.objects.exists()


def test_insufficient_balance_is_refused(client, make_contract, billers):
    contract = make_contract(balance=1_000)
    login(client, contract)
    response = enter(client, "58001", contract, **PRIVATE_NUMBERS)
    assert "残高が不足しています" in response.content.decode()


@pytest.mark.parametrize(
    ("fields", "told", "reason"),
    [
        ({"balance": 8_639}, "支払口座の残高が不足しています。（お支払可能額：8,639円）", "insufficient_balance"),
        ({"daily_transfer_limit": 8_639}, "本日お支払いいただける金額はあと8,639円です。", "over_limit"),
    ],
)
def test_a_bill_of_exactly_what_is_left_is_payable_and_one_yen_more_is_refused(
    client, make_contract, billers, fields, told, reason
):
    """The electricity bill is 8,640 yen: a balance or a day's limit of 8,639 refuses it, says what is left and
    is audited; exactly 8,640 enters it."""
    short = make_contract(**{"balance": 100_000, **fields})
    login(client, short)
    page = enter(client, "58001", short, **PRIVATE_NUMBERS).content.decode()
    assert told in page and not Payment.objects.exists()
    assert AuditEntry.objects.get(action="payeasy.input", contract=short, outcome="failed").reason == reason
    enough, other = make_contract(**{name: value + 1 for name, value in fields.items()}), Client()
    login(other, enough)
    assert enter(other, "58001", enough, **PRIVATE_NUMBERS).status_code == 302


def test_a_limit_used_beyond_its_new_amount_says_nothing_is_left(client, contract, stranger, billers):
    """Today's usage above a limit lowered since: Pay-easy says あと0円, not a negative amount."""
    login(client, contract)
    send(client, same_bank_data(contract, stranger, amount=20_000))
    Contract.objects.filter(pk=contract.pk).update(daily_transfer_limit=10_000)
    page = enter(client, "58001", contract, **PRIVATE_NUMBERS).content.decode()
    assert "本日お支払いいただける金額はあと0円です。" in page


def test_another_contracts_payment_is_404(client, contract, stranger, billers):
    other = Client()
    login(other, stranger)
    _response, payment = pay(other, stranger, "58001", **PRIVATE_NUMBERS)
    login(client, contract)
    for name in ("payeasy-result", "payeasy-confirm", "payeasy-authorize"):
        assert client.get(reverse(name, args=[payment.reference])).status_code == 404
    assert client.post(reverse("payeasy-cancel", args=[payment.reference])).status_code == 404


@pytest.mark.postgres
def test_a_payment_is_found_by_its_reference_alone(client, contract, stranger, billers):
    """Every step of a payment loads it by the 受付番号 (unique) through that index, never by walking the
    contract's payments; another contract's 受付番号 finds nothing for this one."""
    from payments import drafts

    login(client, contract)
    _response, payment = pay(client, contract, "58001", **PRIVATE_NUMBERS)
    copies(payment, [{"status": "cancelled"}] * 200)
    plan = compiled_plan(drafts._OWN_PAYMENT, payment.reference)
    indexes = [line for line in plan.splitlines() if "Index" in line and " on transfers_payment " in line]
    assert indexes and all("reference" in line for line in indexes), plan
    assert drafts.own_payment(contract, payment.reference).pk == payment.pk
    assert drafts.own_payment(stranger, payment.reference) is None


def test_the_numbers_step_expires_and_cannot_be_skipped(client, contract, billers, fake_clock):
    login(client, contract)
    assert client.get(NUMBERS)["Location"] == NEW
    client.post(NEW, {"biller_number": "58001"})
    fake_clock.advance(301)
    response = client.post(NUMBERS, {"from_account": contract.account.pk, **PRIVATE_NUMBERS})
    assert response["Location"] in (NEW, reverse("accounts-login"))


def test_authorize_is_sent_back_to_confirm_saying_why(client, contract, billers, fake_clock):
    """Never confirmed, another payment confirmed since (a second tab), or confirmed too long ago: 認証 goes
    back to 確認 with the reason, and nothing is paid."""
    from ibank import pending

    login(client, contract)

    def entered(biller_number, numbers):
        return enter(client, biller_number, contract, **numbers)["Location"].split("/")[2]

    def told(reference):
        response = client.post(reverse("payeasy-authorize", args=[reference]), {"transfer_password": TRANSFER_PASSWORD})
        assert response["Location"] == reverse("payeasy-confirm", args=[reference])
        client.get(response["Location"])  # the message is shown (and so consumed)
        return [str(m) for m in response.wsgi_request._messages]

    first = entered("58001", PRIVATE_NUMBERS)
    assert told(first) == ["お支払いの内容を確認してから、認証に進んでください。"]
    second = entered("78901", PUBLIC_NUMBERS)
    client.post(reverse("payeasy-confirm", args=[first]))
    client.post(reverse("payeasy-confirm", args=[second]))
    assert told(first) == ["別の画面で別のお取引が確認されたため、このお取引は確認からやり直してください。"]
    fake_clock.advance(pending.max_age() + 1)
    login(client, contract)
    client.post(reverse("payeasy-confirm", args=[second]))  # a reload of 確認 keeps it confirmed, and fresh
    fake_clock.advance(pending.max_age() + 1)
    login(client, contract)
    assert told(second) == ["一定時間が経過したため、確認からやり直してください。"]
    assert not Payment.objects.filter(status=Payment.Status.DONE).exists()


@pytest.mark.parametrize("typed", ["5800", "58OO1", "580011"])
def test_a_malformed_biller_number_is_told_and_kept_and_counts_no_wrong_entry(client, contract, billers, typed):
    login(client, contract)
    response = client.post(NEW, {"biller_number": typed})
    assert response.context["form"].errors["biller_number"] == ["収納機関番号は半角数字5桁で入力してください。"]
    assert f'value="{typed}"' in response.content.decode()
    assert Contract.objects.get(pk=contract.pk).payeasy_failures == 0  # a typo of form, not a guess


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("customer_number", "12345ABC", "お客様番号は半角数字20桁以内で入力してください。"),
        ("customer_number", "1" * 21, "お客様番号は半角数字20桁以内で入力してください。"),
        ("confirmation_number", "12a4", "確認番号は半角数字6桁以内で入力してください。"),
        ("confirmation_number", "1" * 7, "確認番号は半角数字6桁以内で入力してください。"),
    ],
)
def test_malformed_numbers_name_their_field_keep_what_was_typed_and_count_no_wrong_entry(
    client, contract, billers, field, typed, message
):
    login(client, contract)
    response = enter(client, "58001", contract, **{**PRIVATE_NUMBERS, field: typed})
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert f'value="{typed}"' in response.content.decode()
    assert Contract.objects.get(pk=contract.pk).payeasy_failures == 0


def test_cancel_before_execution_moves_nothing(client, contract, billers):
    login(client, contract)
    response = enter(client, "58001", contract, **PRIVATE_NUMBERS)
    reference = response["Location"].split("/")[2]
    response = client.post(reverse("payeasy-cancel", args=[reference]))
    assert response["Location"] == reverse("accounts-menu")
    assert "中止しました" in client.get(response["Location"]).content.decode()
    assert Payment.objects.get(reference=reference).status == Payment.Status.CANCELLED
    assert AuditEntry.objects.filter(action="payeasy.cancel", contract=contract, outcome="ok").count() == 1
    assert client.post(reverse("payeasy-confirm", args=[reference]))["Location"] == NEW
    assert not Bill.objects.get(pk=billers["electricity"].pk).is_paid


def test_a_stale_stop_button_after_the_payment_shows_it_paid(client, contract, billers):
    """中止 pressed on a page left open after the same payment was made (another tab, a double click): the
    payment stands, and the customer is shown it paid, not told 「中止しました」."""
    login(client, contract)
    _response, payment = pay(client, contract, "58001", **PRIVATE_NUMBERS)
    assert payment.status == Payment.Status.DONE
    response = client.post(reverse("payeasy-cancel", args=[payment.reference]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("payeasy-result", args=[payment.reference])
    assert "中止しました" not in response.content.decode()
    assert Payment.objects.get(pk=payment.pk).status == Payment.Status.DONE
    assert Bill.objects.get(pk=billers["electricity"].pk).is_paid


def test_a_confirm_racing_a_cancel_in_another_tab_confirms_nothing_and_leads_to_a_new_input(
    client, contract, billers, monkeypatch
):
    login(client, contract)
    reference = enter(client, "58001", contract, **PRIVATE_NUMBERS)["Location"].split("/")[2]
    # Another tab's 中止 lands after this 確認 loaded the payment, before its conditional UPDATE.
    fresh = Payment.objects.get(reference=reference)
    cancel = partial(payeasy.payment_cancel, actor=None, contract=contract, payment=fresh)
    answered_after(monkeypatch, cancel, at=(payeasy, "payment_confirm"))
    response = client.post(reverse("payeasy-confirm", args=[reference]), follow=True)
    assert response.redirect_chain[-1][0] == NEW
    assert str(payeasy.PaymentChanged.message) in response.content.decode()
    payment = Payment.objects.get(reference=reference)
    assert payment.status == Payment.Status.CANCELLED and not payment.digest
    assert not AuditEntry.objects.filter(action="payeasy.confirm", contract=contract).exists()


def _paid_by_another_tab_at(monkeypatch, client, contract, service: str) -> str:
    """A confirmed payment (its 受付番号) that another tab's 認証 pays once this tab's next request has loaded it,
    when that request calls ``payeasy.<service>`` (before its conditional UPDATE)."""
    login(client, contract)
    reference = enter(client, "58001", contract, **PRIVATE_NUMBERS)["Location"].split("/")[2]
    assert client.post(reverse("payeasy-confirm", args=[reference]))["Location"].endswith("/authorize/")
    fresh = Payment.objects.get(reference=reference)
    execute = partial(payeasy.payment_execute, actor=None, contract=contract, payment=fresh, digest=fresh.digest)
    answered_after(monkeypatch, execute, at=(payeasy, service))
    return reference


def test_a_confirm_reloaded_while_another_tab_paid_shows_the_result(client, contract, billers, monkeypatch):
    reference = _paid_by_another_tab_at(monkeypatch, client, contract, "payment_confirm")
    response = client.post(reverse("payeasy-confirm", args=[reference]))
    assert response["Location"] == reverse("payeasy-result", args=[reference])
    assert Bill.objects.get(pk=billers["electricity"].pk).is_paid
    assert JournalEntry.objects.filter(kind="payeasy").count() == 1
    assert AuditEntry.objects.filter(action="payeasy.confirm", contract=contract).count() == 1


def test_a_cancel_racing_the_payment_in_another_tab_shows_it_paid(client, contract, billers, monkeypatch):
    """中止 in one tab while another tab's 認証 pays: the cancel's conditional UPDATE finds the payment made,
    reads it again, and the page shows it paid; never 「中止しました」 for a bill that was paid."""
    reference = _paid_by_another_tab_at(monkeypatch, client, contract, "payment_cancel")
    response = client.post(reverse("payeasy-cancel", args=[reference]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("payeasy-result", args=[reference])
    assert "中止しました" not in response.content.decode()
    assert Payment.objects.get(reference=reference).status == Payment.Status.DONE
    assert Bill.objects.get(pk=billers["electricity"].pk).is_paid
    assert not AuditEntry.objects.filter(action="payeasy.cancel", contract=contract).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_payments_of_one_bill_pay_it_once(make_contract, billers, rf):
    payers = [make_contract(balance=100_000) for _ in range(4)]
    prepared = []
    for contract in payers:
        request = rf.post("/")
        request.session = {}
        bill = payeasy.bill_lookup(actor=None, contract=contract, biller=billers["private"], **_lookup(PRIVATE_NUMBERS))
        payment = payeasy.payment_prepare(actor=None, contract=contract, bill=bill, from_account=contract.account)
        digest = payeasy.payment_confirm(actor=None, contract=contract, payment=payment)
        prepared.append((contract, payment, digest))

    def attempt(i):
        contract, payment, digest = prepared[i]
        return payeasy.payment_execute(actor=None, contract=contract, payment=payment, digest=digest)

    results = run_concurrently(attempt, len(prepared))
    done = [r for r in results if isinstance(r, Payment)]
    assert len(done) == 1, results
    assert all(isinstance(r, payeasy.BillPaid) for r in results if not isinstance(r, Payment)), results
    assert Payment.objects.filter(status=Payment.Status.DONE).count() == 1
    assert Account.objects.get(pk=billers["private"].account_id).balance == 8_640
    assert sum(Account.objects.get(pk=c.account.pk).balance for c in payers) == 4 * 100_000 - 8_640
    call_command("check_ledger")


def _lookup(numbers):
    return {
        "customer_number": numbers["customer_number"],
        "confirmation_number": numbers["confirmation_number"],
        "category": numbers.get("payment_category", ""),
    }


def test_a_bill_changed_by_the_biller_after_confirm_is_not_paid(client, contract, billers):
    login(client, contract)
    response = enter(client, "58001", contract, **PRIVATE_NUMBERS)
    reference = response["Location"].split("/")[2]
    client.post(reverse("payeasy-confirm", args=[reference]))
    Bill.objects.filter(pk=billers["electricity"].pk).update(amount=9_999)
    response = client.post(reverse("payeasy-authorize", args=[reference]), {"transfer_password": TRANSFER_PASSWORD})
    assert response["Location"] == NEW
    assert "確認後にお支払いの内容が変更されたため、お取引を中止しました。" in client.get(NEW).content.decode()
    assert not Bill.objects.get(pk=billers["electricity"].pk).is_paid
    assert Account.objects.get(pk=contract.account.pk).balance == 100_000


def test_the_limit_is_taken_at_execution_too(client, contract, billers):
    """Checked at 入力 and taken again at 実行: what was used meanwhile (another tab's transfer) counts."""
    from accounts.models import DailyUsage

    login(client, contract)
    response = enter(client, "58001", contract, **PRIVATE_NUMBERS)
    reference = response["Location"].split("/")[2]
    client.post(reverse("payeasy-confirm", args=[reference]))
    DailyUsage.objects.create(contract=contract, date=today(), used=200_000 - 1_000)  # no token: 200,000
    response = client.post(reverse("payeasy-authorize", args=[reference]), {"transfer_password": TRANSFER_PASSWORD})
    assert response["Location"] == NEW
    assert "本日お支払いいただける金額はあと1,000円です" in client.get(NEW).content.decode()
    assert not Bill.objects.get(pk=billers["electricity"].pk).is_paid
    assert Account.objects.get(pk=contract.account.pk).balance == 100_000
    assert DailyUsage.objects.get(contract=contract).used == 199_000


def test_a_reload_after_paying_shows_the_result_even_when_a_lock_came_since(client, contract, billers):
    """Paid, then the method locked (other wrong answers): reloading the payment's 確認 or 認証 still shows its
    result, not the refusal — the payment is done."""
    login(client, contract)
    _response, payment = pay(client, contract, "58001", **PRIVATE_NUMBERS)
    assert payment.is_executed
    set_lock(contract, "transaction")
    for step in ("payeasy-confirm", "payeasy-authorize"):
        response = client.get(reverse(step, args=[payment.reference]))
        assert response.status_code == 302, step
        assert response["Location"] == reverse("payeasy-result", args=[payment.reference]), step


def test_a_lock_set_after_the_bill_was_entered_stops_its_confirm_and_authorize(client, contract, billers):
    """The branch's IB取引中止 (or any refusal of the gate) lands between 入力 and 確認: 確認 and 認証 are
    refused with the gate's page, nothing is confirmed, nothing moves."""
    login(client, contract)
    response = enter(client, "58001", contract, **PRIVATE_NUMBERS)
    reference = response["Location"].split("/")[2]
    before = Account.objects.get(pk=contract.account.pk).balance
    set_lock(contract, "ib_suspension")
    confirm, authorize = (reverse(step, args=[reference]) for step in ("payeasy-confirm", "payeasy-authorize"))
    answers = [client.get(confirm), client.post(confirm), client.get(authorize)]
    answers.append(client.post(authorize, {"transfer_password": TRANSFER_PASSWORD}))
    for answer in answers:  # the gate's page, whom to call: no step of the payment
        assert answer.status_code == 200 and "<h1>お取引</h1>" in answer.content.decode()
    assert Payment.objects.get(reference=reference).status == Payment.Status.DRAFT
    assert Account.objects.get(pk=contract.account.pk).balance == before


def test_a_bill_not_paid_has_no_result_and_a_cancelled_one_no_confirm(client, contract, billers):
    """Its 結果 before 認証 leads to 確認; after 中止, its 確認 (a reload, the back button) leads to a new entry."""
    login(client, contract)
    response = enter(client, "58001", contract, **PRIVATE_NUMBERS)
    reference = response["Location"].split("/")[2]
    confirm = reverse("payeasy-confirm", args=[reference])
    assert client.get(reverse("payeasy-result", args=[reference]))["Location"] == confirm
    client.post(reverse("payeasy-cancel", args=[reference]))
    assert Payment.objects.get(reference=reference).status == Payment.Status.CANCELLED
    assert client.get(confirm)["Location"] == NEW


def test_the_numbers_page_without_a_biller_chosen_starts_again_with_the_reason(client, contract, billers):
    login(client, contract)
    response = client.get(NUMBERS, follow=True)
    assert response.redirect_chain == [(NEW, 302)]
    assert "一定時間が経過したため、収納機関番号の入力からやり直してください。" in response.content.decode()


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("customer_number", "", "納付番号を入力してください。"),
        ("customer_number", "1" * 21, "納付番号は半角数字20桁以内で入力してください。"),
        ("payment_category", "1234", "納付区分は半角数字3桁以内で入力してください。"),
    ],
)
def test_a_public_bills_numbers_are_named_as_its_bill_prints_them(client, contract, billers, field, typed, message):
    """国庫金・地方公共団体: the お客様番号's place holds the 納付番号, and every message says so."""
    login(client, contract)
    response = enter(client, "78901", contract, **{**PUBLIC_NUMBERS, field: typed})
    assert response.context["form"].errors[field] == [message]
    assert Contract.objects.get(pk=contract.pk).payeasy_failures == 0


def test_each_number_box_takes_as_many_digits_as_its_number_has(client, contract, billers):
    login(client, contract)
    assert 'maxlength="5"' in client.get(NEW).content.decode()
    page = client.post(NEW, {"biller_number": "78901"}, follow=True).context["form"]
    lengths = {name: page.fields[name].widget.attrs["maxlength"] for name in page.LIMITS}
    assert lengths == {"customer_number": "20", "confirmation_number": "6", "payment_category": "3"}
