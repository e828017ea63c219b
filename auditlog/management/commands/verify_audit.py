"""Check every seal of the audit log; report the first broken one (exit 1) and how many entries are unsealed."""

from django.core.management.base import BaseCommand, CommandError

from auditlog import sealing


class Command(BaseCommand):
    help = "Verify the audit log's seals: entries unchanged, none removed or added inside a sealed range."

    def handle(self, *args, **options):
        report = sealing.verify()
        if report.broken is not None:
            seal = report.broken
            raise CommandError(
                f"seal of entries {seal.first_id}-{seal.last_id} is broken: {report.problem}"
                f" ({report.seals} seal(s) before it are intact; {report.unsealed} entries after them)"
            )
        self.stdout.write(f"audit log intact: {report.seals} seal(s); {report.unsealed} entries not yet sealed")
