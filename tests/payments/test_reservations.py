"""振込予約 (issue 18): reserved at 認証, executed by the worker on the 振込指定日 through the money engine, 不成立
with a notice when the balance or the limit refuses, cancellable until the day before."""

from datetime import date, datetime
from functools import partial
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import Account
from auditlog.models import AuditEntry
from notices.models import Notice
from payments import reservations, services
from payments.models import Transfer
from tests.helpers import answered_after, paid_before
from tests.payments.helpers import enter, login, other_bank_data, same_bank_data, send

JST = ZoneInfo("Asia/Tokyo")
THURSDAY, FRIDAY = date(2026, 11, 26), date(2026, 11, 27)


def set_clock(fake_clock, day: date, hour=10, minute=0, second=0.0):
    fake_clock.t = datetime(day.year, day.month, day.day, hour, minute, tzinfo=JST).timestamp() + second


@pytest.fixture
def thursday(fake_clock):
    set_clock(fake_clock, THURSDAY)
    return fake_clock


def balance(contract) -> int:
    return Account.objects.get(pk=contract.account.pk).balance


def reserve(client, contract, day=FRIDAY, **data):
    """A whole 振込予約 to the customer's usual other-bank payee: 入力 with the 振込指定日, 確認, 認証."""
    paid_before(contract, bank_code="0005", number="7654321")
    response, transfer = send(client, other_bank_data(contract, transfer_date=day.isoformat(), **data))
    assert response["Location"] == reverse("transfers-result", args=[transfer.reference])
    return transfer


def test_a_reservation_moves_nothing_until_its_day_then_moves_once(client, contract, thursday):
    login(client, contract)
    before = balance(contract)
    transfer = reserve(client, contract, amount=12_000)
    assert transfer.status == Transfer.Status.RESERVED and transfer.scheduled_for == FRIDAY
    assert transfer.entry_id is None and balance(contract) == before
    page = client.get(reverse("transfers-result", args=[transfer.reference])).content.decode()
    assert "振込予約を受け付けました。振込指定日にお振込します。" in page and "予約中" in page
    assert "2026年11月27日" in page and "この予約を取り消す" in page
    assert Notice.objects.filter(contract_id=contract.pk, event="transfer_reserved").count() == 1
    assert AuditEntry.objects.get(action="transfer.reserve", contract=contract).detail["scheduled_for"] == "2026-11-27"
    # A reload or double click of 認証 reserves nothing more.
    again = client.post(reverse("transfers-authorize", args=[transfer.reference]), {"transfer_password": "x"})
    assert again["Location"] == reverse("transfers-result", args=[transfer.reference])

    # Thursday 23:59: not yet due.
    set_clock(thursday, THURSDAY, 23, 59, 59.9)
    assert reservations.execute(transfer.pk) == "not_due"
    assert balance(contract) == before

    set_clock(thursday, FRIDAY, 0, 0, 1)
    assert reservations.execute(transfer.pk) == Transfer.Status.ACCEPTED
    assert reservations.execute(transfer.pk) == "not_reserved"  # a second task, a restart: once only
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.ACCEPTED and transfer.settles_on == FRIDAY
    assert balance(contract) == before - 12_000 - transfer.fee
    entry = AuditEntry.objects.get(action="transfer.execute", contract=contract)
    assert entry.actor == reservations.SYSTEM and entry.outcome == AuditEntry.Outcome.OK
    assert Notice.objects.filter(contract_id=contract.pk, event="transfer_done").count() == 1


def test_the_day_is_today_or_a_business_day_within_the_window(client, contract, thursday, settings):
    login(client, contract)
    paid_before(contract, bank_code="0005", number="7654321")
    for day in ("2026-11-28", "2026-11-23", "2026-12-31", "2026-11-25", "2027-01-26", "27/11/2026"):
        response, transfer = enter(client, other_bank_data(contract, transfer_date=day))
        assert transfer is None, day
        error = response.context["form"].errors["transfer_date"][0]
        assert "振込指定日" in error
        assert response.context["form"]["transfer_date"].value() == day  # what was typed stays
    # Today is a plain transfer; 60 days ahead (a business day) is a reservation.
    _r, today = enter(client, other_bank_data(contract, transfer_date="2026-11-26"))
    assert today.scheduled_for is None
    _r, latest = enter(client, other_bank_data(contract, transfer_date="2027-01-25"))
    assert latest.scheduled_for == date(2027, 1, 25)


