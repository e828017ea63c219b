"""The task worker as production and `make run` start it (Procfile): what is due is given back to the workers
(``requeue_notices``) and the due 振込予約 executed (``execute_reservations``), then django-tasks-db's worker
runs — and all of it starts again when the database goes away.

django-tasks-db's ``db_worker`` ends at the first database error that is not a lock: a restart, a failover, a
cut network. A process manager would start it again at once, and fail again while the database is still down;
systemd gives a unit up after five failures in ten seconds (StartLimitBurst), and ``make run``'s honcho stops
the web server with it. Either way the notices stop until someone notices. Here such an error is logged and
the whole start is tried again after a pause that grows from 1 to 30 seconds. SIGTERM or Ctrl-C end it as they
end ``db_worker`` (a task under way finishes first); any other error ends it as before.

Options are ``db_worker``'s. With ``--reload`` (its default under DEBUG, as in ``make run``) the catch-up runs in
the process that watches the code and again in the one it starts (both are safe to run twice), and a database
error inside the watched worker stops it until the code changes: the start again is production's (DEBUG off).
"""

import logging
import signal
import sys
import time

from django.core.management import call_command
from django.db import DatabaseError, connections
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

logger = logging.getLogger(__name__)

LONGEST_PAUSE = 30


class Command(DbWorkerCommand):
    help = "Requeue due notices, execute due 振込予約, then run the task worker; start again if the database goes."

    def handle(self, *args, **options):
        # Until db_worker sets its own: a stop asked for in a pause (or at the start) is a clean one.
        for stop in (signal.SIGINT, signal.SIGTERM):
            signal.signal(stop, lambda *_: sys.exit(0))
        pause = 1
        while True:
            try:
                call_command("requeue_notices")
                call_command("execute_reservations")
                pause = 1  # the database answered: an error from here on is a new outage
                return super().handle(*args, **options)  # returns at SIGTERM / Ctrl-C
            except DatabaseError as error:
                logger.warning("The database cannot be reached (%s); the worker starts again in %d s.", error, pause)
                connections.close_all()
                time.sleep(pause)
                pause = min(pause * 2, LONGEST_PAUSE)
