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

A successful verification costs one UPDATE and one audit INSERT: two round trips.
"""

import enum
import re
from dataclasses import dataclass

from accounts import audit
from ibank import clock
from ibank.counters import count_failure
from ibank.text import half_width_digits

from . import totp
from .conf import otp_settings
from .models import TokenBinding

_CODE = re.compile(r"[0-9]{6}")


class Outcome(enum.StrEnum):
    OK = "ok"
    WRONG = "wrong"
    REUSED = "reused"
    LOCKED = "locked"
    TOKEN_EXPIRED = "token_expired"  # noqa: S105 (an outcome, not a password)


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    #: True when this attempt's failure locked the binding.
    now_locked: bool = False

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.OK


def verify(
    binding: TokenBinding, code: str, *, request=None, action: str = "otp.verify", allow_expired_type: bool = False
) -> Result:
    """Verify ``code`` for ``binding`` and consume it on success.

    :param binding: the contract's token binding; load it with
        ``select_related("contract", "token__token_type")`` to save queries.
    :param code: what the customer typed (full-width digits are accepted).
    :param request: the request, for the audit entry's address and user agent.
    :param action: the audit entry's action, naming the flow (``login.otp``…).
    :param allow_expired_type: accept a token whose type is past its end of
        use (only the exchange flow moves a customer off such a token).
    :returns: a :class:`Result`; ``result.ok`` tells whether the code was accepted.
    """
    if binding.is_locked:
        return _finish(request, action, binding, Outcome.LOCKED)
    token = binding.token
    if not allow_expired_type and not token.token_type.is_usable():
        return _finish(request, action, binding, Outcome.TOKEN_EXPIRED)

    code = half_width_digits(code)
    t = clock.epoch()
    step = totp.match(token.key(), code, t, otp_settings.IBANK_OTP_WINDOW) if _CODE.fullmatch(code) else None
    if step is not None:
        now = clock.now()
        drift = step - totp.time_step(t)
        accepted = TokenBinding.objects.filter(pk=binding.pk, last_step__lt=step, locked_at__isnull=True).update(
            last_step=step, drift=drift, failures=0, last_used_at=now
        )
        if accepted:
            binding.last_step, binding.drift, binding.failures, binding.last_used_at = step, drift, 0, now
            return _finish(request, action, binding, Outcome.OK, step=step, drift=drift)
        # A valid code of a step already used (or the binding was locked meanwhile).
        # Not counted toward the lock: it is no guess and can never succeed, and a
        # double-submitted form must not lock the customer out.
        binding.refresh_from_db(fields=["failures", "locked_at"])
        return _finish(request, action, binding, Outcome.LOCKED if binding.is_locked else Outcome.REUSED)

    now_locked = count_failure(
        TokenBinding,
        binding.pk,
        count_field="failures",
        locked_field="locked_at",
        limit=otp_settings.IBANK_OTP_MAX_FAILURES,
    )
    binding.refresh_from_db(fields=["failures", "locked_at"])
    _finish(request, action, binding, Outcome.WRONG, failures=binding.failures)
    if now_locked:
        audit.record(request, "otp.lock", ok=True, contract=binding.contract, reason="too_many_failures")
    return Result(Outcome.WRONG, now_locked=now_locked)


def _finish(request, action, binding, outcome: Outcome, **detail) -> Result:
    audit.record(
        request,
        action,
        ok=outcome is Outcome.OK,
        contract=binding.contract,
        reason="" if outcome is Outcome.OK else outcome.value,
        token_id=binding.token.token_id,
        **detail,
    )
    return Result(outcome)
