"""What authorizes a contract's transactions (SPEC §5): one registry, nothing else decides.

Each method (ワンタイムパスワード, 資金移動用パスワード, お客様カード) is one
object bringing its label, the form fields it needs and one ``authorize()``
that checks the answer, counts failures, locks at the limit, audits and sends
the lock notice. ``method_for(contract)`` picks the first registered method
that applies: the OTP method (registered by the ``otp`` app, a higher layer)
applies whenever a token is registered; otherwise the contract's own
資金移動用パスワード or card.

The registry is this layer's hook: ``accounts`` never imports ``otp``.
"""

from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from auditlog import audit
from ibank.helpdesk import with_contact
from ibank.text import half_width_digits
from notices.outbox import notify

from . import locks
from .models import Contract, Lock

REQUIRED = _("%(field)sを入力してください。")
TRANSFER_PASSWORD_WRONG = _("資金移動用パスワードが正しくありません。")
CARD_WRONG = _("確認用パスワードが正しくありません。お客様カードの指定された位置の数字を入力してください。")
TRANSACTION_LOCKED = with_contact(
    _(
        "資金移動用パスワード／確認用パスワードの誤りが規定回数に達したため、お取引（振込・収納サービス等）を停止しています。"
    )
)
TRIES_LEFT = _("あと%(count)s回誤るとお取引が停止されます。")
ALREADY_ANSWERED = _("このお取引は既に認証されています。")


@dataclass(frozen=True)
class Outcome:
    """The answer of ``Method.authorize``; ``message`` is what the customer is told on a refusal."""

    ok: bool
    message: str = ""
    #: the form field the message belongs to (None: the whole form)
    field: str | None = None
    #: the method is locked (by this attempt or before it)
    locked: bool = False
    #: a valid answer that was already used (a double submission), not a guess
    reused: bool = False


class Method:
    """One way of authorizing a transaction."""

    key: str = ""
    label = ""
    #: the lead sentence of the authorization step
    instruction = ""
    #: the lock kinds that stop this method (the gate refuses every transaction while one is in force)
    lock_kinds: tuple[str, ...] = ()
    #: the channels this method can be used on (a software token cannot run on a feature phone)
    channels: frozenset[str] = frozenset({"browser", "mobile"})
    #: a raise of the daily limit authorized by this method applies at once (else from 0:00 JST tomorrow)
    raises_limit_at_once = False
    #: on a channel it cannot run on, the next method applies (a passkey on /m/); else the gate refuses
    optional = False
    #: what it authorizes is not held to a new payee's daily cap (a passkey: it cannot be relayed)
    lifts_new_payee_cap = False

    def exempts_hold(self, contract: Contract, lock) -> bool:
        """This method authorizes what the hold ``lock`` refuses (a passkey registered before it began)."""
        return False

    def applies(self, contract: Contract) -> bool:
        raise NotImplementedError

    def token_bound_at(self, contract: Contract):
        """When the token behind this method was registered (the limit's ceiling follows it), or None."""
        return None

    def ceiling_rows(self, contract: Contract) -> list[tuple[type, int, dict]]:
        """(model, pk, {column: value}): the rows the ceiling was decided from, as read (a money movement
        holds them unchanged until it commits)."""
        return []

    def forget(self, contract: Contract) -> None:
        """Drop what this method read of ``contract`` (a question asked again reads afresh)."""

    def locked_message(self, contract: Contract, kind: str) -> str:
        """The customer's message while a lock of ``kind`` (one of ``lock_kinds``) is in force."""
        raise NotImplementedError

    def add_fields(self, form: forms.Form, contract: Contract) -> list[str]:
        """Add this method's fields to ``form``; returns their names."""
        raise NotImplementedError

    def authorize(self, *, actor, contract: Contract, data: dict, action: str, **detail) -> Outcome:
        """Check the answer in ``data`` (the cleaned fields of ``add_fields``). Every attempt is audited."""
        raise NotImplementedError


