"""Seal the audit entries older than a safety margin (run every minute; make run runs it at start), and print
the chain's head (``ID:SHA256``) for the scheduler's log: kept outside the database, it is what
``verify_audit --anchor`` checks a rewritten chain against."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from auditlog import sealing


class Command(BaseCommand):
    help = "Chain the unsealed audit entries into SHA-256 seals, batch by batch."

    def add_arguments(self, parser):
        parser.add_argument("--margin", type=int, default=int(sealing.MARGIN.total_seconds()), help="seconds")

    def handle(self, *args, margin, **options):
        if margin < 0:  # a horizon in the future would seal entries whose transactions may still be writing
            raise CommandError("--margin: seconds, 0 or more")
        seals = sealing.seal(margin=timedelta(seconds=margin))
        self.stdout.write(f"{len(seals)} seal(s), {sum(s.count for s in seals)} entries sealed")
        if (last := sealing.head()) is not None:
            self.stdout.write(f"head {last.last_id}:{last.sha256}")
