"""Known environments (ご利用環境, issue 17): a long-lived, signed, HttpOnly device cookie bound to the contract.

The cookie holds up to :data:`PER_BROWSER` ``contract pk.random id`` pairs (a browser a family shares stays
known to each contract), signed with a timestamp (``IBANK_ENVIRONMENT_COOKIE_AGE``). A login is from a
*known* environment only when the cookie's signature is good, it is not older than that age, it names
this contract, and the contract's row for that id exists and was not removed; anything else — no cookie,
a tampered or expired one, one copied from another contract's browser — is a *new* environment.

The cookie is written on the login's response by :class:`EnvironmentCookieMiddleware`.
"""

import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import connection, transaction

from auditlog import audit
from ibank import clock, compiled

from . import browsers
from .models import Contract, KnownEnvironment

COOKIE = "ibank_env"
SALT = "ibank.environment"
PER_BROWSER = 5
_TO_SET = "_ibank_environment_cookie"


@dataclass(frozen=True)
class Seen:
    """This login's environment: its cookie id, the browser its row records, and whether it was new."""

    key: str
    browser: str
    new: bool


def _pairs(request) -> list[tuple[int, str]]:
    try:
        value = request.get_signed_cookie(COOKIE, salt=SALT, max_age=settings.IBANK_ENVIRONMENT_COOKIE_AGE)
    except (KeyError, signing.BadSignature):  # none, tampered, or expired (SignatureExpired)
        return []
    pairs = []
    for item in value.split(",")[:PER_BROWSER]:
        pk, _dot, key = item.partition(".")
        if pk.isdigit() and re.fullmatch(r"[0-9a-f]{32}", key):
            pairs.append((int(pk), key))
    return pairs


def _key_of(pairs: list[tuple[int, str]], contract: Contract) -> str | None:
    """The environment key the cookie's pairs hold for ``contract`` (the first), or None."""
    return next((key for pk, key in pairs if pk == contract.pk), None)


def recognised(request, contract: Contract, pairs: list[tuple[int, str]] | None = None) -> KnownEnvironment | None:
    """The contract's known environment this browser's cookie names, or None (a new environment)."""
    key = _key_of(_pairs(request) if pairs is None else pairs, contract)
    if key is None:
        return None
    return KnownEnvironment.objects.filter(contract=contract, key=key, removed_at__isnull=True).first()


def at_login(request, contract: Contract) -> Seen:
    """Recognise this browser for ``contract`` (last seen now) or make it known (a new row and cookie)."""
    now = clock.now()
    pairs = _pairs(request)  # the cookie's signature checked once
    key = _key_of(pairs, contract)
    browser = _seen_again(contract, key, now) if key is not None else None
    if browser is not None:
        seen = Seen(key, browser, new=False)
    else:
        browser = browsers.describe(request)
        known = KnownEnvironment(
            contract=contract, key=secrets.token_hex(16), browser=browser, first_seen=now, last_seen=now
        )
        compiled.insert(known)
        seen = Seen(known.key, browser, new=True)
    others = [(pk, key) for pk, key in pairs if pk != contract.pk]
    pairs = [(contract.pk, seen.key), *others][:PER_BROWSER]
    setattr(request, _TO_SET, ",".join(f"{pk}.{key}" for pk, key in pairs))
    return seen


def _seen_again(contract: Contract, key: str, now) -> str | None:
    """The contract's known environment ``key`` (not removed) seen again ``now``: its recorded browser, read
    and updated in one statement; None when there is no such row (a new environment)."""
    qn = connection.ops.quote_name
    sql = (
        f"UPDATE {qn(KnownEnvironment._meta.db_table)} SET {qn('last_seen')} = %s"  # noqa: S608 (model metadata)
        f" WHERE {qn('contract_id')} = %s AND {qn('key')} = %s AND {qn('removed_at')} IS NULL RETURNING {qn('browser')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [connection.ops.adapt_datetimefield_value(now), contract.pk, key])
        row = cursor.fetchone()
    return row[0] if row is not None else None


def listed(contract: Contract, count: int | None = None) -> list[KnownEnvironment]:
    """The contract's environments that can still be recognised, last seen first: not removed, and seen within
    the cookie's age (the cookie is written again at each login: one unseen for longer cannot be valid)."""
    since = _oldest_recognisable()
    rows = KnownEnvironment.objects.filter(contract=contract, removed_at__isnull=True, last_seen__gte=since)
    return list(rows[:count])


def _oldest_recognisable():
    """The earliest last sighting a cookie can still name (it is written again at each login)."""
    return clock.now() - timedelta(seconds=settings.IBANK_ENVIRONMENT_COOKIE_AGE)


def forget_unrecognisable() -> int:
    """Deletes the environments no cookie can name any more (last seen longer ago than the cookie lives: the
    cookie is written again at each login), removed or not; a browser that keeps no cookie leaves one at every
    login. The logins themselves stay (LoginRecord, the audit log). Returns how many went."""
    since = _oldest_recognisable()
    return KnownEnvironment.objects.filter(last_seen__lt=since).delete()[0]


def remove(*, actor, contract: Contract, pk: int) -> bool:
    """ご利用環境の削除: the browser is no longer known (its next login is a new environment)."""
    removed = KnownEnvironment.objects.filter(contract=contract, pk=pk, removed_at__isnull=True).update(
        removed_at=clock.now()
    )
    if removed:
        audit.record(actor, "environment.remove", ok=True, contract=contract, environment=pk)
    return bool(removed)


def set_login_notices(*, actor, contract: Contract, on: bool) -> bool:
    """ログイン通知 for known environments on or off (a new environment is always notified). Turning them off
    is refused during a hold (a relayed login must not silence the next one); the change is audited and
    notified. Returns False when the gate refused."""
    from notices.outbox import notify

    from . import gate

    if not on and not gate.may(contract, gate.Action.LOGIN_NOTICE_OFF):
        return False
    with transaction.atomic():
        changed = Contract.objects.filter(pk=contract.pk).exclude(notify_known_logins=on).update(notify_known_logins=on)
        contract.notify_known_logins = on
        if changed:
            audit.record(actor, "login_notice.change", ok=True, contract=contract, on=on)
            notify(contract, "login_notice_changed", on=on)
    return True


class EnvironmentCookieMiddleware:
    """Writes the device cookie a login decided on (:func:`at_login`) on that login's response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        value = getattr(request, _TO_SET, None)
        if value is not None:
            response.set_signed_cookie(
                COOKIE,
                value,
                salt=SALT,
                max_age=settings.IBANK_ENVIRONMENT_COOKIE_AGE,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response
