"""The one gate: may this contract do this action now, on this channel — and if not, why (SPEC §7, §9).

Modelled on django-otp's ``Device.verify_is_allowed()``: one answer, :class:`Allowed` or :class:`Refused`
with the lock kind and the customer's message (with whom to call). Every door asks it — the login and its
second step, the token flows, every transaction view, ``/m/``, the menu (what it offers) and the branch
operations — and nothing else decides.

Rules are functions registered with :func:`rule`; higher layers register theirs (``otp`` the OTP lock and
the 紛失届, the channel a token cannot be used on) so that this layer imports nothing above it. A rule
sees the contract, the action, the door (the channel, and whether this session's login came from a new
environment) and the locks in force (read once per contract object).
"""

import enum
from collections.abc import Callable
from dataclasses import dataclass

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from ibank.helpdesk import CONTACT, with_contact

from . import authorization, holds, locks
from .models import Contract, Lock


class Action(enum.StrEnum):
    """The closed list of what a contract can ask to do."""

    LOGIN = "login"  # 契約者ID + ログインパスワード (browser, /m/, the token flows' 利用者認証)
    LOGIN_OTP = "login_otp"  # the login's second factor
    TOKEN_REGISTER = "token_register"  # noqa: S105 (an action, not a password)
    TOKEN_EXCHANGE = "token_exchange"  # noqa: S105
    TOKEN_STOP = "token_stop"  # noqa: S105
    TRANSFER = "transfer"
    TRANSFER_NEW_PAYEE = "transfer_new_payee"  # to a payee this contract has never paid (payments.payees)
    PAYEASY = "payeasy"
    LIMIT_CHANGE = "limit_change"
    LIMIT_RAISE = "limit_raise"
    EMAIL_CHANGE = "email_change"
    PASSWORD_CHANGE = "password_change"  # noqa: S105 (an action: ログインパスワード変更)
    TRANSFER_PASSWORD_CHANGE = "transfer_password_change"  # noqa: S105 (an action: 資金移動用パスワード変更)
    PASSKEY_REGISTER = "passkey_register"
    LOGIN_NOTICE_OFF = "login_notice_off"  # turning off the notices of logins from known environments
    RESERVED_TRANSFER = "reserved_transfer"  # the worker executing a 振込予約 on its day (nobody logged in)


#: Actions authorized by the contract's transaction method (SPEC §5).
TRANSACTIONS = frozenset(
    {
        Action.TRANSFER,
        Action.TRANSFER_NEW_PAYEE,
        Action.PAYEASY,
        Action.LIMIT_CHANGE,
        Action.LIMIT_RAISE,
        Action.EMAIL_CHANGE,
        Action.PASSWORD_CHANGE,
        Action.TRANSFER_PASSWORD_CHANGE,
        Action.PASSKEY_REGISTER,
    }
)
#: Refused during a hold (accounts.holds): what a relayed login would use to take the money.
HELD_ACTIONS = frozenset({Action.TRANSFER_NEW_PAYEE, Action.PAYEASY, Action.LOGIN_NOTICE_OFF, Action.PASSKEY_REGISTER})
#: Actions that begin with 契約者ID + ログインパスワード, under the login's lockout.
PASSWORD_ACTIONS = frozenset(
    {
        Action.LOGIN,
        Action.LOGIN_OTP,
        Action.TOKEN_REGISTER,
        Action.TOKEN_EXCHANGE,
        Action.TOKEN_STOP,
        Action.PASSWORD_CHANGE,
    }
)


class Channel(enum.StrEnum):
    BROWSER = "browser"  # PC and smartphone
    MOBILE = "mobile"  # the feature-phone IB at /m/


def channel_of(actor) -> Channel:
    """The channel an actor (ibank.actor: built per request) acts on: /m/, or the browser's for anything else
    (the branch's admin, the bank itself). A service deciding at one step what a later step on the same channel
    will ask (which method authorizes there) asks with it."""
    return Channel.MOBILE if actor is not None and actor.channel == Channel.MOBILE else Channel.BROWSER


