"""/healthz/notices/: for the monitoring, not the load balancer — are the workers taking the notices.

A notice due for longer than IBANK_NOTICE_LATE_SECONDS and not taken (送信待ち past its time, or 送信中 past
a dead worker's lease) means no worker runs, or none keeps up: the customers are not being told of their
logins and transactions, and nothing else would say so (a relay that refuses ends in 送信失敗, listed for
the branch; a stopped worker leaves every notice 送信待ち). 200 "ok", or 503 with how many are late (counted
up to a cap) and how long the oldest has waited. Apart from /healthz/: a web server is not taken out of
service for it. Two reads on the notices' due index (two more when late), nothing written, no session read,
never cached.
"""

from datetime import timedelta

from django.conf import settings
from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from ibank import clock

from .models import Notice

#: late notices counted at most (a backlog of millions is counted no further)
COUNT_CAP = 10_000


@never_cache
@require_safe
def notices_health_view(request):
    now = clock.now()
    before = now - timedelta(seconds=settings.IBANK_NOTICE_LATE_SECONDS)
    late = (
        Notice.objects.filter(status=Notice.Status.PENDING, next_attempt_at__lte=before),
        Notice.objects.filter(status=Notice.Status.SENDING, lease_until__lte=before),
    )
    due = [at for kind in late if (at := kind.order_by("next_attempt_at").values_list("next_attempt_at").first())]
    if not due:
        return HttpResponse("ok\n", content_type="text/plain")
    count = sum(kind.order_by()[: COUNT_CAP + 1].count() for kind in late)
    said = f"{COUNT_CAP}+" if count > COUNT_CAP else str(count)
    waited = int((now - min(due)[0]).total_seconds())
    return HttpResponse(f"late: {said} notices, the oldest due {waited} s ago\n", status=503, content_type="text/plain")
