"""Firing requests at once from separate database connections (threads)."""

import threading

from django.db import connections


def run_concurrently(func, n: int) -> list:
    """Call ``func(i)`` in ``n`` threads released together; returns results (or exceptions) in order."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def worker(i):
        try:
            barrier.wait()
            results[i] = func(i)
        except Exception as exc:  # reported to the test, which asserts on it
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def posted_at_once(client, url: str, data: dict, n: int) -> list[int]:
    """``data`` posted to ``url`` ``n`` times at once, each from a client with ``client``'s cookies (the same
    session: a burst of clicks); the responses' status codes."""
    from django.test import Client

    def submit(_i):
        other = Client()
        other.cookies = client.cookies
        return other.post(url, data).status_code

    return run_concurrently(submit, n)
