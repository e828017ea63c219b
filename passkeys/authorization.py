"""The passkey as an authorization method (issue 17): registered first, it applies on the browser whenever the
contract has a passkey; on /m/ the contract's other method applies. Its challenge is bound to what is
authorized (passkeys.ceremony), and a passkey registered before a hold began authorizes what the hold
refuses (a relayed code cannot: the passkey is bound to our origin)."""

from django import forms
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from accounts import authorization, gate
from accounts.authorization import Outcome
from accounts.models import Contract
from auditlog import audit

from . import ceremony

REFUSED = {
    "changed": _("お取引の内容が認証の準備の後に変わったか、時間が経過しました。もう一度認証してください。"),
    "reused": _("このパスキーの認証は既に使われています。もう一度認証してください。"),
    "invalid": _("パスキーで認証できませんでした。もう一度お試しください。"),
}
REQUIRED = _("「パスキーで認証する」ボタンを押して、パスキーで認証してください。")


class PageChallenge:
    """The challenge the page being shown offers (its ``id`` for the form, its ``options`` for the button),
    made when the page is rendered: on the first GET, and again on the page shown after a refused answer,
    whose challenge is used, expired or another transaction's. An answer that is accepted renders no page
    and makes none."""

    def __init__(self, request, contract: Contract, detail: dict):
        self.request, self.contract, self.detail = request, contract, detail

    @cached_property
    def _made(self) -> tuple[int, str]:
        return ceremony.transaction_options(self.request, self.contract, self.detail)

    @property
    def id(self) -> int:
        return self._made[0]

    @property
    def options(self) -> str:
        return self._made[1]


class PasskeyMethod(authorization.Method):
    key = "passkey"
    label = _("パスキー")
    instruction = _(
        "お取引の内容（振込先・金額）をご確認のうえ、「パスキーで認証する」ボタンを押し、"
        "お使いの端末の画面ロック（指紋・顔・PIN）で認証してください。"
    )
    channels = frozenset({gate.Channel.BROWSER})
    optional = True  # on /m/ the contract's other method applies
    lifts_new_payee_cap = True

    def applies(self, contract: Contract) -> bool:
        return ceremony.has_passkey(contract)  # a column of the contract: no query

    def _next(self, contract: Contract) -> authorization.Method:
        return authorization.method_for(contract, after=self)

    # The limit's ceiling and a raise follow the contract's other method (its token, or none).
    def token_bound_at(self, contract):
        return self._next(contract).token_bound_at(contract)

    def ceiling_rows(self, contract):
        return self._next(contract).ceiling_rows(contract)

    def exempts_hold(self, contract, lock) -> bool:
        return ceremony.credentials(contract).filter(created_at__lt=lock.set_at).exists()

    def add_fields(self, form, contract):
        form.fields["passkey_challenge"] = forms.CharField(widget=forms.HiddenInput, required=False)
        form.fields["passkey_assertion"] = forms.CharField(
            widget=forms.HiddenInput, required=True, error_messages={"required": REQUIRED}
        )
        if form.request is not None:
            form.passkey = PageChallenge(form.request, contract, form.detail)
        return []

    def authorize(self, *, actor, contract: Contract, data: dict, action: str, **detail) -> Outcome:
        def accepted(device):
            audit.record(actor, action, ok=True, contract=contract, method=self.key, passkey=device.pk, **detail)

        challenge, assertion = data["passkey_challenge"], data["passkey_assertion"]
        try:
            ceremony.verify_transaction(contract, detail, challenge, assertion, then=accepted)
        except ceremony.Refused as refused:
            audit.record(actor, action, ok=False, contract=contract, reason=refused.reason, method=self.key, **detail)
            return Outcome(False, REFUSED[refused.reason], reused=refused.reason == "reused")
        return Outcome(True)

    @property
    def raises_limit_at_once(self):  # a raise authorized by a passkey applies at once, like the OTP's
        return True


METHOD = PasskeyMethod()
