"""Shared by the HTTP benchmarks: a throw-away PostgreSQL database, gunicorn on a free loopback port, a client.

Nothing here is a test. The server runs the project as deployed (gunicorn sync
workers, PostgreSQL with persistent connections, Redis for the cache), DEBUG off.
"""

import contextlib
import http.client
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/5")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(db_name: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IBANK_", "DATABASE_", "PYTEST"))}
    env.update(
        IBANK_ENV="development",
        IBANK_DEBUG="0",
        DATABASE_URL=f"{PG}/{db_name}",
        DATABASE_CONN_MAX_AGE="600",
        REDIS_URL=REDIS,
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        LOG_LEVEL="ERROR",
        # The client on 127.0.0.1 is a customer, not our proxy: a login then pays what production's do (the
        # sender's count, accounts.senders), which skips the addresses of our own proxies.
        IBANK_TRUSTED_PROXIES="192.0.2.255/32",
    )
    return env


def manage(env: dict, *args: str, stdin: str | None = None) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, input=stdin, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise RuntimeError(result.stderr)
    return result.stdout


@contextlib.contextmanager
def database(name: str):
    """A fresh database ``name`` (dropped afterwards)."""
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def gunicorn(env: dict, workers: int = 2, app: str = "ibank.wsgi", cwd: Path = ROOT):
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            app,
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            str(workers),
            "--worker-class",
            "sync",
            "--log-level",
            "warning",
        ],
        cwd=cwd,
        env=env,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=20)


class Client:
    """A keep-alive HTTP client with a cookie jar of its own (one per thread)."""

    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies: dict[str, str] = {}
        self.location: str | None = None

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, bytes]:
        headers = {"Host": "127.0.0.1", "Accept-Language": "ja"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://127.0.0.1:{self.port}{path}"
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        data = response.read()
        self.location = response.headers.get("Location")
        for header in response.headers.get_all("Set-Cookie") or []:
            match = re.match(r"([^=]+)=([^;]*)", header)
            if match:
                self.cookies[match.group(1)] = match.group(2)
        return response.status, data

    def login(self, contract_id: str, password: str) -> int:
        if "csrftoken" not in self.cookies:
            self.request("GET", "/login/")
        self.cookies.pop("sessionid", None)
        status, _ = self.request(
            "POST",
            "/login/",
            {"contract_id": contract_id, "password": password, "csrfmiddlewaretoken": self.cookies["csrftoken"]},
        )
        return status


def rate_in_threads(step, n: int, threads: int = 2) -> float:
    """``n`` calls of ``step(i)`` (``i``: the calling thread's index), shared by ``threads`` threads started
    together: calls per second. A failed check (AssertionError) in any call fails the slice at its end."""
    errors = []
    per_thread = n // threads

    def run(i):
        for _ in range(per_thread):
            try:
                step(i)
            except AssertionError as error:
                errors.append(error)

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    assert not errors, errors[:3]
    return per_thread * threads / elapsed


def alternate(first, second, slices: int, size: int) -> tuple[list[float], list[float], list[float]]:
    """The two contenders (``first(n)``, ``second(n)``: rates of ``n`` calls) in alternating slices of
    ``size``, ``slices`` rounds, which of them goes first swapped every round: (first ÷ second per round,
    first's rates, second's rates)."""
    ratios, firsts, seconds = [], [], []
    for round_ in range(slices):
        if round_ % 2:
            b, a = second(size), first(size)
        else:
            a, b = first(size), second(size)
        firsts.append(a)
        seconds.append(b)
        ratios.append(a / b)
    return ratios, firsts, seconds


def ratio_line(label: str, ratios: list[float], target: str, digits: int = 2) -> str:
    """``label``'s ratios as min / median / max, with the target they are held to."""
    low, mid, high = min(ratios), statistics.median(ratios), max(ratios)
    return f"ratio {label}: min {low:.{digits}f}  median {mid:.{digits}f}  max {high:.{digits}f}  ({target})"


def against_argon2(name: str, contender, pool, password: str, *, slices: int, size: int, warm: int, target: str):
    """``contender(n)`` (the rate of ``n`` whole jobs) against raw Argon2id verifications of ``password`` at the
    app's parameters in the pool's 2 processes, the one cost a login cannot avoid: both warmed up, then
    alternating slices (:func:`alternate`), printed as each one's median rate and the ratio's min / median /
    max."""
    from argon2 import PasswordHasher

    encoded = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1).hash(password)

    def argon(n):
        return argon_rate(pool, encoded, password, n)

    contender(warm)  # warm up the workers and their connections
    argon(warm)
    ratios, rates, argons = alternate(contender, argon, slices, size)
    print(f"{slices} alternating slices x {size} (gunicorn 2 sync workers, PostgreSQL, Redis)")
    print(f"  {name:<24} median {statistics.median(rates):7.2f} /s")
    print(f"  {'Argon2id verify x2':<24} median {statistics.median(argons):7.2f} /s")
    print(ratio_line(f"{name} / Argon2", ratios, target, digits=3))


def _argon_worker(args):
    encoded, password, count = args
    from argon2 import PasswordHasher

    hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
    for _ in range(count):
        hasher.verify(encoded, password)
    return count


def argon_rate(pool, encoded: str, password: str, n: int) -> float:
    """``n`` Argon2id verifications at the app's parameters, shared by the pool's 2 processes: per second."""
    started = time.perf_counter()
    done = sum(pool.map(_argon_worker, [(encoded, password, n // 2)] * 2))
    return done / (time.perf_counter() - started)


# -- server CPU from /proc (run on the server's machine) -------------------------------------------------


def cpu_seconds(pids) -> float:
    """User + system seconds of ``pids`` (from /proc; a process that ended counts nothing)."""
    total = 0
    tick = os.sysconf("SC_CLK_TCK")
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / tick


def server_processes(port: int, conn, db_name: str) -> list[int]:
    """The gunicorn workers serving ``port`` and the PostgreSQL backends connected to ``db_name``."""
    master = _gunicorn_master(port)
    workers = [int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()]
    rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [db_name])
    return workers + [row[0] for row in rows]


def _gunicorn_master(port: int) -> int:
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmd = (proc / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"gunicorn" in b" ".join(cmd) and f"127.0.0.1:{port}".encode() in cmd:
                return int(proc.name)
    raise RuntimeError("gunicorn not found")


def transfer_form(account, amount: int, csrf: str) -> dict:
    """振込 入力 to the benchmarks' same-bank payee (account 9999999, paid before), today."""
    return {
        "from_account": account,
        "bank_code": os.environ.get("IBANK_BANK_CODE", "1999"),
        "branch_code": "001",
        "payee_kind": "1",
        "payee_number": "9999999",
        "payee_name": "ﾍﾞﾝﾁ 9999999",
        "amount": str(amount),
        "transfer_date": "",
        "csrfmiddlewaretoken": csrf,
    }
