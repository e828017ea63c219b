"""Branch operations (SPEC §7): each one a service with a required 理由 (and, from a paper form, its
届出書番号), a permission, an audit entry naming the staff member, and a notice where the customer
should know. The admin only collects the reason and reference and calls these.
"""

import functools

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from accounts import holds, limits, locks, passwords
from accounts.models import Contract, Lock
from auditlog import audit
from ibank import clock
from ibank.text import ascii_number, half_width_digits
from notices.outbox import notify
from otp import lost
from otp import services as otp_services
from otp.models import TokenBinding
from passkeys import ceremony as passkey_ceremony

from .models import TokenResetRequest

REASON_REQUIRED = _("理由を入力してください。")
REFERENCE_REQUIRED = _("届出書番号を入力してください。")
NOT_ALLOWED = _("この操作を行う権限がありません。")
OWN_REQUEST = _("ご自身が依頼したリセットは承認できません。別の役席が承認してください。")
ALREADY_DECIDED = _("この依頼は既に処理されています。")
ALREADY_PENDING = _("このお客様には承認待ちのトークンIDリセット依頼があります。")
HAS_TOKEN = _(
    "ワンタイムパスワードの利用登録があるため、IB解約はできません。"
    "お客様ご自身で、先にワンタイムパスワードの利用停止を行っていただく必要があります。"
)
HAS_LOST_TOKEN = _(
    "紛失届を受け付けたトークンの利用登録があるため、IB解約はできません。"
    "お客様は利用停止を行えませんので、先にトークンIDのリセットを依頼し（窓口担当）、承認（役席）を受けてから解約してください。"
)
NOTHING_TO_LIFT = _("解除する停止がありません。")
ALREADY_CANCELLED = _("このご契約は解約済みです。")
ALREADY_LOST = _("このお客様のトークンの紛失届は受付済みです。")
NOTHING_TO_RESET = _(
    "このお客様のトークンは既に利用停止されているため、リセットするものがありません。依頼を否認してください。"
)
TOKEN_CHANGED = _(
    "依頼の後にトークンが交換・再登録されたため、依頼のトークンはリセットできません。依頼を否認してください。"
)
NO_TOKEN = _("このお客様にはワンタイムパスワードの利用登録がないため、トークンIDのリセットはできません。")


class OperationRefused(Exception):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def may(staff, permission: str) -> bool:
    """Whether ``staff`` holds the branch ``permission`` (request_token_reset, approve_token_reset,
    operate_contract) and may use it now."""
    return staff.is_active and staff.is_staff and staff.has_perm(f"branch.{permission}")


def _requires(permission: str):
    """Declares the branch ``permission`` a service requires, once: the service refuses staff without it, and
    the admin reads ``service.permission`` to offer only what a staff member may do."""

    def decorate(service):
        @functools.wraps(service)
        def permitted(*, staff, **kwargs):
            if not may(staff, permission):
                raise OperationRefused(NOT_ALLOWED)
            return service(staff=staff, **kwargs)

        permitted.permission = permission
        return permitted

    return decorate


def _filled_in(reason: str, reference: str | None = None) -> None:
    if not reason.strip():
        raise OperationRefused(REASON_REQUIRED)
    if reference is not None and not reference.strip():
        raise OperationRefused(REFERENCE_REQUIRED)


# -- トークンIDのリセット (maker–checker) ---------------------------------------------


@_requires("request_token_reset")
@transaction.atomic
def token_reset_request(*, actor, staff, contract: Contract, reason: str, reference: str) -> TokenResetRequest:
    """窓口担当 enters the written request; a different 役席 approves it. Refused without a token: an approval
    would reset nothing and still hold the contract as after a change of credentials."""
    _filled_in(reason, reference)
    token_pk = TokenBinding.objects.filter(contract=contract).values_list("software_token_id", flat=True).first()
    if token_pk is None:
        raise OperationRefused(NO_TOKEN)
    try:
        with transaction.atomic():
            reset = TokenResetRequest.objects.create(
                contract=contract,
                token_id=token_pk,
                reason=reason.strip(),
                reference=reference.strip(),
                requested_by=staff,
            )
    except IntegrityError:  # the one-pending-request-per-contract constraint
        raise OperationRefused(ALREADY_PENDING) from None
    audit.record(
        actor,
        "token_reset.request",
        ok=True,
        contract=contract,
        staff_reason=reason,
        reference=reference,
        request_id=reset.pk,
    )
    return reset


@_requires("approve_token_reset")
def token_reset_approve(*, actor, staff, reset: TokenResetRequest, comment: str = "") -> TokenResetRequest:
    """PENDING → APPROVED in one conditional UPDATE (two checkers at once: one approval), then the unbinding."""
    if reset.requested_by_id == staff.pk:
        raise OperationRefused(OWN_REQUEST)
    try:
        _approve(actor, staff, reset, comment)
    except (lost.NothingToReset, otp_services.TokenChanged) as error:
        reset.refresh_from_db()  # still pending: the approval rolled back
        changed = isinstance(error, otp_services.TokenChanged)
        raise OperationRefused(TOKEN_CHANGED if changed else NOTHING_TO_RESET) from None
    return reset


