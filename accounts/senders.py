"""Failed logins counted per sender: a client address, or an IPv6 address's /64 (one subscriber's; a single
host may use any address in it).

Once IBANK_LOGIN_FAILURES_PER_ADDRESS logins (any 契約者ID, known or not) have failed from one sender within
the current window (IBANK_LOGIN_ADDRESS_WINDOW), its logins are refused unread until the window ends: no
contract read, no Argon2 verification, nothing counted toward an ID's own lock. One password tried across
many IDs never reaches any ID's lock, and each try costs the servers an Argon2 verification; this bounds both
per sender. The refusal speaks of the network, never of an ID.

A try is counted before it is evaluated and given back once its pair proves right, so that a burst of
concurrent tries never evaluates more than the limit (were they counted after, every try that started before
the first had failed would be evaluated: one more per worker). Meanwhile a right pair in flight counts as a
failure for the 20 ms of its Argon2 verification. The current password asked again by a logged-in customer
(ログインパスワード変更) is no login: its ID's own lock counts it.

A paused sender's first refused login in a window is audited; the others are not (they are refused before
anything is read, as a filter in front of the server would): unread, a refusal costs a few milliseconds, and
an entry each would let one sender fill the append-only log at a thousand rows a second.
"""

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

from auditlog import audit
from ibank import ratelimit
from ibank.actor import is_trusted_proxy, network_of, within

PAUSED = _(
    "ご利用のネットワークからのログインの失敗が続いたため、しばらくの間ログインできません。"
    "時間をおいてから、もう一度お試しください。"
)


def _key(actor) -> str | None:
    """None for no sender to count: no address, the rule off, the address one of our own proxies (the
    client's was not found, as when a local proxy's X-Forwarded-For is not read: every customer would then
    be one sender, and a few customers' typos would pause everyone's logins), or in a network many customers
    share (IBANK_LOGIN_SHARED_NETWORKS: the carriers' gateways that /m/'s feature phones come through)."""
    ip = getattr(actor, "ip", None)
    if not ip or not settings.IBANK_LOGIN_FAILURES_PER_ADDRESS or is_trusted_proxy(ip):
        return None
    if within(ip, settings.IBANK_LOGIN_SHARED_NETWORKS):
        return None
    return f"login-failures-from:{network_of(ip)}"


def not_a_failure(actor) -> None:
    """A try counted beforehand (:func:`count_try`) had the right pair: given back."""
    key = _key(actor)
    if key is not None:
        ratelimit.give_back(key)


def count_try(actor) -> bool | None:
    """One more try from ``actor``'s sender, counted as a failed login (the window starts with its first) before
    it is evaluated: True, to be given back with :func:`not_a_failure` if its pair proves right; False when
    it is one too many (the sender's logins are paused: refuse it unread); None when there is no sender."""
    key = _key(actor)
    if key is None:
        return None
    limit, window = settings.IBANK_LOGIN_FAILURES_PER_ADDRESS, settings.IBANK_LOGIN_ADDRESS_WINDOW
    return ratelimit.allow(key, limit=limit, window=window)


#: the audited reason of a paused sender's refused login, and the refusal's own reason
REASON = "address_paused"


def refused(actor, action: str, **fields) -> None:
    """A login of ``actor``'s paused sender was refused: audited as ``action`` (with ``fields``) if it is the
    first refusal of the sender's window, not otherwise."""
    key = _key(actor)
    if key is not None and cache.add(f"said:{key}", 1, timeout=settings.IBANK_LOGIN_ADDRESS_WINDOW):
        audit.record(actor, action, ok=False, reason=REASON, **fields)
