"""Write the queued other-bank transfers as a 全銀協 総合振込 file and mark them sent (SPEC §5).

Run once or more a day (cron), after the cut-off (IBANK_OTHER_BANK_CUTOFF): the file of a day carries the
transfers whose 入金日 (``settles_on``, ibank.business_days) is that day or before, so a transfer entered
after the cut-off or on a closed day goes out on the next business day. Each transfer is written once: the rows are
locked and marked in the same transaction that writes the file under a temporary name (``….part``); the
file takes its own name only after that transaction commits, and the temporary one is removed when it does
not. A crash between the two leaves ``<the audited name>.part`` for an operator to rename and send.
"""

import os
from datetime import datetime
from itertools import groupby
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

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
        day = _day(date) if date else timezone.localdate(now)
        local = timezone.localtime(now)
        name = f"sogo_{day:%Y%m%d}_{local:%H%M%S}.txt"  # JST, like the day
        path = Path(output) if output else settings.BASE_DIR / "var" / "zengin" / name
        partial = path.with_suffix(path.suffix + ".part")
        try:
            with transaction.atomic():
                exported = _export(day, now, path, partial)
        except BaseException:
            partial.unlink(missing_ok=True)  # nothing is marked sent: no file may be sent either
            raise
        if exported is None:
            self.stdout.write(f"no queued other-bank transfers for {day}")
            return
        # Only now, with the transfers marked sent, does the file take the name it is sent under: a file
        # of transfers that the next run would export again never stands there.
        os.replace(partial, path)
        count, total = exported
        self.stdout.write(f"{path}: {count} transfers, {total:,} yen")


def _export(day, now, path: Path, partial: Path) -> tuple[int, int] | None:
    """In the caller's transaction: lock the queued transfers, write them to ``partial``, mark them sent and
    audit it; (count, total), or None when nothing is queued."""
    queued = list(
        Transfer.objects.select_for_update(of=("self",))
        .select_related("from_account", "contract")
        .filter(status=Transfer.Status.ACCEPTED, exported_at__isnull=True, settles_on__lte=day)
        .order_by("from_account_id", "executed_at", "pk")
    )
    if not queued:
        return None
    groups = [
        (_header(transfers[0], day), [_data(t) for t in transfers])
        for _account, transfers in groupby(queued, key=lambda t: t.from_account_id)
        for transfers in [list(transfers)]
    ]
    data = [d for _header_, group in groups for d in group]
    try:
        content = zengin.write_groups(groups)
    except zengin.RecordError as error:
        raise CommandError(f"cannot write the Zengin file: {error}") from None
    Transfer.objects.filter(pk__in=[t.pk for t in queued]).update(exported_at=now)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial.write_bytes(content)
    total = sum(d.amount for d in data)
    audit.record(
        None,
        "zengin.export",
        ok=True,
        as_name="system:export_zengin",
        file=path.name,
        count=len(data),
        total=total,
        remitters=len(groups),
    )
    return len(data), total


def _day(value: str):
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise CommandError(f"--date: not a day (YYYY-MM-DD): {value}") from None


_BRANCH_KANA = {code: kana for code, _name, kana in settings.IBANK_BRANCHES}


def _header(transfer: Transfer, day) -> zengin.Header:
    """The remitter's group: 依頼人 is the customer (契約者ID, the account's kana name), paying from their account."""
    account = transfer.from_account
    return zengin.Header(
        requester_code=transfer.contract.contract_id,
        requester_name=account.holder_kana,
        transfer_date=day,
        bank_code=settings.IBANK_BANK_CODE,
        bank_name=settings.IBANK_BANK_KANA,
        branch_code=account.branch_code,
        branch_name=_BRANCH_KANA.get(account.branch_code, ""),
        account_kind=account.kind,
        account_number=account.number,
    )


def _data(t: Transfer) -> zengin.Data:
    return zengin.Data(
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
