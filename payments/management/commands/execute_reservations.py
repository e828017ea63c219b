"""Execute the 振込予約 whose 振込指定日 has come and that are still reserved.

The worker does this on its own (each reservation's task runs at 0:00 JST of its day); this command is the
safety net the worker's start runs (Procfile) and cron may run: after the worker or its task rows were lost,
it executes what is due. Each reservation executes once, whoever runs it (a conditional UPDATE).
"""

from django.core.management.base import BaseCommand

from payments import reservations


class Command(BaseCommand):
    help = "Execute the due 振込予約 that are still reserved (once each)."

    def handle(self, *args, **options):
        outcomes = [reservations.execute(pk) for pk in reservations.due()]
        self.stdout.write(
            f"{len(outcomes)} due reservation(s): " + ", ".join(sorted(set(outcomes)))
            if outcomes
            else "no due reservations"
        )
