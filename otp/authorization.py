"""The ワンタイムパスワード authorization method, registered in accounts' registry by OtpConfig.ready()."""

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from accounts import authorization, backends, gate, menu
from accounts.models import Contract, Lock

from . import rules
from .forms import OtpField
from .messages import TOKEN_EXPIRED, message_for
from .models import TokenBinding
from .verifier import Outcome, verify

#: Contract.token_binding: the binding loaded with the request's user, when it was.
_LOADED = Contract.token_binding


class OtpMethod(authorization.Method):
    """Applies whenever the contract has a registered token (SPEC §5): the OTP then authorizes everything."""

    key = "otp"
    label = _("ワンタイムパスワード")
    instruction = format_lazy(
        "{}{}",
        _("ソフトウェアトークンに表示されているワンタイムパスワードを入力してください。"),
        _(
            "デスクトップ型トークンには、このワンタイムパスワードで認証するお取引（振込先・金額）が表示されます。"
            "この画面の内容と同じことをお確かめください。"
        ),
    )

    def _binding(self, contract: Contract):
        """The contract's binding, read once per request's contract object (a page asks several questions of
        it): loaded with the request's user (accounts.backends.load_with_user), or else read here."""
        if not hasattr(contract, "_authorization_binding"):
            if _LOADED.is_cached(contract):
                binding = _LOADED.related.get_cached_value(contract)  # None: the contract has no token
            else:
                binding = TokenBinding.objects.for_verify().filter(contract=contract).first()
            contract._authorization_binding = binding
        return contract._authorization_binding

    lock_kinds = rules.LOCK_KINDS
    channels = frozenset({gate.Channel.BROWSER})
    raises_limit_at_once = True

    def applies(self, contract: Contract) -> bool:
        return self._binding(contract) is not None

    def token_bound_at(self, contract: Contract):
        return self._binding(contract).bound_at

    def ceiling_rows(self, contract: Contract):
        binding = self._binding(contract)
        return [(TokenBinding, binding.pk, {"bound_at": binding.bound_at})]

    def forget(self, contract: Contract) -> None:
        contract.__dict__.pop("_authorization_binding", None)
        if _LOADED.is_cached(contract):
            _LOADED.related.delete_cached_value(contract)

    def locked_message(self, contract: Contract, kind: str) -> str:
        return rules.LOCKED_MESSAGES[kind]

    def add_fields(self, form, contract):
        form.fields["otp"] = OtpField()
        form.fields["otp"].error_messages["required"] = authorization.REQUIRED % {"field": _("ワンタイムパスワード")}
        return ["otp"]

    def authorize(self, *, actor, contract, data, action, **detail):
        # The binding this request read already (the gate asked about it): the verifier decides with a
        # conditional UPDATE against the row as it is now, so an earlier read in the request is as good.
        binding = self._binding(contract)
        if binding is None:  # stopped meanwhile: nothing to authorize with
            return authorization.Outcome(False, _("ワンタイムパスワードの利用登録がありません。"))
        result = verify(binding, data["otp"], actor=actor, action=action, **detail)
        if result.ok:
            return authorization.Outcome(True)
        locked = result.now_locked or result.outcome in (Outcome.LOCKED, Outcome.LOST)
        field = None if locked or result.outcome is Outcome.TOKEN_EXPIRED else "otp"
        return authorization.Outcome(
            False, message_for(result), field=field, locked=locked, reused=result.outcome is Outcome.REUSED
        )


def token_panel(contract: Contract) -> dict:
    """The menu's ワンタイムパスワード panel: the token (read once: the authorization method reuses it), and
    whether its type's end of use (利用期限) has passed."""
    binding = OtpMethod()._binding(contract)
    expired = binding is not None and not binding.software_token.token_type.is_usable()
    return {"binding": binding, "token_expired": expired, "token_expired_message": TOKEN_EXPIRED}


def register() -> None:
    authorization.register(OtpMethod(), first=True)
    gate.rule(rules.token_rule)
    menu.register_panel(token_panel)
    from accounts import login as accounts_login
    from accounts import services as account_services

    from .login import SECOND_FACTOR

    accounts_login.register_second_factor(SECOND_FACTOR)
    backends.load_with_user("contract__token_binding__software_token__token_type")
    account_services.load_with_contract("token_binding")
    from accounts import locks

    from .models import TokenBinding

    locks.register_kind(Lock.Kind.OTP, _("ワンタイムパスワード停止"), counter=(TokenBinding, "failures"))
