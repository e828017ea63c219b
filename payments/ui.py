"""What differs between the channels that show payments (the browser IB and the feature-phone IB at /m/):
URL names, templates, the menu, the gate's channel; and the session keys of the steps both use. Not a view:
views of both channels import it."""

from dataclasses import dataclass

from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from accounts import gate, holds
from accounts.models import Lock
from accounts.steps import authorization_step, result_once_authorized

from . import drafts, new_payees

#: [reference, digest, started at]: what 確認 of a 振込 fixed, kept server-side until 実行.
TRANSFER_CONFIRMED_KEY = "_ibank_transfer_confirmed"
#: 認証 of a transfer never confirmed (a typed or stale URL), on either channel
NOT_CONFIRMED = _("お振込の内容を確認してから、認証に進んでください。")


@dataclass(frozen=True)
class UI:
    """What differs between the channels: URL names, templates, the menu, and who may transact."""

    prefix: str
    templates: str
    menu: str
    channel: gate.Channel = gate.Channel.BROWSER

    def url(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def template(self, name: str) -> str:
        return f"{self.templates}/{name}"


BROWSER = UI(prefix="", templates="transfers", menu="accounts-menu")


def own_transfer(request, reference):
    """The logged-in contract's transfer with this 受付番号 (its accounts loaded), or 404, on either channel."""
    transfer = drafts.own_transfer(request.contract, reference)
    if transfer is None:
        raise Http404
    return transfer


def refused_here(request, ui: UI, action: gate.Action = gate.Action.PAYEASY):
    """The page refusing ``action`` here and now, as the gate decides, for what nothing typed on the form could
    change: this channel (a token holder on /m/, SPEC §6), a lock of the contract's authorization method
    (取引認証停止, the OTP's, 紛失届), the contract's state. Told before the customer types a whole 振込, not
    at its 認証. None when the gate allows it, or when only a hold or the day's Pay-easy block refuses: the
    pages of those tell them (a hold stops only a new payee, known once the payee is entered)."""
    answer = gate.may(request.contract, action, channel=ui.channel)
    if answer or answer.kind in holds.KINDS or answer.kind == Lock.Kind.PAYEASY:
        return None
    return refusal(request, ui, answer)


def refusal(request, ui: UI, answer: gate.Refused):
    """The gate's refusal ``answer`` as a page of this channel: 403 for a door this channel never opens, 200
    for the contract's state now (a lock, as the Pay-easy block's page)."""
    status = 403 if answer.kind == "channel" else 200
    return render(request, ui.template("refused.html"), {"message": answer.message, "steps": None}, status=status)


def authorize_transfer(
    request, transfer, digest: str, *, template: str, result: str, on_success, context, channel=None
):
    """認証 of a confirmed 振込 on either channel (accounts.steps.authorization_step): the gate asked for a new
    payee's action when it is one, the step bound to the 受付番号 and the digest of 確認, and once authorized
    the transfer's result (``result``, a URL name) instead."""
    return authorization_step(
        request,
        template,
        action=new_payees.action(request.contract, transfer),
        audit_action="transfer.authorize",
        channel=channel,
        on_success=on_success,
        on_reused=result_once_authorized(transfer, result),
        context=context,
        detail={"reference": transfer.reference, "digest": digest},
        bound_to=transfer,
    )
