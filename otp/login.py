"""The login's second factor (SPEC §4.1.3): the token's code when 認証する was chosen.

The password step is accounts.login; this room registers the code step into it (``SECOND_FACTOR``, by
OtpConfig.ready). The pending login is ``[contract pk, software token pk, its random name, started at]``.
"""

import secrets

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from accounts import gate, locks
from accounts import services as account_services
from accounts.login import PENDING_LOGIN, SecondFactor, other_factors, pending_login_gone
from auditlog import audit
from ibank import pending
from ibank.compiled import CompiledQuery

from . import rules, services
from .forms import OtpForm
from .messages import message_for
from .models import TokenBinding
from .verifier import Outcome, verify

LOGIN_CANCELLED = _("ログインを中止しました。")
PENDING_EXPIRED = _("一定時間が経過したため、ログインを中止しました。最初からやり直してください。")


def _token_required(contract):
    """The second factor's values: the token in use, when 認証する was chosen (SPEC §4.1.3). The password
    step loaded the binding with the contract (accounts.services.load_with_contract); else it is read here."""
    try:
        binding = contract.token_binding
    except TokenBinding.DoesNotExist:
        return None
    # A random name of this pending login, for its code's audit entry: a double click's second request knows
    # by it that its first logged this very login in (login_otp_view).
    return (binding.software_token_id, secrets.token_hex(8)) if binding.login_otp else None


SECOND_FACTOR = SecondFactor(
    required=_token_required, url_name="accounts-login-otp", label=_("ワンタイムパスワードでログインする")
)


#: The pending login's binding with what the verifier and the login read (one row: the contract is unique),
#: and the contract's open locks the gate asks about, compiled once per process (ibank.compiled).
_PENDING_BINDING = CompiledQuery(
    lambda contract_pk, token_pk: locks.read_with(
        TokenBinding.objects.for_verify()
        .select_related("contract__user")
        .filter(contract_id=contract_pk, software_token_id=token_pk),
        contract_of="contract_id",
    ),
    -7_000_000_001,
    -7_000_000_002,
)


def _pending_binding(request):
    """The binding whose code completes the pending login, or None (missing, stale or changed); the login's
    name is ``binding.pending_login``."""
    values = pending.get(request, PENDING_LOGIN)
    if values is None or len(values) != 3 or not isinstance(values[1], int):  # another factor's login
        return None
    contract_pk, token_pk, name = values
    binding = _PENDING_BINDING.first(contract_pk, token_pk)
    if binding is None:  # the token was stopped or exchanged meanwhile
        pending.clear(request, PENDING_LOGIN)
        return None
    locks.adopt(binding.contract, binding)
    binding.pending_login = name
    answer = gate.may(binding.contract, gate.Action.LOGIN_OTP)
    if not answer and answer.kind not in rules.LOCK_KINDS:
        # the contract was locked, suspended or cancelled meanwhile: the login starts again
        pending.clear(request, PENDING_LOGIN)
        return None
    return binding


@sensitive_post_parameters("otp")
@csrf_protect
@never_cache
def login_otp_view(request):
    """ワンタイムパスワード認証: the second step of a login with 認証する (SPEC §4.1.3)."""
    binding = _pending_binding(request)
    if binding is None:
        return pending_login_gone(request, PENDING_EXPIRED)
    if request.method == "POST" and "cancel" in request.POST:
        pending.clear(request, PENDING_LOGIN)
        services.login_otp_cancel(actor=request.actor, contract=binding.contract)
        messages.info(request, LOGIN_CANCELLED)
        return redirect("accounts-login")
    answer = gate.may(binding.contract, gate.Action.LOGIN_OTP)
    if not answer:  # the token is locked or reported lost: no code field, whom to call
        return _dead_end(request, answer.message)
    form = OtpForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        attempt = binding.pending_login  # this pending login's name, in the code's audit entry (never a secret)
        result = verify(binding, form.cleaned_data["otp"], actor=request.actor, action="login.otp", attempt=attempt)
        if result.outcome is Outcome.REUSED and audit.recorded("login.otp", contract=binding.contract, attempt=attempt):
            # A double click: the first request logged this pending login in with this code (and ended this
            # session); the menu answers, with the session the first one gave the browser.
            return redirect(settings.LOGIN_REDIRECT_URL)
        if result.ok:
            pending.clear(request, PENDING_LOGIN)
            account_services.contract_login(request=request, contract=binding.contract, device=binding)
            return redirect(settings.LOGIN_REDIRECT_URL)
        if result.outcome in (Outcome.WRONG, Outcome.REUSED) and not result.now_locked:
            form.add_error("otp", message_for(result))
        elif result.now_locked or result.outcome in (Outcome.LOCKED, Outcome.LOST):
            return _dead_end(request, message_for(result))
        else:
            form.add_error(None, message_for(result))
    others = other_factors(binding.contract, SECOND_FACTOR.url_name)  # e.g. a passkey
    return render(request, "accounts/login_otp.html", {"form": form, "other_factors": others})


def _dead_end(request, message):
    """The OTP is locked (or the token reported lost): say so and whom to call; offer no code field."""
    return render(request, "accounts/login_otp.html", {"locked_message": message})
