"""The one verifier of one-time passwords (SPEC §3). Every flow goes through :func:`verify`.

Rules:

* the code of the current time step or ±``IBANK_OTP_WINDOW`` steps is accepted;
* **each code once**: a step at or before the binding's last accepted step is
  refused. The check and the write are one conditional UPDATE
  (``last_step < step``), so two requests carrying the same code, from any
  process or server, cannot both succeed;
* the drift (matched step minus current step) is recorded;
* ``IBANK_OTP_MAX_FAILURES`` consecutive wrong codes lock the binding until
  the branch unlocks it; a success resets the count (a reused code is refused
  and audited but not counted: it is no guess);
* comparison in constant time; full-width digits accepted;
* every attempt is written to the audit log with its outcome.

A successful verification is one statement on PostgreSQL: the conditional
UPDATE and its audit INSERT in one CTE, so one round trip and one commit (see
bench/otp_verify.py and docs/performance.md). Elsewhere it is the same two
writes in one transaction.
"""

import enum
import json
import re
from dataclasses import dataclass

from django.db import connection, transaction

from accounts import locks
from accounts.models import Lock
from auditlog import audit
from auditlog.models import AuditEntry
from ibank import clock, compiled
from ibank.text import half_width_digits
from notices.outbox import notify

from . import totp
from .conf import otp_settings
from .models import TokenBinding
from .rules import token_refusal

_CODE = re.compile(r"[0-9]{6}")


class Outcome(enum.StrEnum):
    OK = "ok"
    WRONG = "wrong"
    REUSED = "reused"
    LOCKED = "locked"
    TOKEN_EXPIRED = "token_expired"  # noqa: S105 (an outcome, not a password)
    #: the binding was removed (stopped, exchanged, reset) while this code was being checked
    GONE = "gone"
    #: a 紛失届 (lost device) is on file: the token may not be used until the branch resets it
    LOST = "lost"


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    #: True when this attempt's failure locked the binding.
    now_locked: bool = False
    #: After a wrong code: how many more wrong codes the binding takes before it locks.
    left: int | None = None

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.OK


_FOR_VERIFY = compiled.CompiledQuery(lambda pk: TokenBinding.objects.for_verify().filter(pk=pk), -7_000_000_001)


def load(pk: int) -> TokenBinding:
    """``TokenBinding.objects.for_verify().get(pk=pk)``, compiled once per process (ibank.compiled)."""
    binding = _FOR_VERIFY.first(pk)
    if binding is None:
        raise TokenBinding.DoesNotExist(f"no token binding {pk}")
    return binding


def verify(
    binding: TokenBinding,
    code: str,
    *,
    actor=None,
    action: str = "otp.verify",
    allow_expired_type: bool = False,
    **detail,
) -> Result:
    """Verify ``code`` for ``binding`` and consume it on success.

    :param binding: the contract's token binding, loaded with
        ``TokenBinding.objects.for_verify()`` (one query for all it reads; :func:`load` by its id).
    :param code: what the customer typed (full-width digits are accepted).
    :param actor: who acts (``request.actor``), for the audit entry's name, address and user agent.
    :param action: the audit entry's action, naming the flow (``login.otp``…).
    :param allow_expired_type: accept a token whose type is past its end of
        use (only the exchange flow moves a customer off such a token).
    :param detail: more for every audit entry of this attempt (e.g. the
        digest of the transaction being authorized); never a secret.
    :returns: a :class:`Result`; ``result.ok`` tells whether the code was accepted.
    """
    # The locks (OTP lock, 紛失届) are not read first: the accepting and the counting statements each carry
    # them as a condition, so a code is never accepted, nor a guess counted, while one is in force.
    token = binding.software_token
    if not allow_expired_type and not token.token_type.is_usable():
        return _finish(actor, action, binding, Outcome.TOKEN_EXPIRED, **detail)

    code = half_width_digits(code)
    t = clock.epoch()
    step = totp.match(token.key(), code, t, otp_settings.IBANK_OTP_WINDOW) if _CODE.fullmatch(code) else None
    if step is not None:
        now = clock.now()
        drift = step - totp.time_step(t)
        ok_entry = audit.entry(
            actor,
            action,
            ok=True,
            contract=binding.contract,
            token_id=token.token_id,
            step=step,
            drift=drift,
            **detail,
        )
        if _accept(binding, step=step, drift=drift, now=now, audit_entry=ok_entry):
            binding.last_step, binding.drift, binding.failures, binding.last_used_at = step, drift, 0, now
            return Result(Outcome.OK)
        # A valid code of a step already used (or the token was locked meanwhile).
        # Not counted toward the lock: it is no guess and can never succeed, and a
        # double-submitted form must not lock the customer out.
        return _finish(actor, action, binding, _why_not(binding) or Outcome.REUSED, **detail)

    return _wrong(actor, action, binding, **detail)


