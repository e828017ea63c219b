"""Checks that rooms above the books add to ``manage.py check_ledger`` (e.g. payments: nothing executed
without its entry). This layer's hook: the books import nothing above them."""

from collections.abc import Callable

_checks: list[Callable[[], list[str]]] = []


def register(check: Callable[[], list[str]]) -> None:
    """``check()`` returns the problems it finds, one sentence each (empty when all is well)."""
    if check not in _checks:
        _checks.append(check)


def registered() -> list[Callable[[], list[str]]]:
    return list(_checks)
