"""Branch operations (SPEC §7): requests that need two people."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Contract
from ibank import clock


class TokenResetRequest(models.Model):
    """トークンIDのリセット on a written request: one staff member (窓口担当) asks, another (役席) approves."""

    class Status(models.TextChoices):
        PENDING = "pending", _("承認待ち")
        APPROVED = "approved", _("承認済")
        REJECTED = "rejected", _("否認")
        WITHDRAWN = "withdrawn", _("取下げ")

    contract = models.ForeignKey(
        Contract, on_delete=models.PROTECT, related_name="token_reset_requests", verbose_name=_("IB契約")
    )
    # The token the written request is about: an approval resets that one only, never a token the customer
    # registered or exchanged to since (empty on requests made before this was kept).
    token = models.ForeignKey(
        "ibank_otp.SoftwareToken",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("トークンID"),
    )
    reason = models.CharField(_("理由"), max_length=200)
    reference = models.CharField(_("届出書番号"), max_length=40)
    status = models.CharField(_("状態"), max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("依頼者")
    )
    requested_at = models.DateTimeField(_("依頼日時"), default=clock.now)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("承認者"),
    )
    decided_at = models.DateTimeField(_("処理日時"), null=True, blank=True)
    comment = models.CharField(_("コメント"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("トークンIDリセット依頼")
        verbose_name_plural = _("トークンIDリセット依頼")
        ordering = ["-requested_at"]
        permissions = [
            ("request_token_reset", _("トークンIDのリセットを依頼できる")),
            ("approve_token_reset", _("トークンIDのリセットを承認できる")),
            ("operate_contract", _("紛失届・ロック解除・IB解約を行える")),
        ]
        constraints = [
            # Nobody approves their own request: the database itself refuses it.
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("requested_by")),
                name="token_reset_maker_is_not_checker",
            ),
            models.UniqueConstraint(
                fields=["contract"], condition=Q(status="pending"), name="token_reset_one_pending_per_contract"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "approved", "rejected", "withdrawn"]), name="token_reset_status"
            ),
        ]

    def __str__(self):
        return f"{self.contract.contract_id} {self.get_status_display()}"
