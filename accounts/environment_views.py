"""ご利用環境・ログイン通知 (issue 17): the browsers this contract logged in from, a way to remove one, the
notices of logins from them, and the holds in force."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_POST

from . import environments, gate, holds
from .decorators import customer_required, removal_view

REMOVED = _("ご利用環境を削除しました。この環境から次にログインすると、新しい環境として扱われます。")
NOTICES_ON = _("ご利用環境からのログインもお知らせします。")
NOTICES_OFF = _("ご利用環境からのログインはお知らせしません。新しい環境からのログインは必ずお知らせします。")


@customer_required
def environments_view(request):
    contract = request.contract
    current = environments.recognised(request, contract)
    notice_off = gate.may(contract, gate.Action.LOGIN_NOTICE_OFF)
    return render(
        request,
        "accounts/environments.html",
        {
            "environments": environments.listed(contract),
            "current": current.pk if current else None,
            "notify_known_logins": contract.notify_known_logins,
            "notice_off_refused": "" if notice_off else notice_off.message,
            "holds": [holds.message(lock) for lock in holds.in_force(contract)],
        },
    )


environment_remove_view = removal_view(
    environments.remove, done=REMOVED, back="accounts-environments", audited=("environment.remove", "environment")
)


@customer_required
@require_POST
@csrf_protect
def login_notices_view(request):
    on = request.POST.get("notify_known_logins") == "on"
    if environments.set_login_notices(actor=request.actor, contract=request.contract, on=on):
        messages.success(request, NOTICES_ON if on else NOTICES_OFF)
    else:
        messages.error(request, gate.may(request.contract, gate.Action.LOGIN_NOTICE_OFF).message)
    return redirect("accounts-environments")
