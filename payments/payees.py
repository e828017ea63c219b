"""振込先登録 (registered payees): saved from an executed transfer, removed by the customer."""

from django.db import transaction

from accounts.models import Contract
from auditlog import audit
from ibank.compiled import CompiledQuery

from .models import Payee, Transfer
from .services import TransferError

#: the contract's registered payee of a transfer's account, compiled once (結果 asks it on every view)
_REGISTERED = CompiledQuery(
    lambda contract_pk, bank_code, branch_code, kind, number: Payee.objects.filter(
        contract_id=contract_pk, bank_code=bank_code, branch_code=branch_code, kind=kind, number=number
    ).only("pk")[:1],
    *(-7_000_000_001, "probe-bank", "probe-branch", 32_001, "probe-number"),  # a kind: a small integer
)


def registered(contract: Contract, transfer: Transfer) -> Payee | None:
    """The contract's registered payee with ``transfer``'s account, or None (結果 offers to register it)."""
    return _REGISTERED.first(
        contract.pk, transfer.bank_code, transfer.branch_code, transfer.payee_kind, transfer.payee_number
    )


def payee_save(*, actor, contract: Contract, transfer: Transfer) -> tuple[Payee, bool]:
    """Save the payee of an executed transfer, with its audit entry (one commit). Returns (payee, saved): saved
    is also True when this transfer's 登録 saved it before (the second request of a double click, a reload), so
    that it is answered as the first was; False when the payee was registered otherwise."""
    if not transfer.is_executed:
        raise TransferError
    key = {
        "contract": contract,
        "bank_code": transfer.bank_code,
        "branch_code": transfer.branch_code,
        "kind": transfer.payee_kind,
        "number": transfer.payee_number,
    }
    with transaction.atomic():
        # Saved twice at once: get_or_create's INSERT loses to the unique key and reads the winner's row.
        payee, created = Payee.objects.get_or_create(
            **key,
            defaults={
                "bank_name": transfer.bank_name,
                "branch_name": transfer.branch_name,
                "name": transfer.payee_name,
            },
        )
        if created:
            audit.record(actor, "payee.add", ok=True, contract=contract, payee=payee.pk, reference=transfer.reference)
    return payee, created or audit.recorded(
        "payee.add", contract=contract, payee=payee.pk, reference=transfer.reference
    )


def payee_delete(*, actor, contract: Contract, payee: Payee) -> None:
    """Delete the contract's payee (audited once: a twin request that finds it gone writes nothing)."""
    if Payee.objects.filter(pk=payee.pk, contract=contract).delete()[0]:
        audit.record(actor, "payee.delete", ok=True, contract=contract, payee=payee.pk)


def payee_deleted(contract: Contract, pk: int) -> bool:
    """Whether ``contract`` deleted its payee ``pk`` (what a double click's second request finds gone)."""
    return audit.recorded("payee.delete", contract=contract, payee=pk)
