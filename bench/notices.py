#!/usr/bin/env python
"""The 振込 request does not wait for the mail relay, and one worker's delivery rate (issue 16).

    .venv/bin/python bench/notices.py                 # SQLite, or with DATABASE_URL set: PostgreSQL

Runs in a throw-away test database. Part 1: the 認証 POST of a same-bank transfer (it executes the transfer and
enqueues its notice), timed from the session and the URL through the test client, with the relay **up**
(aiosmtpd), **refusing** (nothing listens) and **silent** (accepts, never answers), the three alternating in
short slices; each slice's median is compared with the "up" median of the same round: min / median / max.
Target: the three medians within 10% of each other. Part 2: notices delivered per second by one db_worker
(in this process) against aiosmtpd.
"""

import os
import socket
import statistics
import time

import in_process  # the project on sys.path and Django set up: first

# isort: split

import seed
from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse

from notices.models import Notice
from notices.outbox import notify
from tests.payments.helpers import prepared_same_bank

SLICE = int(os.environ.get("BENCH_SLICE", "10"))
SLICES = int(os.environ.get("BENCH_SLICES", "8"))
NOTICES = int(os.environ.get("BENCH_NOTICES", "200"))
TRANSFER_PASSWORD = "2468"


class Inbox:
    def __init__(self):
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        return "250 OK"


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _confirmed(client, sender, receiver):
    t = prepared_same_bank(sender, receiver, 100, payee_name="ﾍﾞﾝﾁ")
    client.post(reverse("transfers-confirm", args=[t.reference]))
    return reverse("transfers-authorize", args=[t.reference])


def run():
    seed.own_bank()
    sender, receiver = seed.pair(3100000000, password="bench123", email="b1@example.jp", balance=100_000_000)
    sender.set_transfer_password(TRANSFER_PASSWORD)
    sender.save()
    client = Client()
    client.post(reverse("accounts-login"), {"contract_id": sender.contract_id, "password": "bench123"})
    up_port, refusing_port, silent_port = _port(), _port(), _port()
    relay = Controller(Inbox(), hostname="127.0.0.1", port=up_port)
    relay.start()
    silent = socket.socket()
    silent.bind(("127.0.0.1", silent_port))
    silent.listen(64)
    smtp = {"EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend", "EMAIL_HOST": "127.0.0.1"}
    times = {"up": [], "refusing": [], "silent": []}
    ratios = {"refusing": [], "silent": []}
    ports = {"up": up_port, "refusing": refusing_port, "silent": silent_port}
    for _ in range(SLICES):
        medians = {}
        for name, port in ports.items():
            with override_settings(**smtp, EMAIL_PORT=port):
                slice_times = []
                for _ in range(SLICE):
                    # 入力 and 確認 outside the timer, each just before its 認証: the session keeps the last
                    # transfer confirmed (a transfer confirmed before another one is sent back to 確認).
                    url = _confirmed(client, sender, receiver)
                    start = time.perf_counter()
                    response = client.post(url, {"transfer_password": TRANSFER_PASSWORD})
                    slice_times.append(time.perf_counter() - start)
                    # executed: to 結果 (a refusal would go back to 確認 or show the form)
                    assert response.status_code == 302 and response["Location"] == url.removesuffix("authorize/")
            times[name] += slice_times
            medians[name] = statistics.median(slice_times)
        for name in ratios:
            ratios[name].append(medians[name] / medians["up"])
    silent.close()
    print(f"database: {connection.vendor}; {SLICES} interleaved slices x {SLICE} authorized transfers per relay state")
    for name, values in times.items():
        print(f"  relay {name:<9} 認証 POST median {statistics.median(values) * 1000:7.2f} ms")
    for name, values in ratios.items():
        print(
            f"ratio {name} / up: min {min(values):.2f}  median {statistics.median(values):.2f}  max {max(values):.2f}"
            "  (target: median within 0.90-1.10)"
        )
    # Part 2: one worker against a relay that is up.
    Notice.objects.all().delete()
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.all().delete()
    for _ in range(NOTICES):
        notify(sender, "ib_suspended")
    with override_settings(**smtp, EMAIL_PORT=up_port):
        start = time.perf_counter()
        call_command("db_worker", batch=True, interval=0, startup_delay=False, verbosity=0)
        elapsed = time.perf_counter() - start
    sent = Notice.objects.filter(status=Notice.Status.SENT).count()
    relay.stop()
    print(f"one worker: {sent} notices delivered to aiosmtpd in {elapsed:.2f} s: {sent / elapsed:,.0f} notices/s")


def main():
    in_process.in_test_database(run)


if __name__ == "__main__":
    main()
