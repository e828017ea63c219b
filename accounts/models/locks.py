"""Locks as rows (SPEC §7): one row per lock, whatever its kind; lifting one never touches another."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ibank import clock

from .contract import Contract


class Lock(models.Model):
    """A lock on one kind of use of a contract: set (by a failure count, the customer or the branch), in force
    until lifted (by the branch, or, for a lock with ``until``, by time), and never deleted.

    At most one open lock per (contract, kind), enforced by the database: setting is a conditional insert,
    lifting a conditional update (accounts.locks). The kinds are an open list: a later rule adds its own
    (accounts.locks.register_kind); what each kind refuses is decided by the gate (accounts.gate).
    """

    class Kind(models.TextChoices):
        LOGIN = "login", _("ログイン停止")
        OTP = "otp", _("ワンタイムパスワード停止")
        TOKEN_SETUP = "token_setup", _("トークン登録停止")
        TRANSACTION = "transaction", _("取引認証停止")
        PAYEASY = "payeasy", _("収納サービス利用停止")
        IB_SUSPENSION = "ib_suspension", _("IB取引中止")
        LOST = "lost", _("紛失届")
        # After the branch set a temporary login password: transactions wait for the customer's own password.
        TEMPORARY_PASSWORD = "temp_password", _("仮パスワード")
        # Holds (issue 17): they end by themselves (``until``); new payees and Pay-easy are refused meanwhile.
        ENVIRONMENT_HOLD = "env_hold", _("新しい環境からのログイン後の制限")
        CHANGE_HOLD = "change_hold", _("登録内容の変更後の制限")
        START_HOLD = "start_hold", _("ご利用開始後の制限")

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="locks", verbose_name=_("IB契約"))
    kind = models.CharField(_("種類"), max_length=16, choices=Kind.choices)
    reason = models.CharField(_("理由"), max_length=200)
    reference = models.CharField(_("届出書番号"), max_length=40, blank=True)
    set_at = models.DateTimeField(_("停止日時"), default=clock.now)
    set_by = models.CharField(_("停止した者"), max_length=160)
    # A lock that ends by itself (Pay-easy: 0:00 JST the next day); None: until the branch lifts it.
    until = models.DateTimeField(_("停止期限"), null=True, blank=True)
    lifted_at = models.DateTimeField(_("解除日時"), null=True, blank=True)
    lifted_by = models.CharField(_("解除した者"), max_length=160, blank=True)
    lift_reason = models.CharField(_("解除の理由"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("停止")
        verbose_name_plural = _("停止")
        ordering = ["-set_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "kind"], condition=Q(lifted_at__isnull=True), name="lock_one_open_per_kind"
            ),
            models.CheckConstraint(
                condition=Q(lifted_at__isnull=True) | Q(lifted_at__gte=models.F("set_at")), name="lock_lifted_after_set"
            ),
        ]

    def __str__(self):
        return f"{self.contract_id} {self.get_kind_display()} {timezone.localtime(self.set_at):%Y-%m-%d %H:%M}"

    def in_force(self, now=None) -> bool:
        now = now or clock.now()
        return self.lifted_at is None and (self.until is None or now < self.until)
