"""Django's PostgreSQL backend, with a health check that costs no round trip while the connection is quiet.

Django checks a persistent connection (CONN_HEALTH_CHECKS) before a request first uses it by sending
``SELECT 1``: a round trip on every request, for the rare connection the server ended (a restart, a
failover, ``pg_terminate_backend``). A server that ends a connection says so on its socket (an error
message, then the end of the stream), and an idle connection otherwise receives nothing. So: an open,
idle connection with nothing to read is usable as it is; anything else (something to read, a transaction
left open, a broken connection) gets Django's own check, which closes what fails it. A connection cut
without a word (a network partition) is caught by neither check before the request's first statement.

A web process's connections also carry the request timeouts (lock, statement) in their start-up ``options``.
"""

import select

from django.db.backends.postgresql import base
from psycopg import pq

from ibank.postgresql import serving_requests


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self):
        params = super().get_connection_params()
        timeouts = self.settings_dict.get("REQUEST_TIMEOUTS_MS")
        if timeouts and serving_requests():
            # Sent with the connection's start-up: no statement, no round trip (0 leaves one off).
            given = " ".join(f"-c {name}={ms}" for name, ms in timeouts.items() if ms)
            params["options"] = f"{params.get('options', '')} {given}".strip()
        return params

    def close_if_health_check_failed(self):
        if not self.pool and self.health_check_enabled and not self.health_check_done and self._quiet():
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

    def _quiet(self) -> bool:
        """Open, idle (no transaction), and nothing waiting on the socket."""
        conn = self.connection
        if conn is None or conn.closed or conn.broken:
            return False
        if conn.info.transaction_status != pq.TransactionStatus.IDLE:
            return False
        poller = select.poll()
        try:
            poller.register(conn.fileno(), select.POLLIN | select.POLLPRI)
        except (OSError, ValueError):
            return False
        return not poller.poll(0)