def test_not_enough_balance_on_the_day_ends_it_unsuccessful_with_a_notice(client, contract, thursday):
    login(client, contract)
    transfer = reserve(client, contract, amount=90_000)  # the balance (100,000) is not taken at 認証
    Account.objects.filter(pk=contract.account.pk).update(balance=50_000)
    set_clock(thursday, FRIDAY, 0, 0, 1)
    assert reservations.execute(transfer.pk) == "failed"
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.FAILED and transfer.failure == "insufficient_funds"
    assert balance(contract) == 50_000 and transfer.entry_id is None
    notice = Notice.objects.get(contract_id=contract.pk, event="transfer_failed")
    assert "振込予約不成立のお知らせ" in notice.subject
    assert "振込指定日に支払口座の残高が不足していました。" in notice.body and transfer.reference in notice.body
    failed = AuditEntry.objects.get(action="transfer.execute", contract=contract)
    assert failed.outcome == AuditEntry.Outcome.FAILED and failed.reason == "insufficient_funds"
    login(client, contract)  # the session of Thursday has ended
    page = client.get(reverse("transfers-result", args=[transfer.reference])).content.decode()
    assert "不成立" in page and "振込指定日に支払口座の残高が不足していました。" in page
    assert reservations.execute(transfer.pk) == "not_reserved"


def test_two_runs_that_both_find_the_balance_short_end_it_once_with_one_notice(client, contract, thursday, monkeypatch):
    """The day's task and the safety net (execute_reservations) run the same reservation at once and both are
    refused by the balance: it ends 不成立 once — one entry, one notice — and the later run says so."""
    login(client, contract)
    transfer = reserve(client, contract, amount=90_000)
    Account.objects.filter(pk=contract.account.pk).update(balance=50_000)
    set_clock(thursday, FRIDAY, 0, 0, 1)
    other_run = []

    def other():  # the other run, whole, after this one was refused and before it ends the reservation
        other_run.append(reservations.execute(transfer.pk))

    answered_after(monkeypatch, other, at=(reservations, "_fail"))
    assert reservations.execute(transfer.pk) == "not_reserved"
    assert other_run == ["failed"]
    assert Transfer.objects.get(pk=transfer.pk).status == Transfer.Status.FAILED
    assert Notice.objects.filter(contract_id=contract.pk, event="transfer_failed").count() == 1
    assert AuditEntry.objects.filter(action="transfer.execute", contract=contract, outcome="failed").count() == 1
    assert balance(contract) == 50_000


def test_the_limit_is_taken_on_the_day(client, contract, make_contract, thursday):
    login(client, contract)
    Account.objects.filter(pk=contract.account.pk).update(balance=1_000_000)
    transfer = reserve(client, contract, amount=150_000)
    # On Friday morning the customer pays 100,000 of the day's 200,000 (no token) to another customer first.
    set_clock(thursday, FRIDAY, 0, 0, 0)
    login(client, contract)
    payee = make_contract()
    paid_before(contract, payee)
    _r, today = send(client, same_bank_data(contract, payee, amount=100_000))
    assert today.status == Transfer.Status.DONE
    assert reservations.execute(transfer.pk) == "failed"
    transfer.refresh_from_db()
    assert transfer.failure == "over_limit"
    notice = Notice.objects.get(contract_id=contract.pk, event="transfer_failed")
    assert "振込指定日の振込限度額を超えていました。" in notice.body


def test_more_than_a_days_limit_cannot_be_reserved(client, contract, thursday):
    login(client, contract)
    paid_before(contract, bank_code="0005", number="7654321")
    response, transfer = enter(client, other_bank_data(contract, amount=200_001, transfer_date="2026-11-27"))
    assert transfer is None
    assert "1日あたりの振込限度額（200,000円）を超えています" in response.context["form"].errors["amount"][0]


