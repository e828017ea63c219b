"""振込先登録 (registered payees): saved from an executed transfer, removed by the customer."""

from django.db import IntegrityError, transaction

from accounts.models import Contract
from auditlog import audit

from .models import Payee, Transfer
from .services import TransferError


def payee_save(*, actor, contract: Contract, transfer: Transfer) -> tuple[Payee, bool]:
    """Save the payee of an executed transfer; returns (payee, created)."""
    if not transfer.is_executed:
        raise TransferError
    key = {
        "contract": contract,
        "bank_code": transfer.bank_code,
        "branch_code": transfer.branch_code,
        "kind": transfer.payee_kind,
        "number": transfer.payee_number,
    }
    try:
        with transaction.atomic():
            payee, created = Payee.objects.get_or_create(
                **key,
                defaults={
                    "bank_name": transfer.bank_name,
                    "branch_name": transfer.branch_name,
                    "name": transfer.payee_name,
                },
            )
    except IntegrityError:  # saved twice at once
        payee, created = Payee.objects.get(**key), False
    if created:
        audit.record(actor, "payee.add", ok=True, contract=contract, payee=payee.pk, reference=transfer.reference)
    return payee, created


def payee_delete(*, actor, contract: Contract, payee: Payee) -> None:
    Payee.objects.filter(pk=payee.pk, contract=contract).delete()
    audit.record(actor, "payee.delete", ok=True, contract=contract, payee=payee.pk)
