import base64
import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device

from ibank import clock, crypto


class StaffDevice(Device):
    """A staff member's own TOTP device for the admin (SPEC §7).

    The seed is encrypted at rest (ibank.crypto, rotated by reencrypt_secrets)
    and shown once, to its owner, when they enroll it; never again, to no one.
    ``last_step`` makes each code single-use, by a conditional UPDATE.
    """

    key = models.TextField(editable=False)
    last_step = models.BigIntegerField(default=-1, editable=False)

    class Meta(Device.Meta):
        verbose_name = _("職員用ワンタイムパスワード")
        verbose_name_plural = _("職員用ワンタイムパスワード")

    @classmethod
    def new_key(cls) -> bytes:
        return secrets.token_bytes(20)

    def set_key(self, key: bytes) -> None:
        self.key = crypto.encrypt(key.hex())

    def bin_key(self) -> bytes:
        return bytes.fromhex(crypto.decrypt(self.key))

    def config_url(self, issuer: str) -> str:
        import pyotp

        return pyotp.TOTP(base64.b32encode(self.bin_key()).decode()).provisioning_uri(
            name=self.user.get_username(), issuer_name=issuer
        )

    def verify_token(self, token) -> bool:
        """Accept the code of the current step ±1, each step once (conditional UPDATE)."""
        return self.check_code(token) == "ok"

    def check_code(self, token) -> str:
        """``ok`` (the code of the current step ±1, its step now used), ``reused`` (a right code whose step was
        used already: a double submission, which is no wrong guess) or ``wrong``."""
        import pyotp

        code = str(token).strip()
        if not (len(code) == 6 and code.isdigit()):
            return "wrong"
        totp = pyotp.TOTP(base64.b32encode(self.bin_key()).decode())
        t = clock.epoch()
        for offset in (-1, 0, 1):
            step = int(t // 30) + offset
            if constant_time_compare(totp.at(step * 30), code):
                claimed = StaffDevice.objects.filter(pk=self.pk, last_step__lt=step).update(last_step=step) == 1
                return "ok" if claimed else "reused"
        return "wrong"


class StaffEnrollmentCode(models.Model):
    """The 登録コード a staff member needs before their device's QR code is shown (SPEC §7).

    Issued by somebody else — a superuser at the admin, or the operator on the server for the first one
    (``manage.py staff_enrollment_code``) — shown once to the issuer, handed over in person, entered once
    at /admin/enroll/ before ``expires_at``. The staff member's password alone no longer enrolls a device: whoever
    learnt it before its owner's first login cannot bind an authenticator of their own. Only a digest is
    kept; rows are never deleted (``ended_at``: used, or replaced by a newer code).
    """

    class End(models.TextChoices):
        USED = "used", _("使用済み")
        REPLACED = "replaced", _("再発行により無効")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("職員")
    )
    digest = models.CharField(max_length=64, editable=False)
    # None: issued on the server by the operator's command.
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("発行した職員"),
    )
    issued_at = models.DateTimeField(_("発行日時"))
    expires_at = models.DateTimeField(_("有効期限"))
    ended_at = models.DateTimeField(_("終了日時"), null=True, blank=True)
    end = models.CharField(_("終了理由"), max_length=10, choices=End.choices, blank=True)

    class Meta:
        verbose_name = _("職員用ワンタイムパスワードの登録コード")
        verbose_name_plural = _("職員用ワンタイムパスワードの登録コード")
        constraints = [
            # Nobody issues their own: the code is the second person's word that this is its owner.
            models.CheckConstraint(condition=~Q(issued_by=F("user")), name="enrollment_code_not_own"),
            models.UniqueConstraint(
                fields=["user"], condition=Q(ended_at__isnull=True), name="one_open_enrollment_code"
            ),
        ]

    def __str__(self):
        return f"{self.user.get_username()} {self.issued_at:%Y-%m-%d %H:%M}"

    @staticmethod
    def digest_of(code: str) -> str:
        """A keyed digest of ``code`` (the server's secret key): what is stored and looked up."""
        return salted_hmac("accounts.StaffEnrollmentCode", code, algorithm="sha256").hexdigest()
