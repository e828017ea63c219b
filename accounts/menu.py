"""The customer's menu (メニュー): balances, the last logins, the authorization method and what it may do now.

Higher rooms add what they show through :func:`register_panel` (otp: the token), so this layer imports
nothing above it. What the menu offers is the gate's answer.
"""

from collections.abc import Callable

from django.shortcuts import render

from . import authorization, gate, holds, services
from .decorators import customer_required

_panels: list[Callable] = []


def register_panel(panel: Callable) -> None:
    """``panel(contract) -> dict``: context the menu page shows (read once per page)."""
    if panel not in _panels:
        _panels.append(panel)


@customer_required
def menu_view(request):
    contract = request.contract
    panels = {}
    for panel in _panels:  # what higher rooms show (otp: the token)
        panels.update(panel(contract))
    method = authorization.method_for(contract)
    answer = gate.may(contract, gate.Action.TRANSFER)
    return render(
        request,
        "transfers/menu.html",
        {
            "contract": contract,
            "accounts": contract.own_accounts(),
            **panels,
            "token_lock": "" if answer else answer.kind,
            "holds": [holds.message(lock) for lock in holds.in_force(contract)],
            "authorization_label": method.label,
            "authorization_locked": not answer,
            "authorization_locked_message": "" if answer else answer.message,
            "previous_logins": services.previous_logins(request, contract),
            "has_transfer_password": gate.offers(contract, gate.Action.TRANSFER_PASSWORD_CHANGE),
        },
    )
