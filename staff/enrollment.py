"""A staff member without a device enrolls one, once, after their password (SPEC §7).

The password alone does not enroll a device: whoever learnt it before its owner's first login could bind
an authenticator of their own. Enrolment needs a 登録コード issued by somebody else — a superuser at the
admin, or the operator on the server for the first one (``manage.py staff_enrollment_code``) — shown once
to the issuer and handed over in person. Entered at /admin/enroll/ (each wrong code counts toward the staff
lock, checked under the staff member's row lock, so a burst evaluates no more guesses than the limit), it
is used once and the QR code is shown once, to that session; the device is enrolled when its first code is
entered. Nobody issues a code for themselves (a database constraint).
"""

import secrets
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from accounts.models import StaffDevice, StaffEnrollmentCode
from auditlog import audit
from ibank import clock

from . import services

User = get_user_model()

CODE_DIGITS = 12
CODE_VALID = timedelta(hours=24)

OWN_CODE = _("ご自身の登録コードは発行できません。別の管理者に発行を依頼してください。")
NOT_STAFF = _("職員のアカウントではないため、登録コードは発行できません。")
HAS_DEVICE = _(
    "この職員には登録済みのワンタイムパスワードがあります。端末を紛失した場合は、先に登録済みの端末を削除してください。"
)


class NotIssuable(Exception):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def needs_enrollment(user) -> bool:
    return user.is_authenticated and user.is_staff and not user.is_verified() and not _has_device(user)


def _has_device(user) -> bool:
    return StaffDevice.objects.filter(user=user, confirmed=True).exists()


# -- issuing -----------------------------------------------------------------------------


def issue_code(*, actor, user, by=None, as_name: str = "") -> tuple[str, StaffEnrollmentCode]:
    """A new 登録コード for staff member ``user``, issued by ``by`` (None: the operator's command); the one
    still open ends (再発行). Returns the code, to be shown once to the issuer, and its row. Raises
    NotIssuable for a customer's or an inactive account, for one's own, or while a device is enrolled."""
    if by is not None and by.pk == user.pk:
        raise NotIssuable(OWN_CODE)
    if not (user.is_staff and user.is_active) or getattr(user, "contract", None) is not None:
        raise NotIssuable(NOT_STAFF)
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()  # one issue at a time per staff member
        if _has_device(user):
            raise NotIssuable(HAS_DEVICE)
        now = clock.now()
        StaffEnrollmentCode.objects.filter(user=user, ended_at__isnull=True).update(
            ended_at=now, end=StaffEnrollmentCode.End.REPLACED
        )
        code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
        row = StaffEnrollmentCode.objects.create(
            user=user,
            digest=StaffEnrollmentCode.digest_of(code),
            issued_by=by,
            issued_at=now,
            expires_at=now + CODE_VALID,
        )
        audit.record(
            actor,
            "staff.enrollment_code",
            ok=True,
            as_name=as_name,
            staff=user.get_username(),
            expires_at=row.expires_at.isoformat(),
        )
    return code, row


def grouped(code: str) -> str:
    """1234 5678 9012: how the code is shown, for reading it out."""
    return " ".join(code[i : i + 4] for i in range(0, len(code), 4))


# -- entering it ---------------------------------------------------------------------------


@sensitive_variables("code")
def redeem(*, actor, user, code: str) -> tuple[str, StaffDevice | None]:
    """The staff member's 登録コード: (``ok``, the new unconfirmed device: used now, and any earlier
    unconfirmed device dropped), or (``reused``: this code was used already, a double submission, not
    counted; ``ended``: expired or replaced; ``wrong``: counted toward the staff lock; ``locked``: not
    evaluated, None)."""
    made = []

    def check(now):
        outcome = _check(user, StaffEnrollmentCode.digest_of(code), now)
        if outcome == "ok":
            StaffDevice.objects.filter(user=user, confirmed=False).delete()
            device = StaffDevice(user=user, name=user.get_username(), confirmed=False)
            device.set_key(StaffDevice.new_key())
            device.save()
            made.append(device)
        return outcome

    outcome = _guess(actor, user, check, step="code")
    return outcome, (made[0] if made else None)


def confirm(*, actor, user, device: StaffDevice, token: str) -> str:
    """The new device's first code: ``ok`` (confirmed), ``reused`` (a right code sent twice, not counted),
    ``wrong`` (counted toward the staff lock) or ``locked`` (not evaluated)."""

    def check(now):
        outcome = device.check_code(token)
        if outcome == "ok":
            StaffDevice.objects.filter(pk=device.pk).update(confirmed=True)
            device.confirmed = True
        return outcome

    return _guess(actor, user, check, step="device")


def restart(*, actor, user, device: StaffDevice) -> None:
    """登録をやり直す: the unconfirmed device goes; a new 登録コード starts again."""
    with transaction.atomic():
        StaffDevice.objects.filter(pk=device.pk, confirmed=False).delete()
        audit.record(actor, "staff.enroll", ok=False, reason="restarted", as_name=f"staff:{user.get_username()}")


def _guess(actor, user, check, *, step: str) -> str:
    """``check(now)`` of one guess under the staff member's row lock, so that concurrent guesses are counted
    one after another against the limit (a burst evaluates no more than it); a wrong one counted, each
    audited."""
    now = clock.now()
    with transaction.atomic():
        fresh = User.objects.select_for_update().get(pk=user.pk)
        outcome = "locked" if services.is_locked(fresh, now) else check(now)
        reason = {"ok": "", "reused": f"reused_{step}", "ended": "ended_code", "locked": "locked"}.get(outcome)
        if outcome == "wrong":
            reason = f"wrong_{step}"
            outcome = "wrong" if services.count_staff_failure(actor, user) == services.COUNTED else "locked"
        as_name = f"staff:{user.get_username()}"
        audit.record(actor, "staff.enroll", ok=outcome == "ok", reason=reason, as_name=as_name, step=step)
    return outcome


def _check(user, digest: str, now) -> str:
    row = StaffEnrollmentCode.objects.filter(user=user, digest=digest).order_by("-issued_at").first()
    if row is None:
        return "wrong"
    if row.ended_at is None and row.expires_at > now:
        StaffEnrollmentCode.objects.filter(pk=row.pk, ended_at__isnull=True).update(
            ended_at=now, end=StaffEnrollmentCode.End.USED
        )
        return "ok"
    return "reused" if row.end == StaffEnrollmentCode.End.USED else "ended"
