"""ご利用環境・パスキー (issue 17): the contract's passkeys, registering one (authorized by the contract's
current method when the gate allows it: from a browser known before this login), removing one."""

from functools import wraps

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from accounts import gate, services, steps
from accounts.decorators import customer_required, removal_view
from ibank import pending

from . import ceremony

#: [contract pk, started at]: the registration was authorized; the authenticator's part may follow.
AUTHORIZED = "_ibank_passkey_register"
REGISTERED = _("パスキーを登録しました。")
REMOVED = _("パスキーを削除しました。")
READY = _("登録の準備ができました。「この端末でパスキーを登録する」を押してください。")
FAILED = _("パスキーを登録できませんでした。もう一度お試しください。")


def _authorized(request) -> bool:
    values = pending.get(request, AUTHORIZED)
    return values is not None and values[0] == request.contract.pk


@customer_required
def passkeys_view(request):
    contract = request.contract
    answer = gate.may(contract, gate.Action.PASSKEY_REGISTER, new_environment=services.login_was_new(request))
    return render(
        request,
        "passkeys/passkeys.html",
        {
            "passkeys": list(ceremony.credentials(contract)),
            "ready": _authorized(request),
            "refused": "" if answer else answer.message,
        },
    )


@customer_required
@sensitive_post_parameters()
@csrf_protect
def register_authorize_view(request):
    """The contract's current method authorizes the registration (like a change of e-mail address). A code
    used already by this very page (a double click) is answered as its first use was. The page keeps its name
    from its first showing to its answer, refused answers included: the name is part of what a passkey's
    challenge is bound to (the second passkey is authorized by the first)."""
    attempt = steps.page_name(request) or steps.new_page_name()

    def done(_method=None):
        pending.put(request, AUTHORIZED, request.contract.pk)
        messages.info(request, READY)
        return redirect("passkeys")

    return steps.authorization_step(
        request,
        "passkeys/register_authorize.html",
        action=gate.Action.PASSKEY_REGISTER,
        audit_action="passkey.authorize",
        on_success=done,
        on_reused=lambda: done() if steps.made_by(request, "passkey.authorize", attempt) else None,
        context={"attempt": attempt},
        detail={"ceremony": "registration", "attempt": attempt},  # ("passkey" names the one that answers)
    )


def _authorized_ceremony(view):
    """The authenticator's part of a registration (JSON, by POST; never cached, as every customer page): only
    once the contract's method authorized it in this session."""

    @customer_required
    @require_POST
    @csrf_protect
    @wraps(view)
    def step(request):
        if not _authorized(request):
            return JsonResponse({"detail": str(FAILED)}, status=403)
        return view(request)

    return step


@_authorized_ceremony
def register_begin_view(request):
    return JsonResponse(ceremony.registration_options(request, request.contract))


@_authorized_ceremony
def register_complete_view(request):
    try:
        device = ceremony.register(request, actor=request.actor, contract=request.contract, answer=request.body)
    except ceremony.Refused:  # audited with its reason; anything else is a defect: a server error
        return JsonResponse({"detail": str(FAILED)}, status=400)
    pending.clear(request, AUTHORIZED)
    messages.success(request, REGISTERED)
    return JsonResponse({"id": device.pk})


remove_view = removal_view(ceremony.remove, done=REMOVED, back="passkeys", audited=("passkey.remove", "passkey"))