def _wrong(actor, action: str, binding: TokenBinding, **detail) -> Result:
    """Count a wrong code toward the OTP lock, in one statement with the lock it may set."""
    limit = otp_settings.IBANK_OTP_MAX_FAILURES
    counted = locks.count_failure(
        model=TokenBinding,
        pk=binding.pk,
        field="failures",
        contract_id=binding.contract_id,
        kind=Lock.Kind.OTP,
        guard_kinds=(Lock.Kind.LOST,),
        limit=limit,
        by=audit.actor_name(actor, binding.contract),
        on_locked=lambda: _locked(actor, binding),
    )
    if not counted.counted:  # locked by a guess that raced this one, or the token is gone: this one is void
        return _finish(actor, action, binding, _why_not(binding) or Outcome.LOCKED, **detail)
    binding.failures = counted.failures
    _finish(actor, action, binding, Outcome.WRONG, failures=counted.failures, **detail)
    return Result(Outcome.WRONG, now_locked=counted.newly_locked, left=max(0, limit - counted.failures))


def _locked(actor, binding: TokenBinding) -> None:
    """The OTP was just locked: audited and told, in the transaction that set the lock."""
    audit.record(actor, "otp.lock", ok=True, contract=binding.contract, reason="too_many_failures")
    notify(binding.contract, "otp_locked")


_REFUSALS = {Lock.Kind.LOST: Outcome.LOST, Lock.Kind.OTP: Outcome.LOCKED}


def _refusal(binding: TokenBinding) -> Outcome | None:
    """The token may not be used now (the rule the gate applies to every token action)."""
    refused = token_refusal(binding.contract, locks.open_locks(binding.contract))
    return _REFUSALS[refused.kind] if refused is not None else None


def _why_not(binding: TokenBinding) -> Outcome | None:
    """After a write that changed nothing: the binding is gone, or a lock is now in force (re-read)."""
    if not TokenBinding.objects.filter(pk=binding.pk).exists():
        return Outcome.GONE
    locks.forget(binding.contract)
    return _refusal(binding)


def _finish(actor, action, binding, outcome: Outcome, **detail) -> Result:
    audit.record(
        actor,
        action,
        ok=outcome is Outcome.OK,
        contract=binding.contract,
        reason="" if outcome is Outcome.OK else outcome.value,
        token_id=binding.software_token.token_id,
        **detail,
    )
    return Result(outcome)


def _accept(binding: TokenBinding, *, step: int, drift: int, now, audit_entry: AuditEntry) -> bool:
    """Consume ``step`` if it is later than the last accepted one, and write the audit entry with it.

    The condition ``last_step < step`` and the write are one UPDATE: of any
    number of concurrent calls with the same step, exactly one changes the row.
    """
    if connection.vendor == "postgresql":
        return _accept_postgresql(binding, step=step, drift=drift, now=now, audit_entry=audit_entry)
    table = connection.ops.quote_name(TokenBinding._meta.db_table)
    sql = (
        f"UPDATE {table} SET last_step = %s, drift = %s, failures = 0, last_used_at = %s"  # noqa: S608
        f" WHERE id = %s AND last_step < %s AND failures < %s AND {locks.not_locked_sql(_GUARD)}"
    )
    limit = otp_settings.IBANK_OTP_MAX_FAILURES
    params = [step, drift, connection.ops.adapt_datetimefield_value(now), binding.pk, step, limit]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [*params, *locks.not_locked_params(binding.contract_id, _GUARD, now)])
        accepted = cursor.rowcount
        if accepted:
            compiled.insert(audit_entry)
    return accepted == 1


_GUARD = (Lock.Kind.OTP, Lock.Kind.LOST)


def _accept_postgresql(binding: TokenBinding, *, step: int, drift: int, now, audit_entry: AuditEntry) -> bool:
    # One statement: one round trip and one commit instead of two of each.
    table = connection.ops.quote_name(TokenBinding._meta.db_table)
    sql = (
        f"WITH accepted AS ("  # noqa: S608 (identifiers from model metadata; every value is a parameter)
        f" UPDATE {table} SET last_step = %s, drift = %s, failures = 0, last_used_at = %s"
        f" WHERE id = %s AND last_step < %s AND failures < %s AND {locks.not_locked_sql(_GUARD)} RETURNING id)"
        f" {audit.insert_sql('accepted')} RETURNING id"
    )
    with connection.cursor() as cursor:
        guard = locks.not_locked_params(binding.contract_id, _GUARD, now)
        limit = otp_settings.IBANK_OTP_MAX_FAILURES
        params = [step, drift, now, binding.pk, step, limit, *guard, json.dumps(audit.as_row(audit_entry))]
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return row is not None
