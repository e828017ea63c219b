"""Write the queued other-bank transfers as a 全銀協 総合振込 file and mark them sent (SPEC §5).

Run once or more a day (cron). Each transfer is written once: the rows are
locked and marked in the same transaction that builds the file, and the file
is written (to a temporary name, then renamed) before that transaction commits.
"""

import os
from datetime import datetime, time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.models import Account
from auditlog import audit
from ibank import clock
from payments.models import Transfer
from zengin import records as zengin


class Command(BaseCommand):
    help = "Export the day's queued other-bank transfers as a Zengin 総合振込 file and mark them sent."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="JST day (YYYY-MM-DD) whose transfers to export; default today")
        parser.add_argument("--output", help="file to write; default var/zengin/sogo_<date>_<time>.txt")

    def handle(self, *args, date=None, output=None, **options):
        now = clock.now()
        day = datetime.strptime(date, "%Y-%m-%d").date() if date else timezone.localdate(now)
        until = timezone.make_aware(datetime.combine(day, time.max))
        clearing = Account.objects.internal(Account.Purpose.CLEARING_OUT)
        head_branch = settings.IBANK_BRANCHES[0]
        path = Path(output) if output else settings.BASE_DIR / "var" / "zengin" / f"sogo_{day:%Y%m%d}_{now:%H%M%S}.txt"
        with transaction.atomic():
            queued = list(
                Transfer.objects.select_for_update()
                .filter(status=Transfer.Status.ACCEPTED, exported_at__isnull=True, executed_at__lte=until)
                .order_by("executed_at", "pk")
            )
            if not queued:
                self.stdout.write(f"no queued other-bank transfers for {day}")
                return
            header = zengin.Header(
                requester_code=settings.IBANK_ZENGIN_REQUESTER_CODE,
                requester_name=settings.IBANK_BANK_KANA,
                transfer_date=day,
                bank_code=settings.IBANK_BANK_CODE,
                bank_name=settings.IBANK_BANK_KANA,
                branch_code=head_branch[0],
                branch_name=head_branch[2],
                account_kind=clearing.kind,
                account_number=clearing.number,
            )
            data = [
                zengin.Data(
                    bank_code=t.bank_code,
                    bank_name=t.bank_kana,
                    branch_code=t.branch_code,
                    branch_name=t.branch_kana,
                    account_kind=t.payee_kind,
                    account_number=t.payee_number,
                    payee_name=t.payee_name,
                    amount=t.amount,
                    customer_code=f"{t.pk:010d}",
                )
                for t in queued
            ]
            try:
                content = zengin.write(header, data)
            except zengin.RecordError as error:
                raise CommandError(f"cannot write the Zengin file: {error}") from None
            Transfer.objects.filter(pk__in=[t.pk for t in queued]).update(exported_at=now)
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(path.suffix + ".part")
            partial.write_bytes(content)
            os.replace(partial, path)
            audit.record(
                None,
                "zengin.export",
                ok=True,
                as_name="system:export_zengin",
                file=path.name,
                count=len(data),
                total=sum(d.amount for d in data),
            )
        self.stdout.write(f"{path}: {len(data)} transfers, {sum(d.amount for d in data):,} yen")