def test_cancel_until_the_day_before_and_not_after(client, contract, thursday):
    login(client, contract)
    first = reserve(client, contract, amount=1_000)
    second = reserve(client, contract, amount=2_000)
    url = reverse("transfers-reservation-cancel", args=[first.reference])
    assert "この振込予約を取り消します" in client.get(url).content.decode()
    set_clock(thursday, THURSDAY, 23, 59, 59.9)
    login(client, contract)
    response = client.post(url)
    assert response["Location"] == reverse("transfers-result", args=[first.reference])
    first.refresh_from_db()
    assert first.status == Transfer.Status.CANCELLED and first.cancelled_at is not None
    page = client.get(response["Location"]).content.decode()
    assert "振込予約を取り消しました。" in page and "取消済" in page
    assert Notice.objects.filter(contract_id=contract.pk, event="transfer_reservation_cancelled").count() == 1
    assert reservations.execute(first.pk) == "not_reserved"  # cancelled: never executed

    # On the day itself it can no longer be cancelled.
    set_clock(thursday, FRIDAY, 0, 0, 0)
    login(client, contract)
    response = client.post(reverse("transfers-reservation-cancel", args=[second.reference]))
    second.refresh_from_db()
    assert second.status == Transfer.Status.RESERVED
    page = client.get(response["Location"]).content.decode()
    assert "この予約は取り消せません。予約の取消は振込指定日の前日までお手続きいただけます。" in page
    assert "この予約を取り消す" not in page
    refused = AuditEntry.objects.get(action="transfer.cancel_reservation", outcome=AuditEntry.Outcome.FAILED)
    assert refused.detail["reference"] == second.reference
    # Executed: cannot be cancelled either.
    assert reservations.execute(second.pk) == Transfer.Status.ACCEPTED
    assert client.get(reverse("transfers-reservation-cancel", args=[second.reference])).status_code == 302


def test_another_contract_cannot_see_or_cancel_a_reservation(client, contract, stranger, thursday):
    login(client, contract)
    transfer = reserve(client, contract, amount=1_000)
    from django.test import Client

    other = Client()
    login(other, stranger)
    assert other.post(reverse("transfers-reservation-cancel", args=[transfer.reference])).status_code == 404
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.RESERVED


def test_a_suspended_contract_does_not_pay_its_reservations(client, contract, thursday):
    from accounts import locks
    from accounts.models import Lock

    login(client, contract)
    transfer = reserve(client, contract, amount=1_000)
    locks.set_lock(contract, Lock.Kind.IB_SUSPENSION, reason="customer", by="test")
    set_clock(thursday, FRIDAY, 0, 0, 1)
    assert reservations.execute(transfer.pk) == "failed"
    transfer.refresh_from_db()
    assert transfer.failure == "contract" and transfer.entry_id is None


def test_a_lost_report_stops_the_reservations_made_before_it(client, contract, thursday, make_token):
    """A thief with the phone reserves a transfer for tomorrow; the customer reports the phone lost today: the
    reservation does not run on its day (不成立, told by e-mail), nothing moves."""
    from branch import services as branch_services
    from tests.branch.conftest import _staff

    maker = _staff("madoguchi", "窓口担当")
    login(client, contract)
    transfer = reserve(client, contract, amount=1_000)
    before = balance(contract)
    make_token(contract)
    branch_services.contract_report_lost(actor=None, staff=maker, contract=contract, reason="紛失", reference="L-1")
    set_clock(thursday, FRIDAY, 0, 0, 1)
    assert reservations.execute(transfer.pk) == "failed"
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.FAILED and transfer.entry_id is None and balance(contract) == before
    assert Notice.objects.filter(contract_id=contract.pk, event="transfer_failed").exists()


