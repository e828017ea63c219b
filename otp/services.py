"""Writes of the token side: issuance here; registration, exchange and stop with the flows."""

import secrets

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from accounts import gate, holds, locks
from accounts.models import Contract, Lock
from auditlog import audit
from ibank import clock
from ibank.counters import count_failure
from notices.outbox import mask_token_id, notify

from . import tokenid, totp, verifier
from .conf import otp_settings
from .messages import message_for
from .models import SoftwareToken, TokenBinding, TokenType
from .verifier import Outcome, verify


class IssuingClosed(Exception):
    """New tokens of this type are no longer issued (SPEC §3, type policy)."""


def token_issue(*, kind: str, actor=None) -> tuple[SoftwareToken, bytes]:
    """Create a token of ``kind`` with a random 160-bit key; returns the token and its key.

    The key is handed to the token app once (QR code or desktop page) and is
    otherwise only stored encrypted. Token IDs are random within the type's
    prefix, so they cannot be enumerated from one another.
    """
    token_type = TokenType.objects.policy(kind)
    if not token_type.can_issue():
        raise IssuingClosed(kind)
    key = totp.new_secret()
    for _attempt in range(20):
        token = SoftwareToken(
            token_id=tokenid.make(token_type.prefix, secrets.randbelow(10_000_000)),
            token_type=token_type,
            expires_at=SoftwareToken.unregistered_expiry(),
        )
        token.set_key(key)
        try:
            with transaction.atomic():
                token.save()
        except IntegrityError:  # that token ID exists already: draw another
            continue
        audit.record(actor, "token.issue", ok=True, token_id=token.token_id, kind=kind)
        return token, key
    raise RuntimeError(f"no free token ID for {kind} after 20 draws")


# -- registration, exchange, stop (SPEC §4.2–§4.4) ---------------------------


class TokenFlowError(Exception):
    """A refusal the customer is told about; ``field`` names the form field it concerns."""

    message = _("処理を完了できませんでした。最初からやり直してください。")
    field = None


class TokenIdError(TokenFlowError):
    """A refusal of the token ID entered."""

    field = "token_id"


class TokenUnknown(TokenIdError):
    message = _("入力されたトークンIDのトークンは発行されていません。トークンIDをご確認ください。")


class TokenAlreadyBound(TokenIdError):
    message = _("このトークンIDは既に利用登録されているため、登録できません。")


class TokenInUse(TokenIdError):
    message = _(
        "入力されたトークンIDは、現在ご利用中のトークンです。交換先となる新しいトークンのトークンIDを入力してください。"
    )


class TokenRegistrationExpired(TokenIdError):
    message = _("このトークンは登録期限を過ぎているため、登録できません。新しいトークンを発行してください。")


class TokenTypeNotUsable(TokenIdError):
    message = _("この種類のトークンは利用期限を過ぎているため、登録できません。新しいトークンを発行してください。")


class TokenLocked(TokenIdError):
    message = _(
        "このトークンは誤ったワンタイムパスワードが規定回数入力されたため、登録できません。"
        "新しいトークンを発行してください。"
    )


class TokenSetupLocked(TokenFlowError):
    message = gate.TOKEN_SETUP_LOCKED

    def __init__(self, message=None):
        super().__init__()
        if message is not None:
            self.message = message


class ContractHasToken(TokenFlowError):
    message = _(
        "既にソフトウェアトークンが利用登録されています。1契約者1ソフトウェアトークンとなります。"
        "交換する場合は、最初からやり直してください。"
    )


class TokenChanged(TokenFlowError):
    message = _("ソフトウェアトークンの登録内容が変更されたため、処理を中止しました。最初からやり直してください。")


class OtpRefused(TokenFlowError):
    field = "otp"

    def __init__(self, result):
        super().__init__(result.outcome)
        self.result = result
        self.message = message_for(result)


class _Rollback(Exception):
    def __init__(self, result):
        self.result = result


def registrable_token(token_id: str, *, lock: bool = False, contract: Contract | None = None) -> SoftwareToken:
    """The issued, never-bound, unexpired token ``token_id``, or a TokenFlowError saying why not.

    ``contract``: the contract registering it; its own current token gets its own message (交換).
    """
    queryset = SoftwareToken.objects.select_related("token_type")
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    token = queryset.filter(token_id=token_id).first()
    if token is None:
        raise TokenUnknown
    if contract is not None and TokenBinding.objects.filter(contract=contract, software_token=token).exists():
        raise TokenInUse
    if token.status == SoftwareToken.Status.LOCKED:
        raise TokenLocked
    if token.status != SoftwareToken.Status.ISSUED:
        raise TokenAlreadyBound
    if not token.is_registrable():
        raise TokenRegistrationExpired
    if not token.token_type.is_usable():
        raise TokenTypeNotUsable
    return token


