#!/usr/bin/env python
"""A whole customer journey over HTTP against the raw Argon2id rate (issue 19), with server CPU per step.

    .venv/bin/python bench/journey.py      (PostgreSQL on 127.0.0.1:5432 and Redis on :6379)

* ``journey`` (the one that counts): gunicorn, 2 sync workers, PostgreSQL with persistent connections,
  Redis sessions and cache, DEBUG off. Two client threads, each running whole journeys for contracts of
  their own, every contract once (each TOTP step is used once): GET /login/, POST 契約者ID + password,
  POST the login OTP, GET /menu/, POST 振込 入力 (a same-bank payee paid before), POST 確認, POST 認証 with
  the next step's OTP, GET 結果, POST /logout/. Every response is checked (status and redirect).
* ``Argon2``: the same Argon2id verification (m=19456 KiB, t=2, p=1) in 2 processes, nothing else: the
  one cost a journey cannot avoid.

They alternate in slices (BENCH_SLICE journeys / verifies, default 20) over BENCH_SLICES rounds (default
8), the order swapped every round; each round gives one ratio journeys/s ÷ verifies/s, printed as min /
median / max. Target: median >= 0.4 (goal 0.7).

Then BENCH_PROFILED (20) journeys step by step with one client: each step's server CPU (the gunicorn
workers' and the PostgreSQL backends' user + system time from /proc, so run it on the server's machine);
and one journey in this process against the same database, counting each step's SQL statements and
transactions. Not a test.
"""

import multiprocessing
import os
import re
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import http_common
from http_common import (
    Client,
    cpu_seconds,
    database,
    gunicorn,
    manage,
    rate_in_threads,
    server_env,
    server_processes,
    transfer_form,
)

from otp import totp

SLICE = int(os.environ.get("BENCH_SLICE", "20"))
SLICES = int(os.environ.get("BENCH_SLICES", "8"))
PROFILED = int(os.environ.get("BENCH_PROFILED", "20"))
PASSWORD = "Bench1234"
DB = "ibank_bench_journey"
SEED = """
from datetime import timedelta
from django.conf import settings
from accounts.models import Account, Contract, User
from ibank import clock
from ledger import books
from ledger.models import JournalEntry, Memo
from otp.models import TokenBinding
from otp.services import token_issue
from payments.models import Transfer

def account(contract, number, balance):
    a = Account.objects.create(contract=contract, branch_code="001", branch_name="本店営業部", kind=1,
                               number=number, holder_kana=f"ﾍﾞﾝﾁ {{number}}")
    if balance:
        books.deposit(account=a, amount=balance)
    return a

payee_user = User.objects.create_user(username="4999999999", password=None)
payee_contract = Contract.objects.create(user=payee_user, contract_id="4999999999", name="payee",
                                         transaction_method="password", created_at=clock.now() - timedelta(days=60))
payee = account(payee_contract, "9999999", 0)
for n in range({count}):
    cid = f"{{4000000000 + n}}"
    user = User.objects.create_user(username=cid, password="{password}")
    c = Contract.objects.create(user=user, contract_id=cid, name=f"bench {{n}}", transaction_method="password",
                                email=f"bench{{n}}@example.jp", created_at=clock.now() - timedelta(days=60))
    a = account(c, f"{{1000000 + n:07d}}", 10_000_000)
    token, key = token_issue(kind="mobile")
    token.status = token.Status.ACTIVE
    token.save(update_fields=["status"])
    TokenBinding.objects.create(user=user, name=token.token_id, contract=c, software_token=token, login_otp=True,
                                bound_at=clock.now() - timedelta(days=30))
    # The payee was paid two months ago (no hold, no new payee's cap).
    at = clock.now() - timedelta(days=60)
    entry = books.post(books.Instruction(kind=JournalEntry.Kind.TRANSFER, reference="", at=at, lines=[
        books.Line(a.pk, -1, Memo.TRANSFER_OUT, payee.holder_kana), books.Line(payee.pk, 1, Memo.TRANSFER_IN, "")]))
    Transfer.objects.create(contract=c, reference=f"90{{n:012d}}", from_account=a,
        bank_code=settings.IBANK_BANK_CODE, bank_name="bench", bank_kana="ﾍﾞﾝﾁ", branch_code="001",
        branch_name="本店営業部", branch_kana="ﾎﾝﾃﾝ", payee_kind=1, payee_number=payee.number,
        payee_name=payee.holder_kana, to_account=payee, amount=1, fee=0, status="done", entry_id=entry,
        created_at=at, confirmed_at=at, executed_at=at, settles_on=at.date())
    print(cid, key.hex(), a.pk)
"""


