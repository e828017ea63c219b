"""The app served by real gunicorn processes against the test database, and a small HTTP client (for tests)."""

import contextlib
import http.client
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# A Redis database of its own per pytest-xdist worker (7, 8, …), flushed by each test that uses it: a test
# on another worker never flushes this one's counters mid-test.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
REDIS_DB = 7 + (int(_WORKER[2:]) if _WORKER[2:].isdigit() else 0)
REDIS_URL = f"redis://127.0.0.1:6379/{REDIS_DB}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def silent_port():
    """A loopback port that accepts connections and never answers (a server behind a partition, or stalled)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held = []

    def accept():
        while True:
            try:
                held.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield server.getsockname()[1]
    finally:
        server.close()
        for accepted in held:
            accepted.close()


class Cuttable:
    """A TCP forwarder from a loopback port to ``target`` (a database): ``cut()`` closes the port and every
    connection through it (the server restarted, a failover), ``mend()`` listens on the same port again. It
    starts cut: nothing listens on ``port``."""

    def __init__(self, target: tuple[str, int]):
        self.target, self.port = target, free_port()
        self._server, self._sockets = None, []

    def mend(self) -> None:
        server = socket.socket()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", self.port))
        server.listen(64)
        self._server = server
        threading.Thread(target=self._accept, args=(server,), daemon=True).start()

    def cut(self) -> None:
        for sock in [self._server, *self._sockets]:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        self._server, self._sockets = None, []

    def _accept(self, server) -> None:
        while True:
            try:
                near = server.accept()[0]
                far = socket.create_connection(self.target)
            except OSError:
                return
            self._sockets += [near, far]
            threading.Thread(target=self._pipe, args=(near, far), daemon=True).start()
            threading.Thread(target=self._pipe, args=(far, near), daemon=True).start()

    @staticmethod
    def _pipe(source, sink) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)


def server_env(database_name: str, *, redis: bool = True) -> dict:
    from django.conf import settings

    db = settings.DATABASES["default"]
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{database_name}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IBANK_", "DATABASE_", "PYTEST", "REDIS"))}
    env.update(
        IBANK_ENV="development",
        IBANK_DEBUG="0",
        DATABASE_URL=url,
        DATABASE_CONN_MAX_AGE="600",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        LOG_LEVEL="CRITICAL",
    )
    if redis:
        env["REDIS_URL"] = REDIS_URL
    return env


def flush_redis() -> None:
    with socket.create_connection(("127.0.0.1", 6379), timeout=5) as s:
        s.sendall(f"SELECT {REDIS_DB}\r\nFLUSHDB\r\n".encode())
        s.recv(100)


@contextlib.contextmanager
def gunicorn(env: dict, *, workers: int = 2):
    """Serve the project on a free loopback port; yields (port, master process)."""
    port = free_port()
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "gunicorn", "ibank.wsgi", "-b", f"127.0.0.1:{port}", "-w", str(workers)),
            *("--graceful-timeout", "2", "--log-level", "critical"),
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        wait_for(port)
        yield port, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def loaded_client(port: int) -> "Client":
    """A client of a server whose worker has loaded the project. gunicorn's port answers before its worker has,
    and the first request pays the load (seconds on a busy machine): the login page, which reads neither the
    database nor the cache, pays it here, so that a test times only what it is about."""
    client = Client(port)
    assert client.request("GET", "/login/")[0] == 200
    return client


def timed(client: "Client", method: str, path: str, form: dict | None = None) -> tuple[int, str, str, float]:
    """``client.request(...)`` and the seconds it took."""
    started = time.monotonic()
    return (*client.request(method, path, form), time.monotonic() - started)


def wait_for(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on {port}")


def worker_pids(master_pid: int) -> list[int]:
    path = Path(f"/proc/{master_pid}/task/{master_pid}/children")
    return [int(pid) for pid in path.read_text().split()] if path.exists() else []


class Client:
    """A keep-alive HTTP client with its own cookies; reconnects after a dropped connection."""

    def __init__(self, port: int):
        self.port = port
        self.conn = None
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str, str]:
        """(status, Location, body); status 0 for a connection that broke."""
        headers = {"Host": "127.0.0.1", "Accept-Language": "ja"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            if "csrftoken" not in self.cookies and method != "GET":
                self.request("GET", "/login/")
                headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            body = urllib.parse.urlencode({**form, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")})
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            data = response.read().decode("utf-8", errors="replace")
        except (OSError, http.client.HTTPException):
            self.conn = None
            return 0, "", ""
        for header in response.headers.get_all("Set-Cookie") or []:
            match = re.match(r"([^=]+)=([^;]*)", header)
            if match:
                self.cookies[match.group(1)] = match.group(2)
        if response.getheader("Connection", "").lower() == "close":
            self.conn = None
        return response.status, response.getheader("Location", ""), data
