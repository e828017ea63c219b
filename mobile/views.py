"""The feature-phone IB at /m/ (SPEC §6): plain small pages, no script, no images, numbered access keys.

Every customer logs in here with 契約者ID + ログインパスワード only, even with
認証する chosen for the browser (a software token cannot run on a feature
phone); the lockout counts, the one-session rule, the timeouts and the
security headers are the browser IB's own.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from accounts import services as account_services
from accounts.decorators import customer_required
from accounts.forms import ContractAuthForm
from accounts.models import Account, LoginRecord

LOGGED_OUT = _("ログアウトしました。")


mobile_customer_required = customer_required(login_url="mobile-login")


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login_view(request):
    if request.method == "POST":
        with transaction.atomic():
            form = ContractAuthForm(request.POST, request=request)
            if form.is_valid():
                account_services.contract_login(
                    request=request, contract=form.contract, channel=LoginRecord.Channel.MOBILE
                )
                return redirect("mobile-menu")
    else:
        form = ContractAuthForm(request=request)
    return render(request, "mobile/login.html", {"form": form})


@mobile_customer_required
def menu_view(request):
    contract = request.contract
    return render(
        request,
        "mobile/menu.html",
        {
            "contract": contract,
            "accounts": contract.accounts.customer(),
            "previous": account_services.previous_logins(
                contract=contract,
                current_record_id=request.session.get(account_services.SESSION_LOGIN_RECORD),
                count=1,
            ),
        },
    )


@mobile_customer_required
def history_view(request, pk):
    account = get_object_or_404(Account.objects.customer(), pk=pk, contract=request.contract)
    page = Paginator(account.postings.select_related("entry").order_by("-pk"), 10).get_page(request.GET.get("p"))
    return render(request, "mobile/history.html", {"account": account, "page": page})


@require_POST
@csrf_protect
def logout_view(request):
    account_services.contract_logout(request=request)
    messages.info(request, LOGGED_OUT)
    return redirect("mobile-login")