def _digit_field(label, *, max_length: int, size: int) -> forms.CharField:
    return forms.CharField(
        label=label,
        strip=False,
        widget=forms.PasswordInput(
            attrs={"inputmode": "numeric", "maxlength": str(max_length), "size": str(size), "autocomplete": "off"}
        ),
        error_messages={"required": REQUIRED % {"field": label}},
    )


class _SecretMethod(Method):
    """資金移動用パスワード and お客様カード: the contract's own secret, with the transaction lock."""

    wrong_message = ""
    lock_kinds = (Lock.Kind.TRANSACTION,)

    def applies(self, contract: Contract) -> bool:
        return contract.transaction_method == self.key

    def locked_message(self, contract: Contract, kind: str) -> str:
        return TRANSACTION_LOCKED

    def check(self, data: dict, contract: Contract) -> str:
        """``"ok"``, ``"wrong"`` or ``"reused"`` (the right answer sent again: a double submission)."""
        raise NotImplementedError

    @sensitive_variables("data")
    def authorize(self, *, actor, contract: Contract, data: dict, action: str, **detail) -> Outcome:
        """Check the answer; count a wrong one and lock at the limit in one statement with the guess, so
        that a burst is never evaluated past the limit and a right answer after the lock is refused."""
        # A card challenge consumed commits with its accepted entry: a twin request that finds the challenge
        # answered finds the entry too (accounts.steps: a double click then goes on as the first did).
        with transaction.atomic():
            result = self.check(data, contract)
            if result == "ok" and locks.accept(
                model=Contract,
                pk=contract.pk,
                field="transaction_failures",
                contract_id=contract.pk,
                guard=self.lock_kinds,
                limit=settings.IBANK_TRANSACTION_MAX_FAILURES,
            ):
                audit.record(actor, action, ok=True, contract=contract, method=self.key, **detail)
                return Outcome(True)
        if result == "reused":
            audit.record(actor, action, ok=False, contract=contract, reason="reused", method=self.key, **detail)
            return Outcome(False, ALREADY_ANSWERED, reused=True)
        counted = None
        if result != "ok":
            counted = locks.count_contract_failure(
                actor,
                contract,
                field="transaction_failures",
                kind=Lock.Kind.TRANSACTION,
                limit=settings.IBANK_TRANSACTION_MAX_FAILURES,
                on_locked=lambda: _locked(actor, contract),
            )
        if counted is None or not counted.counted:  # a lock was in force (set by a guess that raced this one)
            audit.record(actor, action, ok=False, contract=contract, reason="locked", method=self.key, **detail)
            return Outcome(False, TRANSACTION_LOCKED, locked=True)
        contract.transaction_failures = counted.failures
        audit.record(
            actor,
            action,
            ok=False,
            contract=contract,
            reason="wrong",
            method=self.key,
            failures=counted.failures,
            **detail,
        )
        locks.forget(contract)
        if counted.failures >= settings.IBANK_TRANSACTION_MAX_FAILURES:
            return Outcome(False, TRANSACTION_LOCKED, locked=True)
        message = self.wrong_message
        left = settings.IBANK_TRANSACTION_MAX_FAILURES - counted.failures
        if left <= 2:
            message = f"{message}{TRIES_LEFT % {'count': left}}"  # Japanese joins sentences without a space
        return Outcome(False, message, field=self.first_field)


def _locked(actor, contract: Contract) -> None:
    """The transaction lock was just set: audited and told, in the transaction that set it."""
    audit.record(actor, "transaction.lock", ok=True, contract=contract, reason="too_many_failures")
    notify(contract, "transaction_locked")


class TransferPasswordMethod(_SecretMethod):
    key = Contract.Method.TRANSFER_PASSWORD
    label = _("資金移動用パスワード")
    instruction = _("資金移動用パスワードを入力してください。")
    wrong_message = TRANSFER_PASSWORD_WRONG
    first_field = "transfer_password"

    def add_fields(self, form, contract):
        form.fields["transfer_password"] = _digit_field(_("資金移動用パスワード"), max_length=8, size=10)
        return ["transfer_password"]

    @sensitive_variables("data")
    def check(self, data, contract):
        return "ok" if contract.check_transfer_password(half_width_digits(data["transfer_password"])) else "wrong"


