"""Notices on the task worker (issue 16): no request waits for the relay, no notice is lost."""

import socket
import time

import pytest
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from accounts.models import Contract
from auditlog.models import AuditEntry
from notices import delivery
from notices.models import Notice
from notices.outbox import notify, subject
from tests.payments.helpers import authorize, confirm, enter, login, same_bank_data

pytestmark = pytest.mark.real_worker


@pytest.fixture(autouse=True)
def _keep_the_test_connection(monkeypatch):
    """db_worker recycles its database connection between tasks; here it shares the test's (and its
    transaction), which must stay open. The worker is otherwise the real one."""
    monkeypatch.setattr("django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None)


def run_worker():
    """One worker, in this process, until no task is ready (db_worker --batch)."""
    call_command("db_worker", batch=True, interval=0, startup_delay=False, verbosity=0)


def _transfer(client, contract, stranger):
    # The customer turned off notices of logins from their own browser: the transfer's notice is the only one.
    Contract.objects.filter(pk=contract.pk).update(notify_known_logins=False)
    login(client, contract)
    _response, transfer = enter(client, same_bank_data(contract, stranger, amount=1_000))
    confirm(client, transfer)
    return authorize(client, transfer)


def test_a_refusing_relay_leaves_the_transfer_done_and_the_notice_arrives_once_it_is_up(
    client, contract, stranger, smtp_settings, start_smtp, fake_clock
):
    response = _transfer(client, contract, stranger)
    assert response.status_code == 302 and "/transfer/" in response["Location"]  # the result, not an error
    assert client.get(response["Location"]).status_code == 200
    notice = Notice.objects.get(event="transfer_done")
    assert notice.attempts == 0 and notice.status == Notice.Status.PENDING  # the request never tried to send
    assert DBTaskResult.objects.count() == 1  # enqueued with the transfer, in its transaction
    run_worker()  # the relay refuses: a retry is scheduled
    notice.refresh_from_db()
    assert notice.status == Notice.Status.PENDING and notice.attempts == 1
    assert "ConnectionRefused" in notice.last_error
    inbox = start_smtp()
    fake_clock.advance(delivery.backoff()[0])
    delivery.requeue()
    run_worker()
    notice.refresh_from_db()
    assert notice.status == Notice.Status.SENT
    assert len(inbox.messages) == 1
    assert f"Message-ID: {notice.message_id}" in inbox.messages[0]
    run_worker()
    delivery.requeue()
    run_worker()
    assert len(inbox.messages) == 1  # delivered once


def test_a_silent_relay_holds_no_request_and_the_attempt_ends_at_the_timeout(
    client, contract, stranger, smtp_settings, smtp_port
):
    with socket.socket() as silent:  # accepts connections (the kernel's backlog) and never says a word
        silent.bind(("127.0.0.1", smtp_port))
        silent.listen(8)
        started = time.monotonic()
        response = _transfer(client, contract, stranger)
        assert response.status_code == 302 and time.monotonic() - started < 1.5  # never waits for the relay
        started = time.monotonic()
        run_worker()
        assert time.monotonic() - started < smtp_settings.EMAIL_TIMEOUT + 3  # ends at EMAIL_TIMEOUT
    notice = Notice.objects.get(event="transfer_done")
    assert notice.status == Notice.Status.PENDING and notice.attempts == 1
    assert "timed out" in notice.last_error.lower() or "timeout" in notice.last_error.lower()
    # and it is retried: the next attempt is scheduled (a task that runs after the first backoff)
    retry = DBTaskResult.objects.exclude(status="SUCCESSFUL").get()  # the first attempt ran; this one waits
    assert retry.args_kwargs["args"] == [str(notice.pk)] and retry.run_after > retry.enqueued_at
    assert notice.next_attempt_at > notice.created_at


def test_a_transaction_that_rolls_back_enqueues_nothing(contract):
    with pytest.raises(RuntimeError), transaction.atomic():
        notify(contract, "ib_suspended")
        assert Notice.objects.count() == 1 and DBTaskResult.objects.count() == 1
        raise RuntimeError("the event failed")
    assert Notice.objects.count() == 0 and DBTaskResult.objects.count() == 0


def test_a_contract_without_an_address_gets_no_notice_and_no_task(contract):
    """No e-mail address on file (the contract's address may be blank): nothing to send, so no notice row
    for staff to find undeliverable and no task for the worker."""
    Contract.objects.filter(pk=contract.pk).update(email="")
    notify(Contract.objects.get(pk=contract.pk), "ib_suspended")
    assert Notice.objects.count() == 0 and DBTaskResult.objects.count() == 0


def test_after_the_last_retry_the_notice_is_undeliverable_and_staff_resend_it(
    contract, smtp_settings, start_smtp, fake_clock, staff_client
):
    notify(contract, "ib_suspended")
    notice = Notice.objects.get()
    for delay in [*delivery.backoff(), 0]:
        run_worker()
        fake_clock.advance(delay)
        delivery.requeue()
    notice.refresh_from_db()
    assert notice.status == Notice.Status.FAILED and notice.attempts == len(delivery.backoff()) + 1
    assert AuditEntry.objects.filter(action="notice.failed", contract=contract).count() == 1
    changelist = reverse("admin:notices_notice_changelist")
    page = staff_client.get(changelist + "?status__exact=failed").content.decode()
    assert contract.contract_id in page and str(subject("ib_suspended")).split("】")[-1] in page
    assert "ConnectionRefused" in page and notice.body.splitlines()[0] not in page  # the error, never the body
    inbox = start_smtp()
    response = staff_client.post(changelist, {"action": "resend", "_selected_action": [str(notice.pk)]})
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action="notice.resend", contract=contract).count() == 1
    run_worker()
    notice.refresh_from_db()
    assert notice.status == Notice.Status.SENT and len(inbox.messages) == 1


