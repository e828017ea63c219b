"""Delete passkey challenges older than a day.

Every 認証 page shown to a passkey holder, and every passkey login page, makes one (passkeys.ceremony); each
may be answered within 5 minutes and once. After that a row only refuses, as a missing one does: what was
authorized, and how, is in the audit log. Run daily (``daily_maintenance`` calls it):

    manage.py purge_passkey_challenges
"""

from datetime import timedelta

from django.core.management.base import BaseCommand

from ibank import clock
from passkeys.models import TransactionChallenge

KEPT = timedelta(days=1)


class Command(BaseCommand):
    help = "Delete passkey challenges older than a day (each was usable for 5 minutes)."

    def handle(self, *args, **options):
        count, _ = TransactionChallenge.objects.filter(created_at__lt=clock.now() - KEPT).delete()
        self.stdout.write(f"{count} old passkey challenge(s) deleted")
