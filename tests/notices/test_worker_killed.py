"""A worker killed with SIGKILL while it sends (PostgreSQL, real processes): the notice is not lost."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from notices.models import Notice
from notices.outbox import notify

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.postgres, pytest.mark.real_worker, pytest.mark.django_db(transaction=True)]


def _env(smtp_port: int) -> dict:
    db = connection.settings_dict
    return {
        **os.environ,
        "IBANK_ENV": "test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        "EMAIL_TIMEOUT": "20",
        "IBANK_NOTICE_LEASE_SECONDS": "2",
    }


def _manage(*args, env, **kwargs):
    return subprocess.Popen([sys.executable, "manage.py", *args], cwd=ROOT, env=env, **kwargs)


def test_every_notice_is_delivered_after_a_worker_is_killed_while_sending(contract, smtp_port, start_smtp):
    notify(contract, "ib_suspended")
    notice = Notice.objects.get()
    inbox = start_smtp(delay=4)  # the relay takes its time: the worker is killed in the middle of the send
    env = _env(smtp_port)
    worker = _manage("db_worker", "--interval", "0.1", env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while Notice.objects.get(pk=notice.pk).status != Notice.Status.SENDING:
            assert time.monotonic() < deadline, "the worker never took the notice"
            time.sleep(0.05)
        time.sleep(0.5)  # inside the SMTP conversation
        os.kill(worker.pid, signal.SIGKILL)
    finally:
        worker.wait(timeout=10)
    assert Notice.objects.get(pk=notice.pk).status == Notice.Status.SENDING  # what a dead worker leaves
    inbox.delay = 0
    time.sleep(2.5)  # the dead worker's lease runs out
    # A new worker starts as the Procfile starts one: requeue, then work.
    assert _manage("requeue_notices", env=env, stdout=subprocess.DEVNULL).wait(timeout=60) == 0
    assert _manage("db_worker", "--batch", "--interval", "0", env=env, stdout=subprocess.DEVNULL).wait(timeout=60) == 0
    notice.refresh_from_db()
    assert notice.status == Notice.Status.SENT
    assert len(inbox.messages) >= 1  # at least once; a copy the dead worker had handed over carries the same id
    assert all(f"Message-ID: {notice.message_id}" in message for message in inbox.messages)
