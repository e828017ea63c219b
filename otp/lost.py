"""The token's side of the branch's operations (SPEC §7): the 紛失届 that stops it and the approved
トークンIDのリセット that unbinds it. Each is serialised with the customer's token flows by the contract's row
lock (accounts: Contract.lock_row)."""

from django.db import transaction

from accounts import holds, locks
from accounts.models import Contract, Lock
from auditlog import audit
from notices.outbox import mask_token_id, notify

from .models import TokenBinding
from .services import TokenChanged, unbind


class NothingToReset(Exception):
    """No token and no 紛失届: a reset would change nothing."""


class AlreadyReportedLost(Exception):
    """The contract's token is already stopped by a 紛失届."""


@transaction.atomic
def token_report_lost(*, actor, contract: Contract, reason: str, reference: str) -> bool:
    """紛失届 of the contract's token: stopped for login and transactions until a reset is approved. False when
    no token is registered: nothing to stop, and no lock that a token registered later would be born under.
    Raises AlreadyReportedLost when a 紛失届 is in force. Serialised with the token flows (a registration
    cannot slip between the look and the lock)."""
    contract.lock_row()
    if not TokenBinding.objects.filter(contract=contract).exists():
        return False
    if not locks.set_lock(contract, Lock.Kind.LOST, reason=reason, reference=reference, by=audit.actor_name(actor)):
        raise AlreadyReportedLost
    return True


@transaction.atomic
def token_reset(*, actor, contract: Contract, reason: str, reference: str, token_pk: int | None = None) -> str | None:
    """トークンIDのリセット (approved by the branch): the same unbinding as the customer's stop, with the reason.

    The token is retired for good; a 紛失届 is lifted with it; the customer may
    register a new token from the login page. Returns the old token ID, if any.
    Raises NothingToReset when there is neither a token nor a 紛失届 (the customer stopped the token since
    the request), TokenChanged when the token bound is not ``token_pk`` (the one the request was about: the
    customer exchanged it since); in both cases nothing is done, no notice, no hold.
    """
    contract.lock_row()
    binding = TokenBinding.objects.select_for_update().filter(contract=contract).first()
    if binding is not None and token_pk is not None and binding.software_token_id != token_pk:
        raise TokenChanged
    lifted = locks.lift(contract, Lock.Kind.LOST, by=audit.actor_name(actor, contract), reason=reason)
    if binding is None and not lifted:
        raise NothingToReset
    token_id = unbind(binding) if binding is not None else None
    audit.record(
        actor, "token.reset", ok=True, contract=contract, token_id=token_id, staff_reason=reason, reference=reference
    )
    hold = holds.after_change(contract, reason="token_reset", actor=actor)
    notify(contract, "token_reset", token_id=mask_token_id(token_id or ""), hold=hold)
    return token_id
