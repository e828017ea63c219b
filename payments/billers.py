"""The biller registry (収納機関 and their bills) that staff keep in the admin: every change audited."""

from django.db import transaction

from auditlog import audit

from .models import Bill, Biller


@transaction.atomic
def biller_save(*, actor, biller: Biller, changed: list[str]) -> None:
    biller.save()
    audit.record(actor, "biller.change", ok=True, biller=biller.number, changed=sorted(changed))


@transaction.atomic
def bill_save(*, actor, bill: Bill) -> None:
    bill.save()
    audit.record(actor, "biller.change", ok=True, biller=bill.biller.number, bill=bill.pk)
