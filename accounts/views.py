import django_otp
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from otp import pending
from otp import services as otp_services
from otp.forms import OtpForm
from otp.messages import TOKEN_EXPIRED, message_for
from otp.models import TokenBinding
from otp.verifier import Outcome, verify

from . import audit, services
from .decorators import customer_required
from .forms import ContractAuthForm, SuspendForm

LOGGED_OUT = _("ログアウトしました。")
SUSPENDED = _("インターネットバンキングのお取引を中止しました。(00004) 再開はお取引店にお申し出ください。")
LOGIN_CANCELLED = _("ログインを中止しました。")
PENDING_EXPIRED = _("一定時間が経過したため、ログインを中止しました。最初からやり直してください。")
AUTHORIZATION_LABELS = {
    "otp": _("ワンタイムパスワード"),
    "password": _("資金移動用パスワード"),
    "card": _("確認用パスワード（お客様カード）"),
}
# [contract pk, token pk, started at]: the password passed, the OTP is awaited.
PENDING_LOGIN = "_ibank_pending_login"


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login_view(request):
    if request.method == "POST":
        form = ContractAuthForm(request.POST, request=request)
        if form.is_valid():
            return _after_password(request, form.contract)
    else:
        form = ContractAuthForm(request=request)
    return render(request, "accounts/login.html", {"form": form})


def _after_password(request, contract):
    binding = TokenBinding.objects.filter(contract=contract).only("pk", "token_id", "login_otp").first()
    if binding is not None and binding.login_otp:
        pending.put(request, PENDING_LOGIN, contract.pk, binding.token_id)
        return redirect("accounts-login-otp")
    services.contract_login(request=request, contract=contract)
    return redirect(settings.LOGIN_REDIRECT_URL)


def _pending_binding(request):
    """The binding whose code completes the pending login, or None (missing, stale or changed)."""
    values = pending.get(request, PENDING_LOGIN)
    if values is None:
        return None
    contract_pk, token_pk = values
    binding = (
        TokenBinding.objects.for_verify()
        .select_related("contract__user")
        .filter(contract_id=contract_pk, token_id=token_pk)
        .first()
    )
    if binding is None or not binding.contract.is_ib_usable:
        # the token was stopped or exchanged, or the contract locked or suspended, meanwhile
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
        messages.warning(request, PENDING_EXPIRED)
        return redirect("accounts-login")
    if request.method == "POST" and "cancel" in request.POST:
        pending.clear(request, PENDING_LOGIN)
        audit.record(request, "login.otp", ok=False, contract=binding.contract, reason="cancelled")
        messages.info(request, LOGIN_CANCELLED)
        return redirect("accounts-login")
    form = OtpForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        result = verify(binding, form.cleaned_data["otp"], request=request, action="login.otp")
        if result.ok:
            pending.clear(request, PENDING_LOGIN)
            services.contract_login(request=request, contract=binding.contract)
            django_otp.login(request, binding)
            return redirect(settings.LOGIN_REDIRECT_URL)
        if result.outcome in (Outcome.WRONG, Outcome.REUSED) and not result.now_locked:
            form.add_error("otp", message_for(result))
        else:
            form.add_error(None, message_for(result))
    return render(request, "accounts/login_otp.html", {"form": form})


@customer_required
def menu_view(request):
    contract = request.contract
    return render(
        request,
        "accounts/menu.html",
        {
            "contract": contract,
            "accounts": contract.accounts.all(),
            "binding": TokenBinding.objects.select_related("token__token_type").filter(contract=contract).first(),
            "token_expired_message": TOKEN_EXPIRED,
            "authorization_label": AUTHORIZATION_LABELS[otp_services.authorization_method(contract)],
            "previous_logins": services.previous_logins(
                contract=contract, current_record_id=request.session.get(services.SESSION_LOGIN_RECORD)
            ),
        },
    )


@require_POST
@csrf_protect
def logout_view(request):
    contract = getattr(request.user, "contract", None) if request.user.is_authenticated else None
    if contract is not None:
        audit.record(request, "logout", ok=True, contract=contract)
    logout(request)
    messages.info(request, LOGGED_OUT)
    return redirect("accounts-login")


@customer_required
@csrf_protect
def suspend_view(request):
    """IB取引中止 (SPEC §4.5): the customer stops all IB use at once; the branch lifts it."""
    form = SuspendForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        services.contract_suspend(request=request, contract=request.contract)
        logout(request)
        messages.warning(request, SUSPENDED)
        return redirect("accounts-login")
    return render(request, "accounts/suspend.html", {"form": form})