@dataclass(frozen=True)
class Door:
    """How the request came in: its channel, and whether this session's login was from a browser the
    contract had not used before (None: not known, which the rules that ask treat as new)."""

    channel: Channel = Channel.BROWSER
    new_environment: bool | None = None


@dataclass(frozen=True)
class Allowed:
    ok = True

    def __bool__(self) -> bool:
        return True


@dataclass(frozen=True)
class Refused:
    """Why not: ``kind`` is the lock kind (or ``cancelled``, ``channel``, ``new_environment``),
    ``message`` the customer's words."""

    kind: str
    message: str
    ok = False

    def __bool__(self) -> bool:
        return False


ALLOWED = Allowed()

CONTRACT_UNAVAILABLE = with_contact(_("このご契約ではインターネットバンキングをご利用いただけません。"))
CONTRACT_SUSPENDED = with_contact(
    _("インターネットバンキングのお取引を中止しています。再開には、お取引店での書面によるお手続きが必要です。")
)
LOGIN_LOCKED = with_contact(_("ログインパスワードの誤りが規定回数に達したため、ログインを停止しています。"))
TOKEN_SETUP_LOCKED = with_contact(
    _("ワンタイムパスワードの誤りが規定回数に達したため、トークンの登録を停止しています。")
)
PAYEASY_BLOCKED = format_lazy(
    "{}{}",
    _("番号の誤りが続いたため、本日は収納サービスをご利用いただけません。明日以降にあらためてお手続きください。"),
    format_lazy("{}{}", _("お急ぎの場合は、"), CONTACT),
)
NEW_ENVIRONMENT_REFUSED = _(
    "パスキーは、これまでにご利用いただいたことのあるパソコン・スマートフォンからのみ登録できます。"
    "はじめてご利用の環境では登録できません。"
)
TEMPORARY_PASSWORD = with_contact(
    _(
        "ログインパスワードが仮パスワードのため、お取引はご利用いただけません。"
        "メニューの「ログインパスワード変更」から、新しいログインパスワードを設定してください。"
    )
)
NO_TRANSFER_PASSWORD = _(
    "お客様のご契約では、お取引の認証にお客様カードをご利用いただいているため、資金移動用パスワードはございません。"
)
CHANNEL_REFUSED = _(
    "ワンタイムパスワードを利用登録されているお客様は、携帯電話からはお取引（振込・収納サービス）をご利用いただけません。"
    "パソコンまたはスマートフォンからご利用ください。"
)

#: A refusal no lock's end or lifting changes: what this contract cannot do (on this channel) at all.
NOT_OFFERED_KIND = "no_transfer_password"
_NOT_OFFERED = frozenset({NOT_OFFERED_KIND, "channel"})

Rule = Callable[[Contract, Action, Door, dict], "Refused | None"]
_rules: list[Rule] = []


def rule(func: Rule) -> Rule:
    """Register ``func(contract, action, door, open_locks) -> Refused | None``; rules are asked in order."""
    if func not in _rules:
        _rules.append(func)
    return func


def may(
    contract: Contract, action: Action, *, channel: Channel = Channel.BROWSER, new_environment: bool | None = None
) -> Allowed | Refused:
    """The one answer to "may ``contract`` do ``action`` now on ``channel``" (``new_environment``: this
    session's login was from a browser not used before; see :func:`accounts.services.login_was_new`)."""
    open_locks = locks.open_locks(contract)
    door = Door(channel, new_environment)
    for check in _rules:
        refused = check(contract, action, door, open_locks)
        if refused is not None:
            return refused
    return ALLOWED


def offers(contract: Contract, action: Action, *, channel: Channel = Channel.BROWSER) -> bool:
    """Whether a menu offers ``action``: allowed, or refused only for now (a lock, a hold: its page then says
    why and whom to call) — not what this contract cannot do at all, or not on ``channel``."""
    answer = may(contract, action, channel=channel)
    return bool(answer) or answer.kind not in _NOT_OFFERED


def ask_again(contract: Contract, action: Action, **door) -> Allowed | Refused:
    """:func:`may` after re-reading the locks (a step that waited, or that just counted a failure)."""
    locks.forget(contract)
    return may(contract, action, **door)


# -- the rules of this layer ---------------------------------------------------------------


