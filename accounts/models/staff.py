import base64
import secrets

from django.db import models
from django.utils.crypto import constant_time_compare
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
