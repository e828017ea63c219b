from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_POST

from auditlog import audit
from ibank import login_redirect, sessions


def customer_required(view=None, *, login_url=None, menu_url=None):
    """A logged-in customer (a user with a contract); ``request.contract`` is set. Never cached.

    ``login_url`` (a URL name) sends others to another login page (the mobile IB's) without a ``next``, and
    ``menu_url`` names that site's menu.

    A form sent with a session key that its own first press replaced seconds ago (a double click on a login
    password's change, which gives the session a new key) goes to the menu, where the browser holds the new
    key and the first press's answer is said, not to the login page; the old key logs no one in.
    """
    if view is None:
        return lambda v: customer_required(v, login_url=login_url, menu_url=menu_url)

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        contract = getattr(user, "contract", None) if user.is_authenticated else None
        if contract is None:
            if request.method == "POST" and sessions.replaced_by_login(request.session):
                return redirect(menu_url or settings.LOGIN_REDIRECT_URL)
            if login_url is not None:
                return redirect(login_url)
            return login_redirect.to_login(request)
        request.contract = contract
        return view(request, *args, **kwargs)

    return never_cache(wrapper)


def removal_view(remove, *, done: str, back: str, audited: tuple[str, str]):
    """The view of a customer's POST that removes one row of their own (a known environment, a passkey):
    ``remove(actor=, contract=, pk=)`` answers whether it removed one (another contract's row, or one gone
    already, is not), ``done`` is then said; either way back to the list ``back`` (a URL name). ``audited``:
    the audit action of a removal and the detail naming the row: a double click's second request, which finds
    it gone, is told ``done`` too (without it the page it shows would say nothing of the removal)."""
    action, key = audited

    @customer_required
    @require_POST
    @csrf_protect
    def view(request, pk):
        contract = request.contract
        removed = remove(actor=request.actor, contract=contract, pk=pk)
        if removed or audit.recorded(action, contract=contract, **{key: pk}):  # now, or by its first click
            messages.success(request, done)
        return redirect(back)

    return view
