"""ログイン履歴 (issue 18): the contract's last logins and failed attempts, newest first, on a page of its own.

Successful logins are LoginRecord rows (with the browser and whether the environment was new); failed ones
are the audit log's failed password and code steps for the contract (the browser from their User-Agent).
"""

from dataclasses import dataclass
from datetime import datetime

from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from auditlog.models import AuditEntry

from .browsers import FEATURE_PHONE, describe_agent, label
from .decorators import customer_required
from .models import Contract, LoginRecord
from .services import channel_of_agent

COUNT = 20
# a wrong current password at ログインパスワード変更 counts toward the login lock: the customer sees it here too
FAILED_STEPS = ("login.password", "login.otp", "password_change.current")
REASONS = {
    "wrong_password": _("パスワードの誤り"),
    "wrong": _("ワンタイムパスワードの誤り"),
    "locked": _("ログイン停止中"),
}


@dataclass(frozen=True)
class Attempt:
    at: datetime
    ok: bool
    channel: str
    browser: str
    new_environment: bool = False
    reason: str = ""


def history(contract: Contract, count: int = COUNT) -> list[Attempt]:
    """The last ``count`` logins and failed attempts of ``contract`` (two indexed queries of ``count`` rows)."""
    attempts = [
        Attempt(r.at, True, r.get_channel_display(), label(r.browser), r.new_environment)
        for r in LoginRecord.objects.filter(contract=contract)[:count]
    ]
    failures = AuditEntry.objects.filter(
        contract=contract, action__in=FAILED_STEPS, outcome=AuditEntry.Outcome.FAILED
    ).only("at", "user_agent", "reason", "detail")[:count]
    for entry in failures:
        browser = describe_agent(entry.user_agent)
        channel = _channel(browser, entry)
        attempts.append(Attempt(entry.at, False, channel, label(browser), reason=_reason(entry)))
    attempts.sort(key=lambda a: a.at, reverse=True)
    return attempts[:count]


def _channel(browser: str, entry: AuditEntry) -> str:
    """The site of a failed step, as a login's record names it: 携帯電話 for the 携帯電話 site (/m/, in any
    browser; an entry made before the site was recorded: a feature phone's browser), else by the browser."""
    if entry.detail.get("channel") == "mobile" or browser == FEATURE_PHONE:
        return str(LoginRecord.Channel.MOBILE.label)
    return str(LoginRecord.Channel(channel_of_agent(entry.user_agent)).label)


def _reason(entry: AuditEntry) -> str:
    return str(REASONS.get(entry.reason, _("認証の失敗")))


@customer_required
def login_history_view(request):
    return render(request, "accounts/login_history.html", {"attempts": history(request.contract)})
