"""/healthz/: what a load balancer or a process manager asks of a web server — can it reach its database and
its shared cache. 200 "ok", or 503 naming what failed (and logged); nothing else is told, nothing written,
no session read, never cached."""

import logging

from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _cache() -> None:
    cache.get("ibank:health")  # a round trip to Redis (sessions and rate limits live there)


CHECKS = {"database": _database, "cache": _cache}


@never_cache
@require_safe
def health_view(request):
    failed = []
    for name, check in CHECKS.items():
        try:
            check()
        except Exception:  # whatever the driver raises: the server cannot serve
            logger.exception("health check: %s unreachable", name)
            failed.append(name)
    if failed:
        return HttpResponse(f"unavailable: {', '.join(failed)}\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")
