from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_POST

from auditlog import audit

from . import services, steps
from .decorators import customer_required
from .forms import SuspendForm

LOGGED_OUT = _("ログアウトしました。")
SUSPENDED = _(
    "インターネットバンキングのお取引を中止しました。(00004) 再開には、お取引店での書面によるお手続きが必要です。"
)


@require_POST
@csrf_protect
def logout_view(request, then="accounts-login"):
    """ログアウト, back to the login page of the channel (``then``: the phone's is ``mobile-login``)."""
    services.contract_logout(request=request)
    messages.info(request, LOGGED_OUT)
    return redirect(then)


@never_cache
def suspend_view(request):
    """IB取引中止 (SPEC §4.5): the customer stops all IB use at once; the branch lifts it. The page sent again
    (a double click) finds its login ended by the first: told the stop, not sent to log in without a word."""
    page = steps.page_name(request)
    if not request.user.is_authenticated and audit.made_on_page(page, action="ib.suspend"):
        messages.warning(request, SUSPENDED)
        return redirect("accounts-login")
    return _suspend(request, page)


@customer_required
@csrf_protect
def _suspend(request, page):
    form = SuspendForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        services.contract_suspend(actor=request.actor.on_page(page), contract=request.contract)
        logout(request)
        messages.warning(request, SUSPENDED)
        return redirect("accounts-login")
    return render(request, "accounts/suspend.html", {"form": form, "attempt": steps.new_page_name()})
