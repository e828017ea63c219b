"""The token's rule in the gate: a token reported lost (紛失届) or locked by wrong codes cannot be used.

The gate applies it to every action that checks the current token's code; the verifier asks the same
function, so that the rule is written once.
"""

from accounts import gate
from accounts.models import Contract, Lock

from .messages import OTP_LOCKED, OTP_LOST

#: a 紛失届 stops the token first; then the OTP lock (too many wrong codes)
LOCK_KINDS = (Lock.Kind.LOST, Lock.Kind.OTP)
LOCKED_MESSAGES = {Lock.Kind.LOST: OTP_LOST, Lock.Kind.OTP: OTP_LOCKED}
#: Actions that check the code of the contract's current token.
TOKEN_ACTIONS = frozenset({gate.Action.LOGIN_OTP, gate.Action.TOKEN_EXCHANGE, gate.Action.TOKEN_STOP})


def token_refusal(contract: Contract, open_locks: dict) -> gate.Refused | None:
    """Why the contract's current token cannot be used now, or None."""
    for kind in LOCK_KINDS:
        if kind in open_locks:
            return gate.Refused(kind, LOCKED_MESSAGES[kind])
    return None


def token_rule(contract, action, door, open_locks):
    if action in TOKEN_ACTIONS:
        return token_refusal(contract, open_locks)
    if action is gate.Action.RESERVED_TRANSFER and Lock.Kind.LOST in open_locks:
        # A 紛失届 stops transactions at once (SPEC §7): a 振込予約 made with the lost phone does not run on its
        # day (it ends 不成立, told by e-mail), whoever made it.
        return gate.Refused(Lock.Kind.LOST, OTP_LOST)
    return None