def _approve(actor, staff, reset: TokenResetRequest, comment: str) -> None:
    with transaction.atomic():
        approved = (
            TokenResetRequest.objects.filter(pk=reset.pk, status=TokenResetRequest.Status.PENDING)
            .exclude(requested_by=staff)
            .update(
                status=TokenResetRequest.Status.APPROVED, approved_by=staff, decided_at=clock.now(), comment=comment
            )
        )
        if not approved:
            raise OperationRefused(ALREADY_DECIDED)
        reset.refresh_from_db()
        token_id = lost.token_reset(
            actor=actor,
            contract=reset.contract,
            reason=reset.reason,
            reference=reset.reference,
            token_pk=reset.token_id,
        )
        passkey_ceremony.remove_all(actor=actor, contract=reset.contract)  # the lost device's passkeys too
        audit.record(
            actor,
            "token_reset.approve",
            ok=True,
            contract=reset.contract,
            request_id=reset.pk,
            requested_by=reset.requested_by.get_username(),
            token_id=token_id,
            comment=comment,
        )


@_requires("approve_token_reset")
def token_reset_reject(*, actor, staff, reset: TokenResetRequest, comment: str) -> None:
    """A 役席 refuses the request: nothing changes for the customer."""
    _filled_in(comment)
    _close(actor, staff, reset, TokenResetRequest.Status.REJECTED, comment, "token_reset.reject")


@_requires("request_token_reset")
def token_reset_withdraw(*, actor, staff, reset: TokenResetRequest, comment: str = "") -> None:
    """The 窓口担当 who entered it takes it back."""
    if reset.requested_by_id != staff.pk:
        raise OperationRefused(NOT_ALLOWED)
    _close(actor, staff, reset, TokenResetRequest.Status.WITHDRAWN, comment, "token_reset.withdraw")


def _close(actor, staff, reset, status, comment, action):
    closed = TokenResetRequest.objects.filter(pk=reset.pk, status=TokenResetRequest.Status.PENDING).update(
        status=status, decided_at=clock.now(), comment=comment
    )
    if not closed:
        raise OperationRefused(ALREADY_DECIDED)
    audit.record(actor, action, ok=True, contract=reset.contract, request_id=reset.pk, comment=comment)


# -- one-person operations -------------------------------------------------------------


@_requires("operate_contract")
@transaction.atomic
def contract_report_lost(*, actor, staff, contract: Contract, reason: str, reference: str) -> None:
    """紛失届 of a device: the token stops working for login and transactions at once, until a reset is
    approved; the sessions end and the passkeys are removed. Without a token only the last two."""
    _filled_in(reason, reference)
    try:
        token = lost.token_report_lost(
            actor=actor, contract=contract, reason=reason.strip(), reference=reference.strip()
        )
    except lost.AlreadyReportedLost:
        raise OperationRefused(ALREADY_LOST) from None
    contract.user.rotate_session_nonce()  # a session opened with the lost phone ends now
    passkey_ceremony.remove_all(actor=actor, contract=contract)  # a passkey on the lost phone stops working
    audit.record(actor, "token.lost", ok=True, contract=contract, staff_reason=reason, reference=reference, token=token)
    notify(contract, "token_lost" if token else "device_lost")


@_requires("operate_contract")
def contract_password_reset(*, actor, staff, contract: Contract, reason: str, reference: str) -> str:
    """ログインパスワードの再設定 on a written request: returns the temporary password, shown once to the clerk
    for the letter (accounts.services.password_reset says what else changes)."""
    _filled_in(reason, reference)
    return passwords.password_reset(
        actor=actor, contract=contract, staff_reason=reason.strip(), reference=reference.strip()
    )


@_requires("operate_contract")
def contract_transfer_password_reset(*, actor, staff, contract: Contract, reason: str, reference: str) -> str:
    """資金移動用パスワードの再設定 on a written request: returns the new one, shown once to the clerk for the
    letter (accounts.passwords.transfer_password_reset says what else changes)."""
    _filled_in(reason, reference)
    return passwords.transfer_password_reset(
        actor=actor, contract=contract, staff_reason=reason.strip(), reference=reference.strip()
    )


@_requires("operate_contract")
@transaction.atomic
def contract_unlock(*, actor, staff, contract: Contract, kind: str, reason: str, reference: str = "") -> None:
    """Lift one kind of lock; every other kind stays (an OTP unlock never lifts a 紛失届)."""
    _filled_in(reason)
    lock_kind = locks.kinds()[kind]  # only the kinds the branch lifts (a 紛失届 ends with a token reset)
    if not locks.lift(contract, kind, by=audit.actor_name(actor), reason=reason.strip()):
        raise OperationRefused(NOTHING_TO_LIFT)
    audit.record(actor, f"{kind}.unlock", ok=True, contract=contract, staff_reason=reason, reference=reference)
    notify(contract, "unlocked", kind=str(lock_kind.label))


