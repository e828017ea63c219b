#!/usr/bin/env python
"""Authorized transfers per second over HTTP against the bare-SQL transfer floor (issue 19).

    .venv/bin/python bench/transfer_http.py      (PostgreSQL on 127.0.0.1:5432 and Redis on :6379)

* ``HTTP``: gunicorn, 2 sync workers, PostgreSQL with persistent connections, Redis, DEBUG off. Two client
  threads, each with logged-in customers of its own (token contracts, logged in before the timers), run
  whole transfers: POST 入力 (a same-bank payee paid before), POST 確認, POST 認証 with the OTP. Each
  authorization uses the contract's next TOTP step (each step once; at most one ahead of now), and there
  are enough contracts that no slice waits for a step. Every answer is checked.
* ``floor``: the same double-entry transfer as bare SQL through psycopg in 2 threads (2 connections):
  BEGIN; two conditional balance UPDATEs; one journal INSERT and one two-line posting INSERT; COMMIT.

They alternate in slices (BENCH_SLICE transfers each, default 24) over BENCH_SLICES rounds (default 6), the
order swapped every round; each round gives one ratio HTTP / floor, printed as min / median / max. Target:
median >= 0.06. Not a test.
"""

import os
import re
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from http_common import Client, database, gunicorn, manage, rate_in_threads, server_env, transfer_form
from journey import PASSWORD, SEED

from otp import totp

SLICE = int(os.environ.get("BENCH_SLICE", "24"))
SLICES = int(os.environ.get("BENCH_SLICES", "6"))
DB = "ibank_bench_transfer_http"


class Customer:
    """A logged-in customer whose token codes are used once each, in step order."""

    def __init__(self, port, contract_id, key, account):
        self.client = Client(port)
        self.key, self.account = key, account
        self.client.request("GET", "/login/")
        csrf = self.client.cookies["csrftoken"]
        form = {"contract_id": contract_id, "password": PASSWORD, "csrfmiddlewaretoken": csrf}
        assert self.client.request("POST", "/login/", form)[0] == 302
        self.last_step = totp.time_step(time.time())
        code = totp.hotp(key, self.last_step)
        form = {"otp": code, "csrfmiddlewaretoken": self.client.cookies["csrftoken"]}
        assert self.client.request("POST", "/login/otp/", form)[0] == 302

    def can_transfer(self) -> bool:
        return self.last_step < totp.time_step(time.time()) + 1

    def transfer(self):
        c = self.client
        csrf = c.cookies["csrftoken"]
        form = transfer_form(self.account, 100, csrf)
        status, _ = c.request("POST", "/transfer/", form)
        assert status == 302 and c.location.endswith("/confirm/"), (status, c.location)
        reference = c.location.split("/")[2]
        status, _ = c.request("POST", f"/transfer/{reference}/confirm/", {"csrfmiddlewaretoken": csrf})
        assert status == 302 and c.location.endswith("/authorize/"), (status, c.location)
        self.last_step += 1  # the next step, once: up to one ahead of now is accepted
        form = {"otp": totp.hotp(self.key, self.last_step), "csrfmiddlewaretoken": csrf}
        status, _ = c.request("POST", f"/transfer/{reference}/authorize/", form)
        assert status == 302 and c.location == f"/transfer/{reference}/", (status, c.location)


FLOOR_SETUP = """
CREATE TABLE IF NOT EXISTS floor_account (id bigint PRIMARY KEY, balance bigint NOT NULL);
CREATE TABLE IF NOT EXISTS floor_entry (id bigserial PRIMARY KEY, at timestamptz NOT NULL, kind text, reference text);
CREATE TABLE IF NOT EXISTS floor_posting (id bigserial PRIMARY KEY, entry_id bigint NOT NULL,
    account_id bigint NOT NULL, amount bigint NOT NULL, balance_after bigint NOT NULL, memo text,
    counterparty text, at timestamptz NOT NULL);
CREATE INDEX IF NOT EXISTS floor_posting_account ON floor_posting (account_id, at DESC, id DESC);
INSERT INTO floor_account VALUES (1, 1000000000), (2, 1000000000), (3, 1000000000), (4, 1000000000)
    ON CONFLICT DO NOTHING;
"""


def _floor_once(conn, sender: int, receiver: int):
    with conn.transaction(), conn.cursor() as cur:
        cur.execute(
            "UPDATE floor_account SET balance = balance - 100 WHERE id = %s AND balance >= 100 RETURNING balance",
            [sender],
        )
        from_balance = cur.fetchone()[0]
        cur.execute("UPDATE floor_account SET balance = balance + 100 WHERE id = %s RETURNING balance", [receiver])
        to_balance = cur.fetchone()[0]
        cur.execute("INSERT INTO floor_entry (at, kind, reference) VALUES (now(), 'transfer', '') RETURNING id")
        entry = cur.fetchone()[0]
        cur.execute(
            "INSERT INTO floor_posting (entry_id, account_id, amount, balance_after, memo, counterparty, at)"
            " VALUES (%s, %s, -100, %s, 'transfer_out', '', now()), (%s, %s, 100, %s, 'transfer_in', '', now())",
            [entry, sender, from_balance, entry, receiver, to_balance],
        )


def main():
    import psycopg

    needed = SLICE * SLICES + 30  # enough that no slice waits for a customer's next TOTP step
    with database(DB) as name:
        env = server_env(name)
        manage(env, "migrate", "--noinput", "-v", "0")
        manage(env, "load_zengin")
        seeded = manage(env, "shell", stdin=SEED.format(count=needed, password=PASSWORD))
        rows = [line.split() for line in seeded.splitlines() if re.match(r"^4\d{9} ", line)]
        with psycopg.connect(env["DATABASE_URL"], autocommit=True) as setup:
            setup.execute(FLOOR_SETUP)
        floor_conns = [psycopg.connect(env["DATABASE_URL"], autocommit=True) for _ in range(2)]
        with gunicorn(env, workers=2) as port:
            customers = [Customer(port, cid, bytes.fromhex(key), account) for cid, key, account in rows]
            lock = threading.Lock()

            def next_customer():
                while True:
                    with lock:
                        for customer in customers:
                            if customer.can_transfer() and not getattr(customer, "busy", False):
                                customer.busy = True
                                return customer
                    time.sleep(0.05)

            def one_transfer(_i):
                customer = next_customer()
                try:
                    customer.transfer()
                finally:
                    customer.busy = False

            def http_slice(n):
                return rate_in_threads(one_transfer, n)

            def floor_slice(n):
                return rate_in_threads(lambda i: _floor_once(floor_conns[i], 1 + 2 * i, 2 + 2 * i), n)

            http_slice(4)
            floor_slice(20)
            ratios, https, floors = [], [], []
            for round_ in range(SLICES):
                if round_ % 2:
                    f, h = floor_slice(SLICE * 20), http_slice(SLICE)
                else:
                    h, f = http_slice(SLICE), floor_slice(SLICE * 20)
                https.append(h)
                floors.append(f)
                ratios.append(h / f)
            for conn in floor_conns:
                conn.close()
            print(f"{SLICES} alternating slices (HTTP {SLICE}, floor {SLICE * 20} transfers; 2 threads each)")
            print(f"  HTTP authorized transfers  median {statistics.median(https):8.1f} /s")
            print(f"  bare-SQL floor             median {statistics.median(floors):8.1f} /s")
            print(
                f"ratio HTTP / floor: min {min(ratios):.3f}  median {statistics.median(ratios):.3f}"
                f"  max {max(ratios):.3f}  (target >= 0.06)"
            )


if __name__ == "__main__":
    main()
