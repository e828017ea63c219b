"""Check every seal of the audit log; report the first broken one (exit 1) and how many entries are unsealed.
With ``--anchor ID:SHA256`` (from seal_audit's log, kept outside the database), the seal ending at entry ID
must hold that hash: a chain rewritten from an edit onwards does not."""

import re

from django.core.management.base import BaseCommand, CommandError

from auditlog import sealing


def anchor(value: str) -> tuple[int, str]:
    found = re.fullmatch(r"\s*([0-9]+):([0-9a-fA-F]{64})\s*", value)
    if found is None:
        raise ValueError(value)
    return int(found[1]), found[2]


anchor.__name__ = "ID:SHA256"  # argparse names the expected form in its error


class Command(BaseCommand):
    help = "Verify the audit log's seals: entries unchanged, none removed or added inside a sealed range."

    def add_arguments(self, parser):
        parser.add_argument(
            "--anchor",
            type=anchor,
            action="append",
            default=[],
            help="ID:SHA256, a head seal_audit printed (repeatable): the seal ending at entry ID has this hash",
        )

    def handle(self, *args, anchor, **options):
        report = sealing.verify(dict(anchor))
        if report.broken is not None:
            seal = report.broken
            raise CommandError(
                f"seal of entries {seal.first_id}-{seal.last_id} is broken: {report.problem}"
                f" ({report.seals} seal(s) before it are intact; {report.unsealed} entries after them)"
            )
        if report.problem:
            raise CommandError(f"the chain is intact but does not hold what was recorded: {report.problem}")
        self.stdout.write(f"audit log intact: {report.seals} seal(s); {report.unsealed} entries not yet sealed")
        if report.head is not None:
            self.stdout.write(f"head {report.head.last_id}:{report.head.sha256}")