@pytest.mark.real_worker
def test_a_worker_down_across_midnight_executes_the_due_reservation_once_when_back(
    client, contract, thursday, monkeypatch
):
    """The task waits in the database (run_after 0:00 JST of the day); the worker comes back at 9:00."""
    from django_tasks_db.models import DBTaskResult

    monkeypatch.setattr("django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None)
    login(client, contract)
    before = balance(contract)
    transfer = reserve(client, contract, amount=3_000)
    [task] = DBTaskResult.objects.filter(task_path="payments.tasks.execute_reservation")
    assert task.run_after == datetime(2026, 11, 27, 0, 0, tzinfo=JST) and task.args_kwargs["args"] == [transfer.pk]

    set_clock(thursday, FRIDAY, 9, 0)
    call_command("db_worker", batch=True, interval=0, startup_delay=False, verbosity=0)
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.ACCEPTED
    # The safety net at the worker's start (Procfile) finds nothing more to do; money moved once.
    out = StringIO()
    call_command("execute_reservations", stdout=out)
    assert "no due reservations" in out.getvalue()
    assert balance(contract) == before - 3_000 - transfer.fee
    assert AuditEntry.objects.filter(action="transfer.execute", contract=contract).count() == 1


def test_the_safety_net_executes_what_is_due_when_the_tasks_were_lost(client, contract, thursday):
    login(client, contract)
    transfer = reserve(client, contract, amount=4_000)
    later = reserve(client, contract, day=date(2026, 11, 30), amount=5_000)
    set_clock(thursday, FRIDAY, 9, 0)
    out = StringIO()
    call_command("execute_reservations", stdout=out)
    assert "1 due reservation(s): accepted" in out.getvalue()
    transfer.refresh_from_db()
    later.refresh_from_db()
    assert transfer.status == Transfer.Status.ACCEPTED and later.status == Transfer.Status.RESERVED


def test_a_reservation_to_a_new_payee_is_held_like_a_transfer(client, contract, thursday):
    """A relayed login cannot park the money in a reservation for after the hold."""
    login(client, contract, known=False)  # a new environment: held for a day
    response, transfer = enter(client, other_bank_data(contract, transfer_date="2026-12-04"))
    assert transfer is None
    assert "新しいご利用環境（ブラウザ）からのログイン" in response.context["form"].errors["payee_number"][0]


def test_a_stale_stop_button_does_not_say_a_reservation_was_stopped(client, contract, thursday):
    """The 認証 page's 中止 sent after the same transfer was authorized as a reservation (a second tab, a
    double click): nothing is stopped — the reservation stands — so the customer is shown it, not told
    「お振込を中止しました。」."""
    login(client, contract)
    transfer = reserve(client, contract, amount=1_000)
    response = client.post(reverse("transfers-cancel", args=[transfer.reference]), follow=True)
    assert Transfer.objects.get(pk=transfer.pk).status == Transfer.Status.RESERVED
    assert "お振込を中止しました。" not in response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("transfers-result", args=[transfer.reference])


def test_a_reservation_to_a_new_payee_over_its_cap_is_refused_at_input(client, make_contract, thursday):
    """A 振込予約 to a never-paid payee is held to the new payee's daily cap already at 入力 (its day cannot
    change the whole cap): the amount field says so, and nothing is entered; the cap itself may be reserved."""
    rich = make_contract(balance=2_000_000)
    login(client, rich)
    over = other_bank_data(rich, transfer_date=FRIDAY.isoformat(), amount=100_001)
    response, transfer = enter(client, over)
    assert transfer is None and not Transfer.objects.filter(contract=rich).exists()
    assert response.context["form"].errors["amount"] == [
        "はじめてのお振込先へは、最初のお振込から7日間、1日あたり100,000円までお振込いただけます。"
        "本日このお振込先へお振込いただける金額はあと100,000円です。"
    ]
    assert enter(client, {**over, "amount": "100000"})[1] is not None


def test_a_reservation_of_exactly_the_days_limit_is_entered(client, contract, thursday):
    login(client, contract)
    paid_before(contract, bank_code="0005", number="7654321")
    limit = services.daily_limit(contract, FRIDAY)
    day = {"transfer_date": FRIDAY.isoformat()}
    assert enter(client, other_bank_data(contract, amount=limit, **day))[1] is not None
    response, transfer = enter(client, other_bank_data(contract, amount=limit + 1, **day))
    assert transfer is None
    assert response.context["form"].errors["amount"] == [
        f"振込金額が1日あたりの振込限度額（{limit:,}円）を超えています。"
    ]


def test_a_reservation_authorized_after_midnight_on_its_day_is_executed_at_once(client, contract, thursday):
    """確認 on Thursday night for Friday, 認証 a few minutes after midnight: the day has come, so the money moves
    now (as the worker would move it), and nothing is left reserved."""
    from tests.payments.helpers import authorize, confirm

    set_clock(thursday, THURSDAY, 23, 58)
    login(client, contract)
    paid_before(contract, bank_code="0005", number="7654321")
    _response, transfer = enter(client, other_bank_data(contract, transfer_date=FRIDAY.isoformat(), amount=1_000))
    confirm(client, transfer)
    before = balance(contract)
    set_clock(thursday, FRIDAY, 0, 1)
    assert authorize(client, transfer)["Location"] == reverse("transfers-result", args=[transfer.reference])
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.ACCEPTED and transfer.reserved_at is None
    assert balance(contract) == before - 1_000 - transfer.fee
    assert not AuditEntry.objects.filter(action="transfer.reserve").exists()


def test_an_execution_before_the_day_moves_nothing(client, contract, thursday):
    """A confirmed 振込予約 handed to the execution itself before its 振込指定日 (not to reservations.reserve, as
    認証 does) is refused: money moves on its day only, whoever asks."""
    from tests.payments.helpers import confirm

    login(client, contract)
    paid_before(contract, bank_code="0005", number="7654321")
    _response, transfer = enter(client, other_bank_data(contract, transfer_date=FRIDAY.isoformat(), amount=1_000))
    confirm(client, transfer)
    transfer.refresh_from_db()
    before = balance(contract)
    with pytest.raises(services.TransferChanged):
        services.transfer_execute(actor=None, contract=contract, transfer=transfer, digest=transfer.digest)
    assert balance(contract) == before
    assert Transfer.objects.get(pk=transfer.pk).status == Transfer.Status.CONFIRMED
    assert not AuditEntry.objects.filter(action="transfer.execute").exists()


@pytest.mark.parametrize("changed", [{"amount": 90_000}, {"scheduled_for": date(2026, 11, 30)}])
def test_a_reservation_changed_after_confirm_is_refused_and_not_reserved(client, contract, thursday, changed):
    """Authorization binds what was confirmed, for a 振込予約 as for a transfer (SPEC §5): the amount or the
    振込指定日 changed behind the digest (a second tab, tampering) is refused at 認証, audited, and nothing is
    reserved or queued for its day."""
    from tests.payments.helpers import authorize, confirm

    login(client, contract)
    paid_before(contract, bank_code="0005", number="7654321")
    _response, transfer = enter(client, other_bank_data(contract, transfer_date=FRIDAY.isoformat(), amount=1_000))
    confirm(client, transfer)
    Transfer.objects.filter(pk=transfer.pk).update(**changed)
    response = authorize(client, transfer)
    assert response["Location"] == reverse("transfers-edit", args=[transfer.reference])
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.CONFIRMED and transfer.reserved_at is None
    entry = AuditEntry.objects.get(action="transfer.reserve")
    assert (entry.outcome, entry.reason) == ("failed", "changed")
    assert not Notice.objects.filter(event="transfer_reserved").exists()


def test_a_reservations_authorization_racing_a_cancel_in_another_tab_reserves_nothing(
    client, contract, thursday, monkeypatch
):
    """認証 of a 振込予約 while another tab's 中止 cancels the transfer after the 認証 loaded it: the claim of the
    confirmed row finds it cancelled; nothing is reserved or queued, the refusal is audited, and the customer is
    led to a new 入力 with the changed message."""
    from tests.payments.helpers import authorize, confirm

    login(client, contract)
    paid_before(contract, bank_code="0005", number="7654321")
    _response, transfer = enter(client, other_bank_data(contract, transfer_date=FRIDAY.isoformat(), amount=1_000))
    confirm(client, transfer)
    fresh = Transfer.objects.get(pk=transfer.pk)
    cancel = partial(services.transfer_cancel, actor=None, contract=contract, transfer=fresh)
    answered_after(monkeypatch, cancel, at=(reservations, "reserve"))
    response = authorize(client, transfer)
    assert response["Location"] == reverse("transfers-edit", args=[transfer.reference])
    page = client.get(response["Location"], follow=True)
    assert page.redirect_chain[-1][0] == reverse("transfers-new")
    assert str(services.TransferChanged.message) in page.content.decode()
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.CANCELLED and transfer.reserved_at is None
    entry = AuditEntry.objects.get(action="transfer.reserve")
    assert (entry.outcome, entry.reason) == ("failed", "changed")
    assert not Notice.objects.filter(event="transfer_reserved").exists()
    set_clock(thursday, FRIDAY, 0, 0, 1)
    call_command("execute_reservations", stdout=StringIO())
    assert Transfer.objects.get(pk=transfer.pk).status == Transfer.Status.CANCELLED


def test_a_double_click_on_cancel_is_told_the_cancellation(client, contract, thursday, monkeypatch):
    """The second click's request finds the reservation cancelled by the first: 「取り消しました」, not 「取り消せ
    ません」, which the customer would take for a reservation that will still be paid."""
    from tests.helpers import double_click

    login(client, contract)
    reservation = reserve(client, contract, amount=1_000)
    url = reverse("transfers-reservation-cancel", args=[reservation.reference])
    twin, response = double_click(monkeypatch, client, url, {}, at=(reservations, "cancel"))
    assert response["Location"] == reverse("transfers-result", args=[reservation.reference])
    page = twin.get(response["Location"]).content.decode()
    assert "振込予約を取り消しました。" in page and "取り消せません" not in page
    assert Transfer.objects.get(pk=reservation.pk).status == Transfer.Status.CANCELLED
    assert Notice.objects.filter(contract_id=contract.pk, event="transfer_reservation_cancelled").count() == 1
    assert not AuditEntry.objects.filter(action="transfer.cancel_reservation", outcome="failed").exists()


def test_a_reservation_authorized_with_a_passkey_pays_a_new_payee_over_its_cap_on_the_day(client, contract, thursday):
    """A passkey lifts a new payee's daily cap for what it authorizes (SPEC §9), a 振込予約 as a transfer: the
    reservation keeps that, and on its day the engine does not apply the cap to it."""
    from tests.payments.helpers import confirm
    from tests.phishing.passkey_steps import passkey_answer, registered

    Account.objects.filter(pk=contract.account.pk).update(balance=500_000)
    authenticator = registered(client, contract)
    _r, transfer = enter(client, other_bank_data(contract, amount=150_000, transfer_date=FRIDAY.isoformat()))
    assert transfer.new_payee  # never paid: 150,000 is over the 100,000 a new payee may receive a day
    confirm(client, transfer)
    url = reverse("transfers-authorize", args=[transfer.reference])
    assert client.post(url, passkey_answer(client, url, authenticator)).status_code == 302
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.RESERVED and not transfer.new_payee

    set_clock(thursday, FRIDAY, 0, 0, 1)
    assert reservations.execute(transfer.pk) == Transfer.Status.ACCEPTED
    assert balance(contract) == 500_000 - 150_000 - transfer.fee


def test_the_same_authorization_sent_twice_is_told_reserved_not_changed(contract, thursday):
    """Two 認証 of one reservation with the right answer, each holding the transfer as 確認 left it (two
    requests of a double click): the second is told it is reserved already, never refused or audited as
    changed, and reserves or queues nothing more."""
    from payments.drafts import AlreadyExecuted
    from tests.payments.helpers import confirmed_other_bank

    paid_before(contract, bank_code="0005", number="7654321")
    transfer, digest = confirmed_other_bank(contract, 1_000, scheduled_for=FRIDAY)
    second = Transfer.objects.get(pk=transfer.pk)
    reservations.reserve(actor=None, contract=contract, transfer=transfer, digest=digest)
    with pytest.raises(AlreadyExecuted):
        reservations.reserve(actor=None, contract=contract, transfer=second, digest=digest)
    assert Transfer.objects.get(pk=transfer.pk).status == Transfer.Status.RESERVED
    assert list(AuditEntry.objects.filter(action="transfer.reserve").values_list("outcome", flat=True)) == ["ok"]
    assert Notice.objects.filter(contract_id=contract.pk, event="transfer_reserved").count() == 1


def test_confirm_and_authorize_show_the_reserved_day_as_the_day_the_payee_is_credited(client, contract, thursday):
    """A 振込予約 for next Wednesday: 「お振込先への入金日」 at 確認 and 認証 is that Wednesday, not the day a
    transfer executed now would reach the payee; and its 結果 before 認証 is not shown (back to 確認)."""
    from tests.payments.helpers import confirm

    login(client, contract)
    paid_before(contract, bank_code="0005", number="7654321")
    _response, transfer = enter(client, other_bank_data(contract, transfer_date="2026-12-02"))
    credited = '<dd class="settles-on">2026年12月2日</dd>'
    assert credited in client.get(reverse("transfers-confirm", args=[transfer.reference])).content.decode()
    confirm(client, transfer)
    assert credited in client.get(reverse("transfers-authorize", args=[transfer.reference])).content.decode()
    result = reverse("transfers-result", args=[transfer.reference])
    assert client.get(result)["Location"] == reverse("transfers-confirm", args=[transfer.reference])
