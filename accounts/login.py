"""Login (SPEC §4.1): 契約者ID + ログインパスワード, then a second factor when the contract has one.

The password step is this room's; a second factor (the token's code when 認証する was chosen) is a room
above, registered with :func:`register_second_factor`. The pending login keeps ``[contract pk, *the
factor's values, started at]`` for at most 5 minutes, never a password or code.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from ibank import pending, sessions

from . import services
from .forms import ContractAuthForm

# [contract pk, *values of the second factor, started at]: the password passed, the second factor is awaited.
PENDING_LOGIN = "_ibank_pending_login"


@dataclass(frozen=True)
class SecondFactor:
    """A second step of login: ``required(contract)`` gives the values its step is bound to (e.g. the token
    in use), or None when the contract does not use it; ``url_name`` is that step's page."""

    required: Callable
    url_name: str
    #: how another factor's page offers this one ("パスキーでログインする")
    label: str = ""


_second_factors: list[SecondFactor] = []


def register_second_factor(factor: SecondFactor) -> None:
    if factor not in _second_factors:
        _second_factors.append(factor)


def other_factors(contract, url_name: str) -> list[SecondFactor]:
    """The second factors of ``contract`` other than the one whose page is ``url_name`` (offered on it)."""
    return [f for f in _second_factors if f.url_name != url_name and f.required(contract) is not None]


def pending_login_gone(request, expired_message):
    """What a second factor's page answers when its pending login is gone: the menu when this session is
    logged in (the page sent again by a double click or a reload, after the first request logged it in) or
    its key is one that login replaced seconds ago (the same press, sent with the old cookie), else the login
    page with ``expired_message``."""
    if request.user.is_authenticated or sessions.replaced_by_login(request.session):
        return redirect(settings.LOGIN_REDIRECT_URL)
    messages.warning(request, expired_message)
    return redirect("accounts-login")


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login_view(request, template="accounts/login.html", then=None):
    """ログイン: 契約者ID and password; ``then(request, contract)`` answers a right pair (by default: the second
    factor, if the contract has one, else the menu). The phone's login passes its own template and answer."""
    if request.method == "POST":
        form = ContractAuthForm(request.POST, actor=request.actor)
        # The pair is checked first, with no transaction open through Argon2's 20 ms; then one transaction,
        # one commit, for all the login writes (counter, audit, nonce, record, session key).
        if form.is_valid():
            with transaction.atomic():
                if form.authenticate():
                    return (then or _after_password)(request, form.contract)
    else:
        form = ContractAuthForm(actor=request.actor)
    return render(request, template, {"form": form})


def _after_password(request, contract):
    pending.clear(request, PENDING_LOGIN)  # an earlier, unfinished login (perhaps of another contract) ends here
    for factor in _second_factors:
        values = factor.required(contract)
        if values is not None:
            pending.put(request, PENDING_LOGIN, contract.pk, *values)
            return redirect(factor.url_name)
    services.contract_login(request=request, contract=contract)
    return redirect(settings.LOGIN_REDIRECT_URL)
