"""What differs between the channels that show payments (the browser IB and the feature-phone IB at /m/):
URL names, templates, the menu, the gate's channel; and the session keys of the steps both use. Not a view:
views of both channels import it."""

from dataclasses import dataclass

from django.shortcuts import render

from accounts import gate

#: [reference, digest, started at]: what 確認 of a 振込 fixed, kept server-side until 実行.
TRANSFER_CONFIRMED_KEY = "_ibank_transfer_confirmed"


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


def channel_refused(request, ui: UI, action: gate.Action = gate.Action.PAYEASY):
    """A page refusing ``action`` on this channel, as the gate decides (a token holder on /m/, SPEC §6)."""
    answer = gate.may(request.contract, action, channel=ui.channel)
    if not answer and answer.kind == "channel":
        return render(request, ui.template("refused.html"), {"message": answer.message}, status=403)
    return None
