#!/usr/bin/env python
"""The login journey side by side with the best-known peer, django-two-factor-auth (issue 19).

    .venv/bin/python bench/peer_login.py      (PostgreSQL on 127.0.0.1:5432 and Redis on :6379)

Two servers on the same stack, each gunicorn with 2 sync workers, PostgreSQL with persistent connections,
Redis cache and sessions, DEBUG off, Argon2id at m=19456 KiB, t=2, p=1, TOTP (30 s, 6 digits):

* ``ibank``: GET /login/, POST 契約者ID + password, POST the login OTP, GET /menu/, POST /logout/. Each
  contract has a token with login OTP and logs in from its own PC (a known environment: the device cookie
  the customer's browser keeps); the login is recorded, audited and notified (a notice task for the worker),
  as the bank must.
* ``peer``: django-two-factor-auth 1.18 as its documentation sets it up (bench/peer/): GET /account/login/,
  POST the auth step (username + password), POST the token step, GET the logged-in page (otp_required),
  POST /logout/.

Every user logs in once (each TOTP step is used once); every response is checked (status and redirect).
Two client threads run whole journeys; the contenders alternate in slices (BENCH_SLICE journeys, default
20) over BENCH_SLICES rounds (default 8), the order swapped every round. Each round gives the ratio of
ibank's journeys/s to the peer's, printed as min / median / max (target >= 1.0), and the server CPU per
journey (the gunicorn workers' and the PostgreSQL backends' user + system time from /proc, so run it on the
server's machine). Not a test.
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
import http_common as http

from otp import totp

SLICE = int(os.environ.get("BENCH_SLICE", "20"))
SLICES = int(os.environ.get("BENCH_SLICES", "8"))
PASSWORD = "Bench1234"
PEER = Path(__file__).resolve().parent / "peer"
IBANK_SEED = """
from datetime import timedelta
from accounts.models import Account, Contract, User
from ibank import clock
from ledger import books
from otp.models import TokenBinding
from otp.services import token_issue
from tests.helpers import environment_cookie

for n in range({count}):
    cid = f"{{4300000000 + n}}"
    user = User.objects.create_user(username=cid, password="{password}")
    c = Contract.objects.create(user=user, contract_id=cid, name=f"bench {{n}}", transaction_method="password",
                                email=f"bench{{n}}@example.jp", created_at=clock.now() - timedelta(days=60))
    a = Account.objects.create(contract=c, branch_code="001", branch_name="本店営業部", kind=1,
                               number=f"{{1000000 + n:07d}}", holder_kana=f"ﾍﾞﾝﾁ {{n}}")
    books.deposit(account=a, amount=100_000)
    token, key = token_issue(kind="mobile")
    token.status = token.Status.ACTIVE
    token.save(update_fields=["status"])
    TokenBinding.objects.create(user=user, name=token.token_id, contract=c, software_token=token, login_otp=True,
                                bound_at=clock.now() - timedelta(days=30))
    print(cid, key.hex(), environment_cookie(c))
"""
PEER_SEED = """
from django.contrib.auth.models import User
from django_otp.plugins.otp_totp.models import TOTPDevice

for n in range({count}):
    user = User.objects.create_user(username=f"peer{{n}}", password="{password}")
    device = TOTPDevice.objects.create(user=user, name="default", confirmed=True)
    print(user.username, device.key)
