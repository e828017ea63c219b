"""The real worker (PostgreSQL, real processes): killed with SIGKILL while it sends, or cut off from its
database, it loses no notice."""

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


def _sent(notice, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if Notice.objects.get(pk=notice.pk).status == Notice.Status.SENT:
            return True
        time.sleep(0.1)
    return False


def _logged(log, text: str, *, times: int, within: float = 30) -> None:
    deadline = time.monotonic() + within
    while log.read_text().count(text) < times:
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.1)


def test_the_worker_outlives_its_database_going_away(contract, smtp_port, start_smtp, tmp_path):
    """`manage.py worker` (the Procfile's) started while the database is out of reach, and cut off from it
    again later: it waits and starts again each time, delivers what came meanwhile, and stops cleanly."""
    from tests.live import Cuttable

    db = connection.settings_dict
    database = Cuttable((db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)))
    inbox = start_smtp()
    env = {**_env(smtp_port), "DATABASE_URL": f"postgres://{db['USER']}@127.0.0.1:{database.port}/{db['NAME']}"}
    log = tmp_path / "worker.log"
    with log.open("w") as err:
        worker = _manage("worker", "--interval", "0.1", env=env, stdout=subprocess.DEVNULL, stderr=err)
    unreachable = "The database cannot be reached"
    try:
        _logged(log, unreachable, times=2)  # tried, and again: db_worker would have ended at the first
        assert worker.poll() is None
        database.mend()
        notify(contract, "ib_suspended")
        assert _sent(Notice.objects.latest("created_at"), within=20)
        failures = log.read_text().count(unreachable)
        database.cut()  # a restart, a failover: its connection is gone
        _logged(log, unreachable, times=failures + 1)
        assert worker.poll() is None
        database.mend()
        notify(contract, "ib_suspended")
        assert _sent(Notice.objects.latest("created_at"), within=20)
        assert len(inbox.messages) == 2
        assert log.read_text().count("Starting worker") == 2  # once the database came, and again after the cut
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=10) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
        database.cut()
