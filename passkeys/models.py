"""Passkeys are django-otp-webauthn's WebAuthnCredential rows (one per authenticator, several per contract).
This room adds the transaction challenge: what one authorization of one confirmed transaction may sign."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Contract
from ibank import clock


class TransactionChallenge(models.Model):
    """A WebAuthn challenge bound to what is authorized: SHA-256(bound ‖ nonce), where ``bound`` is the
    SHA-256 of what 確認 fixed (its digest: payee, account, amount, fee). Usable once (``used_at``, a
    conditional update), for 5 minutes, from the origin it was made for."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="passkey_challenges")
    bound = models.CharField(max_length=64)
    nonce = models.CharField(max_length=64)
    origin = models.CharField(max_length=200)
    rp_id = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=clock.now)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("パスキーの認証要求")
        verbose_name_plural = _("パスキーの認証要求")
        indexes = [models.Index(fields=["created_at"], name="passkey_challenge_created")]

    def __str__(self):
        return f"{self.contract_id} {self.created_at:%Y-%m-%d %H:%M:%S}"