"""


def _ibank_journey(port: int, contract_id: str, key: bytes, cookie: str):
    c = http.Client(port)
    c.cookies["ibank_env"] = cookie
    step = totp.time_step(time.time())
    status, _ = c.request("GET", "/login/")
    assert status == 200, status
    form = {"contract_id": contract_id, "password": PASSWORD, "csrfmiddlewaretoken": c.cookies["csrftoken"]}
    status, _ = c.request("POST", "/login/", form)
    assert status == 302 and c.location == "/login/otp/", (status, c.location)
    form = {"otp": totp.hotp(key, step), "csrfmiddlewaretoken": c.cookies["csrftoken"]}
    status, _ = c.request("POST", "/login/otp/", form)
    assert status == 302 and c.location == "/menu/", (status, c.location)
    status, _ = c.request("GET", "/menu/")
    assert status == 200, status
    status, _ = c.request("POST", "/logout/", {"csrfmiddlewaretoken": c.cookies["csrftoken"]})
    assert status == 302, status


def _peer_journey(port: int, username: str, key: bytes):
    c = http.Client(port)
    step = totp.time_step(time.time())
    status, _ = c.request("GET", "/account/login/")
    assert status == 200, status
    form = {
        "login_view-current_step": "auth",
        "auth-username": username,
        "auth-password": PASSWORD,
        "csrfmiddlewaretoken": c.cookies["csrftoken"],
    }
    status, body = c.request("POST", "/account/login/", form)
    assert status == 200 and b'name="token-otp_token"' in body, status  # the wizard's token step
    form = {
        "login_view-current_step": "token",
        "token-otp_token": totp.hotp(key, step),
        "csrfmiddlewaretoken": c.cookies["csrftoken"],
    }
    status, _ = c.request("POST", "/account/login/", form)
    assert status == 302 and c.location == "/", (status, c.location)
    status, body = c.request("GET", "/")
    assert status == 200 and username.encode() in body, status
    status, _ = c.request("POST", "/logout/", {"csrfmiddlewaretoken": c.cookies["csrftoken"]})
    assert status == 302, status


def _peer_env(db_name: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IBANK_", "DATABASE_", "PYTEST", "DJANGO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="peer_site.settings",
        DATABASE_URL=f"{http.PG}/{db_name}",
        REDIS_URL=http.REDIS.rsplit("/", 1)[0] + "/6",
        PYTHONPATH=str(PEER),
    )
    return env


def _peer_manage(env: dict, *args: str, stdin: str | None = None) -> str:
    import subprocess

    result = subprocess.run(
        [sys.executable, "-m", "django", *args], cwd=PEER, env=env, input=stdin, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise RuntimeError(result.stderr)
    return result.stdout


class Contender:
    """One server and its users; each slice runs whole journeys and measures the server's CPU."""

    def __init__(self, name, port, users, journey, pg_conn, db_name):
        self.name, self.port, self.journey = name, port, journey
        self.users = iter(users)
        self.pg_conn, self.db_name = pg_conn, db_name
        self.rates, self.cpu = [], []
        self._lock = threading.Lock()

    def _take(self):
        with self._lock:
            return next(self.users)

    def run_slice(self, n: int) -> float:
        procs = http.server_processes(self.port, self.pg_conn, self.db_name)
        before = http.cpu_seconds(procs)
        rate = http.rate_in_threads(lambda _i: self.journey(self.port, *self._take()), n)
        self.cpu.append((http.cpu_seconds(procs) - before) / n)
        self.rates.append(rate)
        return rate


def main():
    import psycopg

    needed = SLICE * SLICES + 8
    with http.database("ibank_bench_peer_ibank") as ibank_db, http.database("ibank_bench_peer_peer") as peer_db:
        env = http.server_env(ibank_db)
        http.manage(env, "migrate", "--noinput", "-v", "0")
        lines = http.manage(env, "shell", stdin=IBANK_SEED.format(count=needed, password=PASSWORD)).split("\n")
        rows = [x.split() for x in lines if re.match(r"43\d{8} ", x)]
        ibank_users = [(cid, bytes.fromhex(key), cookie) for cid, key, cookie in rows]
        peer = _peer_env(peer_db)
        _peer_manage(peer, "migrate", "--noinput", "-v", "0")
        lines = _peer_manage(peer, "shell", stdin=PEER_SEED.format(count=needed, password=PASSWORD)).split("\n")
        peer_users = [(name, bytes.fromhex(key)) for name, key in (x.split() for x in lines if x.startswith("peer"))]
        with (
            http.gunicorn(env, workers=2) as ibank_port,
            http.gunicorn(peer, workers=2, app="peer_site.wsgi", cwd=PEER) as peer_port,
            psycopg.connect(f"{http.PG}/postgres", autocommit=True) as conn,
        ):
            ibank = Contender("ibank", ibank_port, ibank_users, _ibank_journey, conn, ibank_db)
            other = Contender("peer", peer_port, peer_users, _peer_journey, conn, peer_db)
            ibank.run_slice(4)  # warm up workers and connections
            other.run_slice(4)
            for contender in (ibank, other):
                contender.rates.clear()
                contender.cpu.clear()
            ratios = []
            for round_ in range(SLICES):
                first, second = (ibank, other) if round_ % 2 == 0 else (other, ibank)
                first.run_slice(SLICE)
                second.run_slice(SLICE)
                ratios.append(ibank.rates[-1] / other.rates[-1])
    print(f"{SLICES} alternating slices x {SLICE} login journeys (gunicorn 2 sync workers, PostgreSQL, Redis)")
    for c in (ibank, other):
        print(
            f"  {c.name:<6} median {statistics.median(c.rates):6.2f} journeys/s"
            f"   server CPU median {statistics.median(c.cpu) * 1000:5.1f} ms a journey"
        )
    print(
        f"ratio ibank / peer: min {min(ratios):.2f}  median {statistics.median(ratios):.2f}"
        f"  max {max(ratios):.2f}  (target >= 1.0)"
    )


if __name__ == "__main__":
    main()
