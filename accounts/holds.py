"""Holds against real-time phishing (issue 17; the FSA's request of 2025-09-12).

A kit that relays the password and each code logs in from the attacker's browser at once; what it wants is
to send the day's limit to an account the customer never paid. So, for a while after

* a login from a **new environment** (no valid device cookie: accounts.environments) —
  ``IBANK_NEW_ENVIRONMENT_HOLD`` (24 h);
* a **change of credentials**: a token registered, exchanged or reset, the e-mail address changed, the limit
  raised — ``IBANK_CREDENTIAL_CHANGE_HOLD`` (72 h);
* the **start** of internet banking — the same 72 h, during which the limit cannot be raised either,

transfers to a payee this contract has never paid, and Pay-easy, are refused (the gate's hold rule,
accounts.gate). Each hold is a Lock row with ``until``: it ends by itself, a later event extends it, it is
audited, it is listed on the contract page, and the branch can lift it with a reason.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from auditlog import audit
from ibank import clock
from ibank.helpdesk import CONTACT

from . import locks
from .models import Contract, Lock

KINDS = (Lock.Kind.ENVIRONMENT_HOLD, Lock.Kind.CHANGE_HOLD, Lock.Kind.START_HOLD)

#: why a hold began (its Lock.reason) -> the customer's words
REASONS = {
    "new_environment": _("新しいご利用環境（ブラウザ）からのログイン"),
    "ib_start": _("インターネットバンキングのご利用開始"),
    "token_register": _("ワンタイムパスワードの利用登録"),
    "token_exchange": _("ワンタイムパスワードのトークンの交換"),
    "token_reset": _("トークンIDのリセット"),
    "email_change": _("メールアドレスの変更"),
    "password_change": _("ログインパスワードの変更"),
    "password_reset": _("ログインパスワードの再設定"),
    "transfer_password_change": _("資金移動用パスワードの変更"),
    "transfer_password_reset": _("資金移動用パスワードの再設定"),
    "limit_raise": _("振込限度額の引き上げ"),
}
OTHER_CHANGE = _("ご登録内容の変更")

HELD = _(
    "お客様の保護のため、%(why)sの後、一定期間（%(until)sまで）は、はじめてのお振込先へのお振込と"
    "収納サービス（Pay-easy）をご利用いただけません。これまでにお振込いただいたお振込先へはお振込いただけます。"
)
RAISE_HELD = _(
    "お客様の保護のため、%(why)sの後、一定期間（%(until)sまで）は、振込限度額の引き上げをご利用いただけません。"
    "引き下げはいつでもお手続きいただけます。"
)
#: the same hold, said of the two other things it stops (accounts.gate picks the words by the action)
NOTICE_OFF_HELD = _(
    "お客様の保護のため、%(why)sの後、一定期間（%(until)sまで）は、ご利用環境からのログインのお知らせを停止できません。"
)
PASSKEY_HELD = _("お客様の保護のため、%(why)sの後、一定期間（%(until)sまで）は、パスキーを登録できません。")
WHOM = _("お心当たりがない場合や、お急ぎの場合は、")


def _seconds(kind: str) -> int:
    if kind == Lock.Kind.ENVIRONMENT_HOLD:
        return settings.IBANK_NEW_ENVIRONMENT_HOLD
    return settings.IBANK_CREDENTIAL_CHANGE_HOLD


def begin(contract: Contract, kind: str, *, reason: str, actor, since=None):
    """Hold ``contract`` (``kind``) for its period from ``since`` (now); a hold in force is extended, never
    shortened. Audited. Returns the end of the hold in force afterwards, or None when none is."""
    seconds = _seconds(kind)
    until = (since or clock.now()) + timedelta(seconds=seconds)
    if seconds == 0 or until <= clock.now():
        return None
    with transaction.atomic(savepoint=False):  # nested in the caller's transaction: no savepoint, one rollback
        until = locks.hold(contract, kind, until=until, reason=reason, by=audit.actor_name(actor, contract))
        audit.record(actor, "hold.set", ok=True, contract=contract, kind=kind, reason=reason, until=until.isoformat())
    return until


def message(lock: Lock, template=HELD) -> str:
    """The refusal for ``lock``: why, until when (JST), and whom to call."""
    until = timezone.localtime(lock.until)
    default = REASONS["new_environment"] if lock.kind == Lock.Kind.ENVIRONMENT_HOLD else OTHER_CHANGE
    text = str(template) % {"why": REASONS.get(lock.reason, default), "until": _format(until)}
    return f"{text}{WHOM}{CONTACT}"


def _notice(reason: str, until) -> str:
    return str(HELD) % {"why": REASONS.get(reason, OTHER_CHANGE), "until": _format(timezone.localtime(until))}


_lazy_notice = lazy(_notice, str)


def after_change(contract: Contract, *, reason: str, actor):
    """:func:`begin` the hold of a change of credentials (``reason``); returns what the change's notice says of
    it: the refusal's words and end, without whom to call, which the notice's footer says ("" when no hold is
    in force). Lazy: the notice is written in the site's language whatever the request's (notices.outbox)."""
    until = begin(contract, Lock.Kind.CHANGE_HOLD, reason=reason, actor=actor)
    return _lazy_notice(reason, until) if until is not None else ""


def _format(at) -> str:
    return _("%(year)d年%(month)d月%(day)d日 %(hour)d時%(minute)02d分") % {
        "year": at.year,
        "month": at.month,
        "day": at.day,
        "hour": at.hour,
        "minute": at.minute,
    }


def in_force(contract: Contract) -> list[Lock]:
    """The holds in force on ``contract``, the longest last."""
    found = [lock for kind, lock in locks.open_locks(contract).items() if kind in KINDS]
    return sorted(found, key=lambda lock: lock.until)


def at_start(sender, instance: Contract, created: bool, raw: bool = False, **kwargs) -> None:
    """The start hold of a new contract (post_save): from its created_at, so that a contract made with its
    history (an older one loaded from the core system) is not held."""
    if created and not raw:
        begin(instance, Lock.Kind.START_HOLD, reason="ib_start", actor=None, since=instance.created_at)