def test_an_address_the_relay_refuses_for_good_is_undeliverable_at_once(contract, smtp_settings, start_smtp):
    """A 5xx answer to the recipient (no such mailbox) cannot pass on a later try: 送信失敗 after one attempt,
    for staff to see today, not after half a day of retries."""
    start_smtp(refuse="550 5.1.1 User unknown")
    notify(contract, "ib_suspended")
    run_worker()
    notice = Notice.objects.get()
    assert notice.status == Notice.Status.FAILED and notice.attempts == 1
    assert "550" in notice.last_error and "User unknown" in notice.last_error
    entry = AuditEntry.objects.get(action="notice.failed", contract=contract)
    assert entry.reason == "rejected" and entry.detail["attempts"] == 1
    assert DBTaskResult.objects.filter(status="READY").count() == 0  # no retry waiting


def test_an_address_refused_for_now_is_tried_again(contract, smtp_settings, start_smtp, fake_clock):
    """A 4xx answer (a full mailbox, greylisting) may pass later: retried with the backoff, then delivered."""
    busy = start_smtp(refuse="450 4.2.1 Mailbox busy")
    notify(contract, "ib_suspended")
    run_worker()
    notice = Notice.objects.get()
    assert notice.status == Notice.Status.PENDING and notice.attempts == 1 and "450" in notice.last_error
    busy.refuse = ""
    fake_clock.advance(delivery.backoff()[0])
    delivery.requeue()
    run_worker()
    notice.refresh_from_db()
    assert notice.status == Notice.Status.SENT and len(busy.messages) == 1
    assert not AuditEntry.objects.filter(action="notice.failed").exists()


def test_requeue_adds_no_task_for_a_notice_whose_task_is_waiting(contract):
    """The workers are behind (a silent relay holds each one for EMAIL_TIMEOUT): requeue, run every minute from
    cron, gives the workers only what they would not otherwise get. A notice already waiting in the queue is
    not queued again each minute (the queue would grow with the backlog, minute after minute)."""
    for _ in range(3):
        notify(contract, "ib_suspended")
    assert DBTaskResult.objects.count() == 3
    for _minute in range(5):
        delivery.requeue()
    assert DBTaskResult.objects.count() == 3
    run_worker()
    assert Notice.objects.filter(status=Notice.Status.SENT, attempts=1).count() == 3
    assert delivery.requeue() == 0 and DBTaskResult.objects.filter(status="READY").count() == 0


def test_requeue_reads_a_task_given_its_notice_by_keyword_and_survives_one_it_cannot_read(contract):
    """The queue's rows are read, not trusted: a delivery enqueued as deliver(notice_id=…) counts as queued,
    and a row whose arguments name no notice is passed over (requeue runs every minute and must not stop)."""
    from notices.tasks import deliver

    notify(contract, "ib_suspended")
    notice = Notice.objects.get()
    DBTaskResult.objects.all().delete()
    deliver.enqueue(notice_id=str(notice.pk))
    deliver.enqueue()  # no argument at all (it would fail when run; here it is only read)
    assert delivery.requeue() == 0
    assert DBTaskResult.objects.count() == 2


def test_daily_maintenance_deletes_task_rows_finished_two_weeks_ago_and_keeps_the_notices(
    contract, smtp_settings, start_smtp, settings
):
    """A task row is written for every notice (every login has one): finished ones older than
    IBANK_TASK_RESULT_DAYS are deleted by the daily job; recent ones and tasks not yet run stay, whatever their
    age, and so does every notice with its delivery state."""
    from datetime import timedelta
    from io import StringIO

    from django.utils import timezone

    start_smtp()
    for _ in range(3):
        notify(contract, "ib_suspended")
    run_worker()
    assert Notice.objects.filter(status=Notice.Status.SENT).count() == 3
    old, recent, edge = DBTaskResult.objects.order_by("enqueued_at")
    now = timezone.now()
    DBTaskResult.objects.filter(pk=old.pk).update(finished_at=now - timedelta(days=15))
    DBTaskResult.objects.filter(pk=edge.pk).update(finished_at=now - timedelta(days=14, minutes=-1))
    notify(contract, "ib_suspended")  # not run yet, however long it waits
    waiting = DBTaskResult.objects.exclude(pk__in=[old.pk, recent.pk, edge.pk]).get()
    DBTaskResult.objects.filter(pk=waiting.pk).update(enqueued_at=now - timedelta(days=60))
    out = StringIO()
    call_command("daily_maintenance", stdout=out)
    assert set(DBTaskResult.objects.values_list("pk", flat=True)) == {recent.pk, edge.pk, waiting.pk}
    assert "1 finished task result(s) deleted" in out.getvalue()
    assert Notice.objects.count() == 4 and Notice.objects.filter(status=Notice.Status.SENT).count() == 3
    settings.IBANK_TASK_RESULT_DAYS = 30
    call_command("daily_maintenance", stdout=StringIO())
    assert DBTaskResult.objects.count() == 3


def test_a_second_task_for_a_sent_notice_sends_nothing(contract, smtp_settings, start_smtp):
    """Two tasks for one notice (a worker that died after sending, before its task was marked done, has the
    task run again; or the notice enqueued twice): the first sends, the second finds it sent and skips it."""
    inbox = start_smtp()
    with transaction.atomic():
        notify(contract, "token_reset")
    notice = Notice.objects.get(event="token_reset")
    notice_id = str(notice.pk)
    assert delivery.attempt(notice_id) == "sent"
    assert delivery.attempt(notice_id) == "skipped"
    notice.refresh_from_db()
    assert notice.status == Notice.Status.SENT and notice.attempts == 1
    assert len(inbox.messages) == 1
