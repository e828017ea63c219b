"""Templates that look up what their object does not have.

Django renders a failed lookup as nothing, silently: ``{% if not binding.software_token.policy.is_usable %}``
went on rendering after ``policy`` was removed, and told every token holder that their token had expired.
Django logs each failed lookup (logger ``django.template``, DEBUG); :func:`missing_attributes` collects
those made on an object (a model, a form, None), not a name absent from the context, which templates use
on purpose (``{% if steps %}``). Every test runs under it (tests/conftest.py).

It reads those records as the logger's filter and goes no further with them. Passed on, pytest's log capture
and the console handler (whose stderr pytest captures too) kept each one written out with the whole context,
the request and its query string among it: megabytes a request on a page that misses a few names on purpose,
and a fuzz run of 150 hostile queries a list filled 16 GB of memory (the worker was killed).
"""

import contextlib
import logging

from django.template.base import VariableDoesNotExist
from django.template.context import BaseContext

_active: list["_Collector"] = []  # nested: only the innermost collects


class _Collector(logging.Filter):
    """Collects the failed lookups on objects; lets no failed lookup through to a handler."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def filter(self, record) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if not isinstance(error, VariableDoesNotExist) or _active[-1] is not self:
            return True  # not a failed lookup, or for the innermost collector (a filter added after this one)
        if len(error.params) != 2:
            return False
        name, owner = error.params
        if isinstance(owner, BaseContext | dict):  # a name the context does not hold: on purpose
            return False
        template = record.args[1] if isinstance(record.args, tuple) and len(record.args) > 1 else "?"
        self.found.append(f"{name!r} of {type(owner).__name__} in {template}")
        return False


@contextlib.contextmanager
def missing_attributes():
    """Yields the list of failed lookups on objects made while inside."""
    logger = logging.getLogger("django.template")
    collector, level = _Collector(), logger.level
    logger.addFilter(collector)
    logger.setLevel(logging.DEBUG)
    _active.append(collector)
    try:
        yield collector.found
    finally:
        _active.remove(collector)
        logger.removeFilter(collector)
        logger.setLevel(level)
