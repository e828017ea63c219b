"""Delete issued tokens that were never registered and are past their registration deadline.

Issuance is open to anyone (rate-limited per address), so unregistered tokens
accumulate; once expired they can never be registered (SoftwareToken.is_registrable)
and nothing refers to them. Run daily, e.g. from cron:

    manage.py purge_expired_tokens
"""

from django.core.management.base import BaseCommand

from auditlog import audit
from ibank import clock
from otp.models import SoftwareToken


class Command(BaseCommand):
    help = "Delete expired, never-registered software tokens."

    def handle(self, *args, **options):
        expired = SoftwareToken.objects.filter(
            status=SoftwareToken.Status.ISSUED, expires_at__lt=clock.now(), binding__isnull=True
        )
        count, _ = expired.delete()
        if count:
            audit.record(None, "token.purge", ok=True, as_name="system", count=count)
        self.stdout.write(f"{count} expired unregistered token(s) deleted")
