"""Delivering a notice (the task's work): claim it, send it with a timeout, and on failure retry with backoff
until the last interval has passed, then mark it 送信失敗 for staff to see and resend (SPEC §8). An address the
relay refuses for good (a 5xx answer to the recipient: no such mailbox) is 送信失敗 at once: retrying for hours
cannot deliver it, and the branch should know today that the customer is not being told.

At least once: a notice is claimed for a lease; a worker killed while sending leaves it SENDING, and
:func:`requeue` (run when a worker starts, and every minute from cron) gives it back once the lease is over.
Retries carry the notice's own Message-ID, so a duplicate after an unknown outcome is recognisable.
"""

import contextlib
import smtplib
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Q

from auditlog import audit
from ibank import clock

from .models import Notice


def backoff() -> list[int]:
    """Seconds before each retry (IBANK_NOTICE_RETRY_SECONDS); after the last one the notice is 送信失敗."""
    return settings.IBANK_NOTICE_RETRY_SECONDS


def lease() -> timedelta:
    """How long a claimed notice is the claiming worker's (IBANK_NOTICE_LEASE_SECONDS, well over one send with
    its EMAIL_TIMEOUT); after that a worker that died while sending has its notice given to another."""
    return timedelta(seconds=settings.IBANK_NOTICE_LEASE_SECONDS)


def attempt(notice_id: str) -> str:
    """One delivery attempt of a due notice; returns what happened (``sent``, ``retry``, ``failed``, ``skipped``)."""
    now = clock.now()
    claimed = Notice.objects.filter(pk=notice_id, status=Notice.Status.PENDING, next_attempt_at__lte=now).update(
        status=Notice.Status.SENDING, lease_until=now + lease(), attempts=F("attempts") + 1
    )
    if not claimed:  # sent, being sent, not due yet, or gone with a rolled-back transaction
        return "skipped"
    notice = Notice.objects.get(pk=notice_id)
    message = EmailMessage(notice.subject, notice.body, None, [notice.to], headers={"Message-ID": notice.message_id})
    try:
        message.send()
    except Exception as error:
        return _failed(notice, error, rejected=_rejected(error))
    Notice.objects.filter(pk=notice.pk, status=Notice.Status.SENDING).update(
        status=Notice.Status.SENT, sent_at=clock.now(), lease_until=None, last_error=""
    )
    return "sent"


def _rejected(error: Exception) -> bool:
    """The relay refused the recipient for good (5xx). A 4xx answer (a full mailbox, greylisting), a refused
    connection, a timeout or a refused sender (the bank's own set-up) may pass later: those are retried."""
    return isinstance(error, smtplib.SMTPRecipientsRefused) and all(
        code >= 500 for code, _text in error.recipients.values()
    )


def _failed(notice: Notice, error: Exception, *, rejected: bool) -> str:
    text = f"{type(error).__name__}: {error}"[:300]
    delays = backoff()
    if rejected or notice.attempts > len(delays):
        Notice.objects.filter(pk=notice.pk, status=Notice.Status.SENDING).update(
            status=Notice.Status.FAILED, lease_until=None, last_error=text
        )
        audit.record(
            None,
            "notice.failed",
            ok=False,
            contract=notice.contract,
            reason="rejected" if rejected else "undeliverable",
            notice=str(notice.pk),
            event=notice.event,
            attempts=notice.attempts,
        )
        return "failed"
    at = clock.now() + timedelta(seconds=delays[notice.attempts - 1])
    Notice.objects.filter(pk=notice.pk, status=Notice.Status.SENDING).update(
        status=Notice.Status.PENDING, next_attempt_at=at, lease_until=None, last_error=text
    )
    schedule(notice.pk, at)
    return "retry"


def schedule(notice_id, at=None) -> None:
    """Enqueue a delivery attempt (at ``at``); a backend that cannot defer leaves it to :func:`requeue`."""
    from django_tasks.exceptions import InvalidTaskError

    from .tasks import deliver

    task = deliver if at is None else deliver.using(run_after=at)
    with contextlib.suppress(InvalidTaskError):
        task.enqueue(str(notice_id))


def requeue() -> int:
    """Enqueue every notice that is due and every one whose worker's lease ran out (a killed worker), except
    those whose task is already in the queue and ready: behind a backlog (a silent relay holds each attempt for
    EMAIL_TIMEOUT), queueing them again every minute would grow the queue with every minute of the backlog."""
    now = clock.now()
    with transaction.atomic():
        Notice.objects.filter(status=Notice.Status.SENDING, lease_until__lt=now).update(
            status=Notice.Status.PENDING, lease_until=None
        )
        due = set(
            Notice.objects.filter(Q(status=Notice.Status.PENDING) & Q(next_attempt_at__lte=now)).values_list(
                "pk", flat=True
            )
        )
        due -= _queued()
        for pk in due:
            schedule(pk)
    return len(due)


def forget_finished_tasks() -> int:
    """Deletes the database backend's task results finished more than IBANK_TASK_RESULT_DAYS ago (one a notice:
    a login writes one); the notice keeps its own state, attempts and last error for staff. Unfinished tasks
    stay, whatever their age. Returns how many were deleted."""
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    backend = _database_backend()
    if backend is None:
        return 0
    before = timezone.now() - timedelta(days=settings.IBANK_TASK_RESULT_DAYS)  # the worker's clock, not ours
    finished = DBTaskResult.objects.finished().filter(backend_name=backend.alias, finished_at__lt=before)
    return finished.delete()[0]


def _database_backend():
    """The default task backend when it is django-tasks-db's (rows in our database), else None."""
    from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
    from django_tasks_db.backend import DatabaseBackend

    backend = task_backends[DEFAULT_TASK_BACKEND_ALIAS]
    return backend if isinstance(backend, DatabaseBackend) else None


def _queued() -> set:
    """The notices whose delivery task waits in the queue, ready for the next free worker (the database
    backend's rows; another backend's queue is not looked into, and requeue then enqueues every due notice)."""
    import uuid

    from django_tasks_db.models import DBTaskResult

    from .tasks import deliver

    backend = _database_backend()
    if backend is None:
        return set()
    ready = DBTaskResult.objects.ready().filter(backend_name=backend.alias, task_path=deliver.module_path)
    queued = set()
    for call in ready.values_list("args_kwargs", flat=True):
        notice_id = (call.get("args") or [None])[0] or call.get("kwargs", {}).get("notice_id")
        with contextlib.suppress(TypeError, ValueError, AttributeError):
            queued.add(uuid.UUID(notice_id))  # a row it cannot read is simply not counted as queued
    return queued


@transaction.atomic
def resend(*, actor, notices) -> int:
    """再送 by staff: 送信失敗 notices become due again, each audited."""
    count = 0
    for notice in notices:
        changed = Notice.objects.filter(pk=notice.pk, status=Notice.Status.FAILED).update(
            status=Notice.Status.PENDING, attempts=0, next_attempt_at=clock.now(), last_error=""
        )
        if changed:
            audit.record(
                actor, "notice.resend", ok=True, contract=notice.contract, notice=str(notice.pk), event=notice.event
            )
            schedule(notice.pk)
            count += 1
    return count
