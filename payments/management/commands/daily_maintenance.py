"""The daily job: everything that expires and must be cleaned away. Run once a day from cron:

    15 3 * * *  cd /srv/ibank && .venv/bin/python manage.py daily_maintenance

* expired sessions (``clearsessions``: with database sessions they would pile up
  for ever; with sessions in Redis it is a no-op, Redis expires them itself);
* issued tokens never registered and past their deadline (``purge_expired_tokens``);
* passkey challenges older than a day (``purge_passkey_challenges``);
* transfers and Pay-easy payments entered but never confirmed or executed,
  older than a day, are cancelled (nothing moved; they stay as records);
* a limit raise whose day has come becomes the contract's own limit;
* the daily usage counters of days before yesterday (only a day's own is read);
* the rows of notice tasks finished more than IBANK_TASK_RESULT_DAYS ago (the
  notices themselves stay, with their delivery state);
* known environments no cookie can name any more (unseen for longer than the
  cookie lives).

Pending login and flow steps live in the session and expire with it. The
Zengin export (``export_zengin``) and the ledger check (``check_ledger``) are
jobs of their own.
"""

from datetime import timedelta

from django.core.management import call_command
from django.core.management.base import BaseCommand

from auditlog import audit
from ibank import clock
from payments.models import Payment, Transfer


class Command(BaseCommand):
    help = (
        "Daily clean-up: expired sessions, unregistered tokens and passkey challenges, abandoned drafts, past usage, "
        "finished tasks."
    )

    def handle(self, *args, **options):
        call_command("clearsessions")
        call_command("purge_expired_tokens", stdout=self.stdout)
        call_command("purge_passkey_challenges", stdout=self.stdout)
        for model, action, what in (
            (Transfer, "transfer.expire", "transfer"),
            (Payment, "payeasy.expire", "Pay-easy payment"),
        ):
            stale = model.objects.filter(
                status__in=[model.Status.DRAFT, model.Status.CONFIRMED],
                created_at__lt=clock.now() - timedelta(days=1),
            )
            count = stale.update(status=model.Status.CANCELLED)
            if count:
                audit.record(None, action, ok=True, as_name="system:daily_maintenance", count=count)
            self.stdout.write(f"{count} abandoned {what}(s) cancelled")
        # A limit raise that is in force becomes the contract's own limit (until then it is pending).
        from accounts import limits

        folded = limits.fold_in_force()
        self.stdout.write(f"{folded} limit change(s) now in force")
        self.stdout.write(f"{limits.forget_past_usage()} usage row(s) of past days deleted")
        from notices.delivery import forget_finished_tasks

        self.stdout.write(f"{forget_finished_tasks()} finished task result(s) deleted")
        from accounts.environments import forget_unrecognisable

        self.stdout.write(f"{forget_unrecognisable()} environment(s) no cookie can name deleted")