@rule
def _login_lock(contract, action, door, open_locks):
    if action in PASSWORD_ACTIONS and Lock.Kind.LOGIN in open_locks:
        return Refused(Lock.Kind.LOGIN, LOGIN_LOCKED)
    return None


@rule
def _contract_in_service(contract, action, door, open_locks):
    if not contract.is_active_contract:
        return Refused("cancelled", CONTRACT_UNAVAILABLE)
    if Lock.Kind.IB_SUSPENSION in open_locks:
        return Refused(Lock.Kind.IB_SUSPENSION, CONTRACT_SUSPENDED)
    return None


@rule
def _token_setup_lock(contract, action, door, open_locks):
    if action in (Action.TOKEN_REGISTER, Action.TOKEN_EXCHANGE) and Lock.Kind.TOKEN_SETUP in open_locks:
        return Refused(Lock.Kind.TOKEN_SETUP, TOKEN_SETUP_LOCKED)
    return None


@rule
def _own_secret(contract, action, door, open_locks):
    """A 資金移動用パスワード is changed only where it is the contract's own secret (an お客様カード's contract
    has none: the menu does not offer its change, and its page says why)."""
    if action is Action.TRANSFER_PASSWORD_CHANGE and not contract.uses_transfer_password:
        return Refused(NOT_OFFERED_KIND, NO_TRANSFER_PASSWORD)
    return None


@rule
def _transaction_method(contract, action, door, open_locks):
    """A transaction needs its method usable: on this channel, and none of its locks in force."""
    if action not in TRANSACTIONS:
        return None
    method = authorization.method_for(contract, door.channel)
    if door.channel not in method.channels:
        return Refused("channel", CHANNEL_REFUSED)
    for kind in method.lock_kinds:
        if kind in open_locks:
            return Refused(kind, method.locked_message(contract, kind))
    return None


@rule
def _temporary_password(contract, action, door, open_locks):
    """A password the branch set and posted is the customer's only to change it (accounts.services)."""
    if Lock.Kind.TEMPORARY_PASSWORD not in open_locks:
        return None
    if (action in TRANSACTIONS or action is Action.LOGIN_NOTICE_OFF) and action is not Action.PASSWORD_CHANGE:
        return Refused(Lock.Kind.TEMPORARY_PASSWORD, TEMPORARY_PASSWORD)
    return None


@rule
def _payeasy_block(contract, action, door, open_locks):
    if action is Action.PAYEASY and Lock.Kind.PAYEASY in open_locks:
        return Refused(Lock.Kind.PAYEASY, PAYEASY_BLOCKED)
    return None


@rule
def _new_environment(contract, action, door, open_locks):
    """A passkey is registered only from a browser the contract had used before this login: a relayed login
    (a phishing kit's browser) is always a new environment (issue 17)."""
    if action is Action.PASSKEY_REGISTER and door.new_environment is not False:
        return Refused("new_environment", NEW_ENVIRONMENT_REFUSED)
    return None


#: what a hold's refusal says it stops, by action (the default: new payees and Pay-easy)
_HELD_WORDS = {Action.LOGIN_NOTICE_OFF: holds.NOTICE_OFF_HELD, Action.PASSKEY_REGISTER: holds.PASSKEY_HELD}


@rule
def _holds(contract, action, door, open_locks):
    """After a new environment, a change of credentials or the start: no new payee, no Pay-easy, no turning
    off login notices; after the start, no raise of the limit (accounts.holds)."""
    if action in HELD_ACTIONS:
        method = authorization.method_for(contract, door.channel) if action in TRANSACTIONS else None
        found = [open_locks[kind] for kind in holds.KINDS if kind in open_locks]
        found = [lock for lock in found if method is None or not method.exempts_hold(contract, lock)]
        if found:
            lock = max(found, key=lambda lock: lock.until)
            return Refused(lock.kind, holds.message(lock, _HELD_WORDS.get(action, holds.HELD)))
    if action is Action.LIMIT_RAISE and Lock.Kind.START_HOLD in open_locks:
        lock = open_locks[Lock.Kind.START_HOLD]
        return Refused(lock.kind, holds.message(lock, holds.RAISE_HELD))
    return None