def token_id_check(*, actor, contract: Contract, token_id: str) -> SoftwareToken:
    """The token ID a customer typed at 利用登録 / 交換, checked before any code; a refusal is audited."""
    try:
        return registrable_token(token_id, contract=contract)
    except TokenFlowError as error:
        reason = type(error).__name__
        audit.record(actor, "token_id.check", ok=False, contract=contract, reason=reason, token_id=token_id)
        raise


def _verify_or_rollback(binding_pk: int, code: str, *, actor, action: str) -> None:
    result = verify(verifier.load(binding_pk), code, actor=actor, action=action)
    if not result.ok:
        raise _Rollback(result)


def _refused(actor, action: str, contract: Contract, token_id: str, refused: _Rollback) -> TokenFlowError:
    """Record a refused new-token code after the rollback, and count a wrong one.

    The binding that the code was checked against was rolled back, so its own
    counter was too: wrong codes here count on the contract and on the token
    instead (an attacker guessing someone else's issued token), each locking at
    the OTP limit.
    """
    result = refused.result
    audit.record(actor, action, ok=False, contract=contract, reason=result.outcome.value, token_id=token_id)
    if result.outcome is not Outcome.WRONG:
        return OtpRefused(result)
    limit = otp_settings.IBANK_OTP_MAX_FAILURES
    token_pk = SoftwareToken.objects.filter(token_id=token_id).values_list("pk", flat=True).first()
    if token_pk is not None and count_failure(
        SoftwareToken, token_pk, count_field="setup_failures", locked_field="setup_locked_at", limit=limit
    ):
        SoftwareToken.objects.filter(pk=token_pk, status=SoftwareToken.Status.ISSUED).update(
            status=SoftwareToken.Status.LOCKED
        )
        audit.record(actor, "token.setup_lock", ok=True, contract=contract, token_id=token_id)
    counted = locks.count_contract_failure(
        actor,
        contract,
        field="token_setup_failures",
        kind=Lock.Kind.TOKEN_SETUP,
        limit=limit,
        on_locked=lambda: _setup_locked(actor, contract),
    )
    if not counted.counted or counted.failures >= limit:
        return TokenSetupLocked()
    token_locked = SoftwareToken.objects.filter(pk=token_pk, status=SoftwareToken.Status.LOCKED).exists()
    return TokenLocked() if token_locked else OtpRefused(result)


def _setup_locked(actor, contract: Contract) -> None:
    """Token setup was just locked: audited and told, in the transaction that set the lock."""
    audit.record(actor, "register.lock", ok=True, contract=contract, reason="too_many_failures")
    notify(contract, "token_setup_locked")


def _check_setup_allowed(contract: Contract, action: gate.Action) -> None:
    refused = gate.ask_again(contract, action)  # under the contract's row lock: the latest state
    if not refused:
        raise TokenSetupLocked(refused.message)


def _setup_succeeded(contract: Contract) -> None:
    guard = (Lock.Kind.TOKEN_SETUP,)
    limit = otp_settings.IBANK_OTP_MAX_FAILURES
    if not locks.accept(
        model=Contract, pk=contract.pk, field="token_setup_failures", contract_id=contract.pk, guard=guard, limit=limit
    ):
        raise TokenSetupLocked


def token_register(*, actor, contract: Contract, token_id: str, code: str, login_otp: bool) -> TokenBinding:
    """Bind ``token_id`` to ``contract``; ``code`` proves possession and is consumed.

    One token per contract and one contract per token: the rows are locked and
    the database's unique constraints hold the rule against any race.
    """
    try:
        with transaction.atomic():
            contract.lock_row()
            _check_setup_allowed(contract, gate.Action.TOKEN_REGISTER)
            if TokenBinding.objects.filter(contract=contract).exists():
                raise ContractHasToken
            token = registrable_token(token_id, lock=True)
            try:
                with transaction.atomic():
                    binding = TokenBinding.objects.bind(contract, token, login_otp=login_otp)
            except IntegrityError:  # a concurrent registration won (no row lock on SQLite)
                raise ContractHasToken from None
            _verify_or_rollback(binding.pk, code, actor=actor, action="register.otp")
            _setup_succeeded(contract)
            SoftwareToken.objects.filter(pk=token.pk).update(status=SoftwareToken.Status.ACTIVE)
            audit.record(
                actor, "token.register", ok=True, contract=contract, token_id=token.token_id, login_otp=login_otp
            )
            hold = holds.after_change(contract, reason="token_register", actor=actor)
            notify(contract, "token_registered", token_id=mask_token_id(token.token_id), login_otp=login_otp, hold=hold)
    except _Rollback as refused:
        raise _refused(actor, "register.otp", contract, token_id, refused) from None
    return binding


