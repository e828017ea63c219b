"""Signing in with a passkey (issue 17): the login's second step, after 契約者ID + ログインパスワード.

With a passkey registered, the second step accepts it: on its own page (a contract without the OTP at login,
which may also go on without it), or offered on the OTP's page (the OTP stays, as the seeds describe). The
challenge is bound to this login (the contract and the moment the password passed) and used once. A login
completed with a passkey is not held even from a new environment: the passkey is bound to our origin, so a
phishing kit cannot relay it. The login is still notified.
"""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from accounts import gate
from accounts import services as account_services
from accounts.login import PENDING_LOGIN, SecondFactor, other_factors, pending_login_gone
from accounts.models import Contract
from ibank import pending

from . import ceremony

EXPIRED = _("一定時間が経過したため、ログインを中止しました。最初からやり直してください。")
FAILED = _("パスキーで認証できませんでした。もう一度お試しいただくか、ほかの方法でログインしてください。")


def _passkey_required(contract):
    return ("passkey",) if ceremony.has_passkey(contract) else None


SECOND_FACTOR = SecondFactor(required=_passkey_required, url_name="passkeys-login", label=_("パスキーでログインする"))


def _pending_contract(request):
    values = pending.get(request, PENDING_LOGIN)
    if values is None:
        return None, None
    contract = Contract.objects.select_related("user").filter(pk=values[0]).first()
    if contract is None or not gate.may(contract, gate.Action.LOGIN) or not ceremony.has_passkey(contract):
        pending.clear(request, PENDING_LOGIN)
        return None, None
    return contract, values


def _detail(contract, values) -> dict:
    """What this login's challenge is bound to: the contract and the pending login (its start)."""
    return {"login": contract.contract_id, "pending": list(map(str, values))}


@sensitive_post_parameters("passkey_assertion")
@csrf_protect
@never_cache
def login_view(request):
    contract, values = _pending_contract(request)
    if contract is None:
        return pending_login_gone(request, EXPIRED)
    detail = _detail(contract, request.session[PENDING_LOGIN])  # with the moment the password passed
    if request.method == "POST" and "skip" in request.POST and values[1:] == ["passkey"]:
        # Only where the passkey is the whole second step: the contract logs in without one, as before.
        pending.clear(request, PENDING_LOGIN)
        account_services.contract_login(request=request, contract=contract)
        return redirect(settings.LOGIN_REDIRECT_URL)
    if request.method == "POST" and request.POST.get("passkey_assertion"):
        try:
            device = ceremony.verify_login(
                actor=request.actor,
                contract=contract,
                detail=detail,
                challenge_id=request.POST.get("passkey_challenge"),
                assertion=request.POST["passkey_assertion"],
            )
        except ceremony.Refused as refused:
            if refused.reason == "reused" and ceremony.logged_in_with(contract, request.POST.get("passkey_challenge")):
                # A double click: the first request logged this pending login in with this answer (and ended
                # this session); the menu answers, with the session the first one gave the browser.
                return redirect(settings.LOGIN_REDIRECT_URL)
            messages.error(request, FAILED)
            return redirect("passkeys-login")
        pending.clear(request, PENDING_LOGIN)
        account_services.contract_login(request=request, contract=contract, by="passkey", device=device)
        return redirect(settings.LOGIN_REDIRECT_URL)
    challenge_id, options = ceremony.transaction_options(request, contract, detail)
    return render(
        request,
        "passkeys/login.html",
        {
            "challenge_id": challenge_id,
            "options": options,
            "may_skip": values[1:] == ["passkey"],
            "other_factors": other_factors(contract, SECOND_FACTOR.url_name),
        },
    )
