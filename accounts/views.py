from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from . import audit, services
from .decorators import customer_required
from .forms import ContractAuthForm

LOGGED_OUT = _("ログアウトしました。")


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
    # The token issue adds the login-time OTP step here.
    services.contract_login(request=request, contract=contract)
    return redirect(settings.LOGIN_REDIRECT_URL)


@customer_required
def menu_view(request):
    contract = request.contract
    return render(
        request,
        "accounts/menu.html",
        {
            "contract": contract,
            "accounts": contract.accounts.all(),
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