def bound_by_twin(
    *, actor, contract: Contract, token_id: str, code: str, action: str, exchanged_from: int | None = None
) -> TokenBinding | None:
    """After a refused registration or exchange of ``token_id``: the binding its double submission's first
    request made, when it was one — the token is the contract's now (and not the one an exchange started
    from, ``exchanged_from``) and ``code`` is its right code, already used. Asked of the verifier, so that a
    wrong code counts like any other guess; else None."""
    binding = TokenBinding.objects.for_verify().filter(contract=contract, software_token__token_id=token_id).first()
    if binding is None or binding.software_token_id == exchanged_from:
        return None
    return binding if verify(binding, code, actor=actor, action=action).outcome is Outcome.REUSED else None


def token_exchange(*, actor, contract: Contract, old_token_pk: int, new_token_id: str, code: str) -> TokenBinding:
    """Swap the contract's token for ``new_token_id`` in one UPDATE: never zero or two tokens.

    ``old_token_pk`` is the token whose code the customer entered in the
    previous step; if the binding changed since, nothing happens.
    """
    try:
        with transaction.atomic():
            contract.lock_row()
            _check_setup_allowed(contract, gate.Action.TOKEN_EXCHANGE)
            binding = (
                TokenBinding.objects.select_for_update()
                .filter(contract=contract, software_token_id=old_token_pk)
                .first()
            )
            if binding is None:
                raise TokenChanged
            new_token = registrable_token(new_token_id, lock=True)
            old_token = SoftwareToken.objects.get(pk=old_token_pk)
            TokenBinding.objects.filter(pk=binding.pk).update(
                software_token=new_token,
                name=new_token.token_id,
                last_step=-1,
                drift=0,
                failures=0,
                bound_at=clock.now(),
            )
            _verify_or_rollback(binding.pk, code, actor=actor, action="exchange.otp")
            _setup_succeeded(contract)
            SoftwareToken.objects.filter(pk=new_token.pk).update(status=SoftwareToken.Status.ACTIVE)
            SoftwareToken.objects.filter(pk=old_token.pk).update(status=SoftwareToken.Status.RETIRED)
            audit.record(
                actor,
                "token.exchange",
                ok=True,
                contract=contract,
                token_id=new_token.token_id,
                old_token_id=old_token.token_id,
            )
            hold = holds.after_change(contract, reason="token_exchange", actor=actor)
            notify(
                contract,
                "token_exchanged",
                token_id=mask_token_id(new_token.token_id),
                old_token_id=mask_token_id(old_token.token_id),
                hold=hold,
            )
    except _Rollback as refused:
        raise _refused(actor, "exchange.otp", contract, new_token_id, refused) from None
    binding.refresh_from_db()
    return binding


@transaction.atomic
def token_stop(*, actor, contract: Contract, token_pk: int) -> None:
    """Unbind the contract's token (whose code was just verified); it can never be registered again."""
    contract.lock_row()
    binding = TokenBinding.objects.select_for_update().filter(contract=contract, software_token_id=token_pk).first()
    if binding is None:
        raise TokenChanged
    token_id = unbind(binding)
    audit.record(actor, "token.stop", ok=True, contract=contract, token_id=token_id)
    notify(contract, "token_stopped", token_id=mask_token_id(token_id))


def unbind(binding: TokenBinding) -> str:
    """Remove the binding and retire its token for good; returns the token ID."""
    token_pk = binding.software_token_id
    token_id = SoftwareToken.objects.values_list("token_id", flat=True).get(pk=token_pk)
    binding.delete()
    SoftwareToken.objects.filter(pk=token_pk).update(status=SoftwareToken.Status.RETIRED)
    return token_id


def login_otp_cancel(*, actor, contract: Contract) -> None:
    """中止 at the login's code step: the pending login ends (the view clears it); audited."""
    audit.record(actor, "login.otp", ok=False, contract=contract, reason="cancelled")


@transaction.atomic
def token_type_save(*, actor, token_type: TokenType, changes: dict) -> None:
    """Staff change a token type's policy (issuing, end of use); audited with each field's old and new value
    (``changes``: field → [old, new])."""
    token_type.save()
    written = {name: [None if v is None else str(v) for v in pair] for name, pair in changes.items()}
    audit.record(actor, "token_type.change", ok=True, kind=token_type.kind, changed=written)