class _AskedCells(forms.CharField):
    """The cells a card page asks, sent back with the answer (templates/includes/secret_fields.html). It always
    shows the cells asked now, never those posted: a page shown again after a refusal sends back the cells
    its labels name."""

    widget = forms.HiddenInput

    def bound_data(self, data, initial):
        return initial


class CardMethod(_SecretMethod):
    key = Contract.Method.CARD
    label = _("確認用パスワード（お客様カード）")
    instruction = _("お客様カードの指定された位置の数字（確認用パスワード）を入力してください。")
    wrong_message = CARD_WRONG
    first_field = "card_0"

    def add_fields(self, form, contract):
        # The challenge is kept until answered: a reload draws no new cells. The page sends back which cells
        # it asked for, so that the same right answer sent twice is recognised as such, not as a guess.
        form.asked_cells = contract.card_challenge_cells()
        form.fields["card_cells"] = _AskedCells(required=False, initial=" ".join(form.asked_cells))
        names = []
        for i, cell in enumerate(form.asked_cells):
            label = _("確認用パスワード（%(cell)s）") % {"cell": cell}
            form.fields[f"card_{i}"] = _digit_field(label, max_length=1, size=2)
            form.fields[f"card_{i}"].widget.attrs["class"] = "digit"
            names.append(f"card_{i}")
        return names

    @sensitive_variables("data", "answer")
    def check(self, data, contract):
        cells = data.get("card_cells") or contract.card_challenge
        answer = "".join(half_width_digits(data.get(f"card_{i}", "")) for i in range(len(cells.split())))
        return contract.card_answer_outcome(answer, cells)


_registry: list[Method] = []


def register(method: Method, *, first: bool = False) -> None:
    """Add ``method``; ``first`` puts it before the others (the OTP wins whenever it applies)."""
    if any(m.key == method.key for m in _registry):
        return
    if first:
        _registry.insert(0, method)
    else:
        _registry.append(method)


def method_for(contract: Contract, channel: str = "browser", *, after: Method | None = None) -> Method:
    """The one method that authorizes ``contract``'s transactions now on ``channel`` (``after``: the one
    that would apply if ``after`` did not)."""
    methods = _registry[_registry.index(after) + 1 :] if after is not None else _registry
    for method in methods:
        if method.applies(contract) and not (method.optional and channel not in method.channels):
            return method
    raise LookupError(f"no authorization method for contract {contract.pk}")


def forget(contract: Contract) -> None:
    """Every method forgets what it read of ``contract``."""
    for method in _registry:
        method.forget(contract)


def own_secret_method(contract: Contract) -> Method:
    """The contract's own 資金移動用パスワード or card, whatever token it has (registration asks for it)."""
    return next(m for m in _registry if isinstance(m, _SecretMethod) and m.applies(contract))


register(TransferPasswordMethod())
register(CardMethod())


class AuthorizationForm(forms.Form):
    """The authorization step: the fields of ``method``; ``authorize()`` is called by the view or service."""

    #: the お客様カード cells asked this time (the card method sets them; its hidden field "card_cells" carries
    #: them back, and a template's form.card_cells is that field)
    asked_cells: tuple = ()

    def __init__(self, *args, method: Method, contract: Contract, detail: dict | None = None, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.method = method
        self.contract = contract
        #: what is being authorized, and the request showing it (a passkey binds its challenge to them)
        self.detail, self.request = detail or {}, request
        self.secret_fields = method.add_fields(self, contract)

    def apply(self, outcome: Outcome) -> None:
        """Show a refusal on the form."""
        if not outcome.ok:
            self.add_error(outcome.field if outcome.field in self.fields else None, outcome.message)
