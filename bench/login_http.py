#!/usr/bin/env python
"""HTTP logins per second against the raw Argon2id rate, and the two failed-login latencies.

    .venv/bin/python bench/login_http.py      (PostgreSQL on 127.0.0.1:5432 and Redis on :6379)

* ``HTTP login``: gunicorn, 2 sync workers, PostgreSQL with persistent
  connections, Redis; 2 client threads each POSTing /login/ (契約者ID +
  password, CSRF) for contracts of their own and following nothing: a whole
  successful password login (Argon2 check, counters, audit, session, record).
* ``Argon2``: the same Argon2id verification (m=19456 KiB, t=2, p=1) in 2
  processes, nothing else: the ceiling of any login.

They alternate in slices (BENCH_SLICES rounds of BENCH_SLICE logins / verifies, the order swapped every round);
each round gives one ratio HTTP / Argon2, printed as min / median / max. Target
>= 0.8. Then, interleaved, >= 200 failed logins with an unknown 契約者ID and
>= 200 with a known ID and a wrong password: their median latencies (a timing
oracle would show a difference). Not a test.
"""

import multiprocessing
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import http_common
from http_common import Client, database, gunicorn, manage, rate_in_threads, server_env

SLICE = 40
SLICES = 10
PASSWORD = "Bench1234"
SEED = """
from accounts.models import Account, Contract, User
from ledger import books
for n in range({count}):
    cid = f"{{4000000000 + n}}"
    user = User.objects.create_user(username=cid, password="{password}")
    c = Contract.objects.create(user=user, contract_id=cid, name=f"bench {{n}}", transaction_method="password")
"""


def main():
    import os

    slice_size = int(os.environ.get("BENCH_SLICE", SLICE))
    slices = int(os.environ.get("BENCH_SLICES", SLICES))
    with database("ibank_bench_login") as name:
        env = server_env(name)
        manage(env, "migrate", "--noinput", "-v", "0")
        manage(env, "shell", stdin=SEED.format(count=2, password=PASSWORD))
        with gunicorn(env, workers=2) as port, multiprocessing.Pool(2) as pool:
            clients = [Client(port), Client(port)]
            ids = ["4000000000", "4000000001"]

            def http_slice(n):
                def login(i):
                    assert clients[i].login(ids[i], PASSWORD) == 302, "a login failed"

                return rate_in_threads(login, n)

            http_common.against_argon2(
                "HTTP password logins",
                http_slice,
                pool,
                PASSWORD,
                slices=slices,
                size=slice_size,
                warm=10,
                target="target >= 0.8",
            )

            _failed_logins(port, env)


def _failed_logins(port, env):
    """Failed logins: unknown ID vs known ID with a wrong password, interleaved one by one."""
    timer = Client(port)
    timer.request("GET", "/login/")
    latencies = {"unknown ID": [], "known ID, wrong password": []}
    for i in range(220):
        for label, cid in (("unknown ID", "4999999999"), ("known ID, wrong password", "4000000000")):
            timer.cookies.pop("sessionid", None)
            start = time.perf_counter()
            timer.request(
                "POST",
                "/login/",
                {"contract_id": cid, "password": "Wrong999", "csrfmiddlewaretoken": timer.cookies["csrftoken"]},
            )
            if i >= 20:  # warm-up
                latencies[label].append(time.perf_counter() - start)
        if i % 4 == 3:  # keep the known contract below its lock
            manage_reset(env)
    for label, values in latencies.items():
        print(f"  failed login, {label:<26} median {statistics.median(values) * 1000:7.2f} ms (n={len(values)})")


def manage_reset(env):
    """The known contract below its lock, and this sender below its pause (accounts.senders): every failed login
    timed is a whole evaluation."""
    import psycopg
    import redis

    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
        conn.execute("UPDATE accounts_contract SET login_failures = 0")
        conn.execute("UPDATE accounts_lock SET lifted_at = now(), lifted_by = 'bench' WHERE lifted_at IS NULL")
    cache = redis.Redis.from_url(env["REDIS_URL"])
    for key in cache.scan_iter(match="*login-failures-from:*"):
        cache.delete(key)


if __name__ == "__main__":
    main()
