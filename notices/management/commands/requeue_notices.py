"""Give due notices, and those of a worker that died while sending, back to the workers (every minute, and at
each worker's start: see the Procfile). Safe to run twice: a notice is claimed before it is sent."""

from django.core.management.base import BaseCommand

from notices import delivery


class Command(BaseCommand):
    help = "Enqueue the delivery of every notice that is due (including those a killed worker left)."

    def handle(self, *args, **options):
        count = delivery.requeue()
        self.stdout.write(f"{count} notices enqueued")
