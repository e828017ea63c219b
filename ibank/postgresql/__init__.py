"""The project's PostgreSQL backend (base.py).

A web process calls ``serve_requests()`` as it starts (ibank/wsgi.py): its connections then carry the request
timeouts of the settings (``DATABASES["default"]["REQUEST_TIMEOUTS_MS"]``). Migrations, the jobs and the task
worker connect without them: they may rightly run a long statement (an index built CONCURRENTLY, the ledger's
check) or wait for a row a request holds.
"""

_serving_requests = False


def serve_requests() -> None:
    global _serving_requests
    _serving_requests = True


def serving_requests() -> bool:
    return _serving_requests