@_requires("operate_contract")
def contract_cancel(*, actor, staff, contract: Contract, reason: str, reference: str) -> None:
    """IB解約: refused while a token is registered (seed 004 §5); a state with date and reason, never a delete."""
    _filled_in(reason, reference)
    with transaction.atomic():
        Contract.objects.select_for_update().filter(pk=contract.pk).values_list("pk").get()
        if not TokenBinding.objects.filter(contract=contract).exists():
            if not Contract.objects.filter(pk=contract.pk, cancelled_at__isnull=True).update(cancelled_at=clock.now()):
                raise OperationRefused(ALREADY_CANCELLED)  # the first 解約's date stays
            contract.user.rotate_session_nonce()
            audit.record(actor, "ib.cancel", ok=True, contract=contract, staff_reason=reason, reference=reference)
            notify(contract, "contract_cancelled")
            return
        # A token reported lost cannot be stopped by the customer: the way out is the token reset.
        lost = Lock.Kind.LOST in locks.open_locks(contract, refresh=True)
    # The refusal is audited outside the locking transaction, so that it stays.
    audit.record(actor, "ib.cancel", ok=False, contract=contract, reason="has_token", reference=reference)
    raise OperationRefused(HAS_LOST_TOKEN if lost else HAS_TOKEN)


# -- contract changes a branch makes on a written form ----------------------------------

NO_CARD = _("お客様カードが発行されていないため、確認用パスワード（お客様カード）方式には変更できません。")
NO_TRANSFER_PASSWORD = _(
    "資金移動用パスワードが登録されていないため、資金移動用パスワード方式には変更できません。"
    "先に「資金移動用パスワードを再設定する」で新しい資金移動用パスワードを発行してください。"
)
BAD_METHOD = _("取引認証方式は資金移動用パスワードまたはお客様カードから選んでください。")
BAD_EMAIL = _("メールアドレスの形式が正しくありません。")
BAD_LIMIT = _("振込限度額は1円以上、上限（%(ceiling)s円）以内の半角数字で指定してください。")


@_requires("operate_contract")
@transaction.atomic
def contract_change(*, actor, staff, contract: Contract, field: str, value: str, reason: str, reference: str) -> None:
    """取引認証方式, e-mail address or daily limit, as the customer's written form asks; audited and notified."""
    from django.conf import settings
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    _filled_in(reason, reference)
    value = value.strip()
    if field == "transaction_method":
        if value not in Contract.Method.values:
            raise OperationRefused(BAD_METHOD)
        if value == Contract.Method.CARD and not contract.card_cells:
            raise OperationRefused(NO_CARD)
        if value == Contract.Method.TRANSFER_PASSWORD and not contract.transfer_password:
            raise OperationRefused(NO_TRANSFER_PASSWORD)  # every answer would be wrong, and count
        new = value
    elif field == "email":
        try:
            validate_email(value)
        except ValidationError:
            raise OperationRefused(BAD_EMAIL) from None
        new = value
    elif field == "daily_transfer_limit":
        has_token = TokenBinding.objects.filter(contract=contract).exists()
        ceiling = settings.IBANK_LIMIT_CEILING_TOKEN if has_token else settings.IBANK_LIMIT_CEILING_NO_TOKEN
        new = ascii_number(half_width_digits(value).replace(",", ""))
        if new is None or not 0 < new <= ceiling:
            raise OperationRefused(BAD_LIMIT % {"ceiling": f"{ceiling:,}"})
    else:
        raise ValueError(field)
    old, changes = getattr(contract, field), {field: new}
    if field == "daily_transfer_limit":
        # The written form decides: a raise the customer asked for (pending from a later day, or from today and
        # so already the limit in force) gives way to it.
        old = limits.contract_limit(contract, limits.today())
        changes.update(pending_daily_limit=None, pending_daily_limit_from=None)
    Contract.objects.filter(pk=contract.pk).update(**changes)
    hold = ""
    if field == "email" or (field == "daily_transfer_limit" and new > old):
        why = "email_change" if field == "email" else "limit_raise"
        hold = holds.after_change(contract, reason=why, actor=actor)
    audit.record(
        actor,
        "contract.change",
        ok=True,
        contract=contract,
        field=field,
        old=str(old),
        new=str(new),
        staff_reason=reason,
        reference=reference,
    )
    if field == "email" and old:
        notify(contract, "contract_changed", field_label=str(_("メールアドレス")), hold=hold)  # the old address too
        contract.email = new
    notify(contract, "contract_changed", field_label=str(CHANGE_LABELS[field]), hold=hold)


CHANGE_LABELS = {
    "transaction_method": _("取引認証方式"),
    "email": _("メールアドレス"),
    "daily_transfer_limit": _("1日あたりの振込限度額"),
}