class Journey:
    """One customer's journey on a client of its own; raises AssertionError on any unexpected answer."""

    STEPS = ["GET /login/", "POST /login/", "POST /login/otp/", "GET /menu/", "POST 入力", "POST 確認",
             "POST 認証", "GET 結果", "POST /logout/"]  # fmt: skip

    def __init__(self, port: int, contract_id: str, key: bytes, account: str):
        self.client = Client(port)
        self.contract_id, self.key, self.account = contract_id, key, account

    def steps(self):
        """Yield before each step (the caller may measure around it)."""
        c = self.client
        code_step = totp.time_step(time.time())
        yield
        status, _ = c.request("GET", "/login/")
        assert status == 200, status
        yield
        csrf = c.cookies["csrftoken"]
        status, _ = c.request(
            "POST", "/login/", {"contract_id": self.contract_id, "password": PASSWORD, "csrfmiddlewaretoken": csrf}
        )
        assert status == 302, status
        yield
        code = totp.hotp(self.key, code_step)
        status, _ = c.request("POST", "/login/otp/", {"otp": code, "csrfmiddlewaretoken": c.cookies["csrftoken"]})
        assert status == 302, status
        yield
        status, _ = c.request("GET", "/menu/")
        assert status == 200, status
        yield
        form = transfer_form(self.account, 1000, c.cookies["csrftoken"])
        status, body = c.request("POST", "/transfer/", form)
        errors = re.findall(r'class="(?:field-error|form-errors)"[^>]*>(.+?)</', body.decode())
        assert status == 302 and c.location and c.location.endswith("/confirm/"), (status, c.location, errors)
        reference = c.location.split("/")[2]
        yield
        status, _ = c.request(
            "POST", f"/transfer/{reference}/confirm/", {"csrfmiddlewaretoken": c.cookies["csrftoken"]}
        )
        assert status == 302 and c.location.endswith("/authorize/"), (status, c.location)
        yield
        code = totp.hotp(self.key, code_step + 1)  # the next step: each step is used once
        status, _ = c.request(
            "POST", f"/transfer/{reference}/authorize/", {"otp": code, "csrfmiddlewaretoken": c.cookies["csrftoken"]}
        )
        assert status == 302 and c.location == f"/transfer/{reference}/", (status, c.location)
        yield
        status, body = c.request("GET", f"/transfer/{reference}/")
        assert status == 200 and reference.encode() in body, status
        yield
        status, _ = c.request("POST", "/logout/", {"csrfmiddlewaretoken": c.cookies["csrftoken"]})
        assert status == 302, status

    def run(self):
        for _ in self.steps():
            pass


def _commits(conn) -> int:
    return conn.execute("SELECT xact_commit FROM pg_stat_database WHERE datname = %s", [DB]).fetchone()[0]


def main():
    needed = SLICE * SLICES + 4 + PROFILED + 2
    with database(DB) as name:
        env = server_env(name)
        manage(env, "migrate", "--noinput", "-v", "0")
        manage(env, "load_zengin")  # the banks and branches 入力 checks the payee against
        seeded = manage(env, "shell", stdin=SEED.format(count=needed, password=PASSWORD))
        contracts = [line.split() for line in seeded.splitlines() if re.match(r"^4\d{9} ", line)]
        contracts = [(cid, bytes.fromhex(key), account) for cid, key, account in contracts]
        with gunicorn(env, workers=2) as port, multiprocessing.Pool(2) as pool:
            queue = iter(contracts)
            lock = threading.Lock()

            def take():
                with lock:
                    return next(queue)

            def journey_slice(n):
                return rate_in_threads(lambda _i: Journey(port, *take()).run(), n)

            http_common.against_argon2(
                "journeys",
                journey_slice,
                pool,
                PASSWORD,
                slices=SLICES,
                size=SLICE,
                warm=4,
                target="target >= 0.4, goal 0.7",
            )
            _per_step(port, take, env)


def _per_step(port, take, env):
    """Each step of journeys run one at a time: mean server CPU (gunicorn workers + PostgreSQL backends)."""
    import psycopg

    cpu = {step: [] for step in Journey.STEPS}
    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
        for _ in range(PROFILED):
            steps = Journey(port, *take()).steps()
            next(steps)
            for step in Journey.STEPS:
                procs = server_processes(port, conn, DB)
                before = cpu_seconds(procs)
                next(steps, None)
                cpu[step].append(cpu_seconds(procs) - before)
    counts = _statements(take, env)
    print(f"per step ({PROFILED} journeys one at a time; /proc CPU ticks are 10 ms, so these are means):")
    for step in Journey.STEPS:
        statements, transactions = counts[step]
        print(
            f"  {step:<18} server CPU {statistics.mean(cpu[step]) * 1000:6.1f} ms"
            f"   statements {statements:3d}   transactions {transactions:3d}"
        )
    total = [sum(counts[step][i] for step in Journey.STEPS) for i in (0, 1)]
    print(
        f"  whole journey      server CPU {sum(statistics.mean(v) for v in cpu.values()) * 1000:6.1f} ms"
        f"   statements {total[0]:3d}   transactions {total[1]:3d}"
    )


class _InProcessClient:
    """The journey's client interface on Django's test client, in this process (to count statements)."""

    def __init__(self):
        from django.test import Client as DjangoClient

        self.django = DjangoClient(HTTP_ACCEPT_LANGUAGE="ja")
        self.location = None

    @property
    def cookies(self):
        return {name: morsel.value for name, morsel in self.django.cookies.items()}

    def request(self, method, path, form=None):
        response = self.django.get(path) if method == "GET" else self.django.post(path, form or {})
        self.location = response.get("Location")
        return response.status_code, response.content


def _statements(take, env) -> dict:
    """(statements, transactions) per step of one journey run in this process against the same database:
    every SQL statement the request sent, and how many transactions they made (a statement outside an
    atomic block is a transaction of its own; each outermost atomic block is one)."""
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "ibank.settings"
    import django

    django.setup()
    from django.db import connection

    state = {"statements": 0, "transactions": 0}

    def count(execute, sql, params, many, context):
        state["statements"] += 1
        if not connection.in_atomic_block:
            state["transactions"] += 1
        return execute(sql, params, many, context)

    original_commit = connection._commit

    def commit():
        state["transactions"] += 1
        return original_commit()

    connection._commit = commit
    journey = Journey(0, *take())
    journey.client = _InProcessClient()
    counts = {}
    with connection.execute_wrapper(count):
        steps = journey.steps()
        next(steps)
        for step in Journey.STEPS:
            state.update(statements=0, transactions=0)
            next(steps, None)
            counts[step] = (state["statements"], state["transactions"])
    return counts


if __name__ == "__main__":
    main()
