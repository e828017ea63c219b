"""The audit log (SPEC §8): what happened, to which contract, by whom, from where. Append-only."""

from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ibank import clock

# The closed list of what the audit log records (SPEC §8), with the names staff read in the admin.
AUDIT_ACTIONS = [
    ("login", _("ログイン")),
    ("login.password", _("ログイン（パスワード）")),
    ("login.otp", _("ログイン（ワンタイムパスワード）")),
    ("login.passkey", _("ログイン（パスキー）")),
    ("login.lock", _("ログイン停止")),
    ("login.unlock", _("ログイン停止の解除")),
    ("logout", _("ログアウト")),
    ("otp.verify", _("ワンタイムパスワード確認")),
    ("otp.lock", _("ワンタイムパスワード停止")),
    ("otp.unlock", _("ワンタイムパスワード停止の解除")),
    ("token.issue", _("トークン発行")),
    ("token.register", _("トークン利用登録")),
    ("token.exchange", _("トークン交換")),
    ("token.stop", _("トークン利用停止")),
    ("token.reset", _("トークンIDのリセット")),
    ("token.lost", _("紛失届")),
    ("token.purge", _("期限切れトークンの削除")),
    ("token.setup_lock", _("トークンの登録停止（コード誤り）")),
    ("token_id.check", _("トークンIDの確認")),
    ("token_type.change", _("トークン種類の設定変更")),
    ("token_reset.request", _("トークンIDリセットの依頼")),
    ("token_reset.approve", _("トークンIDリセットの承認")),
    ("token_reset.reject", _("トークンIDリセットの否認")),
    ("token_reset.withdraw", _("トークンIDリセットの取下げ")),
    ("register.auth", _("利用登録／交換の利用者認証")),
    ("register.otp", _("利用登録のワンタイムパスワード")),
    ("register.secret", _("利用登録の資金移動用パスワード／確認用パスワード")),
    ("register.lock", _("トークン登録停止")),
    ("token_setup.unlock", _("トークン登録停止の解除")),
    ("exchange.old_otp", _("交換（旧トークン）のワンタイムパスワード")),
    ("exchange.otp", _("交換（新トークン）のワンタイムパスワード")),
    ("stop.auth", _("利用停止の利用者認証")),
    ("stop.otp", _("利用停止のワンタイムパスワード")),
    ("transaction.lock", _("取引認証停止")),
    ("transaction.unlock", _("取引認証停止の解除")),
    ("ib.suspend", _("IB取引中止")),
    ("ib_suspension.unlock", _("IB取引中止の解除")),
    ("ib.cancel", _("IB解約")),
    ("contract.change", _("契約内容の変更（届出）")),
    ("transfer.input", _("振込（入力）")),
    ("transfer.confirm", _("振込（確認）")),
    ("transfer.authorize", _("振込（認証）")),
    ("transfer.execute", _("振込（実行）")),
    ("transfer.cancel", _("振込（中止）")),
    ("transfer.reserve", _("振込予約（受付）")),
    ("transfer.cancel_reservation", _("振込予約（取消）")),
    ("transfer.name_lookup", _("口座名義確認")),
    ("transfer.expire", _("振込（放置された入力の取消）")),
    ("limit.change", _("振込限度額変更")),
    ("limit.authorize", _("振込限度額変更（認証）")),
    ("limit.cancel", _("振込限度額変更の取消")),
    ("email.change", _("メールアドレス変更")),
    ("email.authorize", _("メールアドレス変更（認証）")),
    ("password_change.current", _("ログインパスワード変更（現在のパスワード）")),
    ("password_change.authorize", _("ログインパスワード変更（認証）")),
    ("password.change", _("ログインパスワード変更")),
    ("password.reset", _("ログインパスワード再設定（書面）")),
    ("transfer_password_change.authorize", _("資金移動用パスワード変更（認証）")),
    ("transfer_password.change", _("資金移動用パスワード変更")),
    ("transfer_password.reset", _("資金移動用パスワード再設定（書面）")),
    ("payeasy.input", _("収納サービス（番号入力）")),
    ("payeasy.confirm", _("収納サービス（確認）")),
    ("payeasy.authorize", _("収納サービス（認証）")),
    ("payeasy.execute", _("収納サービス（払込み）")),
    ("payeasy.cancel", _("収納サービス（中止）")),
    ("payeasy.expire", _("収納サービス（放置された入力の取消）")),
    ("payeasy.block", _("収納サービス利用停止（番号誤り）")),
    ("payeasy.unlock", _("収納サービス利用停止の解除")),
    ("biller.change", _("収納機関・請求の登録／変更")),
    ("payee.add", _("振込先登録")),
    ("payee.delete", _("振込先削除")),
    ("zengin.export", _("全銀ファイル作成")),
    ("hold.set", _("お取引の制限（新しい環境・登録内容の変更）")),
    ("env_hold.unlock", _("新しい環境からのログイン後の制限の解除")),
    ("change_hold.unlock", _("登録内容の変更後の制限の解除")),
    ("start_hold.unlock", _("ご利用開始後の制限の解除")),
    ("environment.remove", _("ご利用環境の削除")),
    ("passkey.authorize", _("パスキー登録（認証）")),
    ("passkey.register", _("パスキー登録")),
    ("passkey.remove", _("パスキー削除")),
    ("login_notice.change", _("ログイン通知の設定変更")),
    ("notice.failed", _("お知らせメールの送信失敗")),
    ("notice.resend", _("お知らせメールの再送")),
    ("admin.login", _("管理画面ログイン")),
    ("admin.lock", _("管理画面ログイン停止")),
    ("staff.enrollment_code", _("職員用ワンタイムパスワードの登録コード発行")),
    ("staff.enroll", _("職員用ワンタイムパスワードの登録")),
    ("staff.device_delete", _("職員用ワンタイムパスワードの削除")),
    ("staff.account_add", _("職員アカウントの追加")),
    ("staff.account_change", _("職員アカウントの変更")),
]


def audit_actions():
    return AUDIT_ACTIONS


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionDenied("the audit log is append-only")

    def delete(self):
        raise PermissionDenied("the audit log is append-only")


class AuditEntry(models.Model):
    """An append-only record of a security-relevant event (SPEC §8)."""

    class Outcome(models.TextChoices):
        OK = "ok", _("成功")
        FAILED = "failed", _("失敗")

    at = models.DateTimeField(_("日時"), default=clock.now, db_index=True)
    # A callable: a new action is a line in AUDIT_ACTIONS, not a migration (the column holds any name).
    action = models.CharField(_("操作"), max_length=40, choices=audit_actions)  # indexed in Meta
    outcome = models.CharField(_("結果"), max_length=8, choices=Outcome.choices)
    reason = models.CharField(_("理由"), max_length=40, blank=True)
    contract = models.ForeignKey(
        "accounts.Contract",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_entries",
        verbose_name=_("IB契約"),
    )
    actor = models.CharField(_("操作者"), max_length=160)
    ip = models.GenericIPAddressField(_("接続元アドレス"), null=True, blank=True)
    user_agent = models.CharField(_("ブラウザ"), max_length=300, blank=True)
    detail = models.JSONField(_("詳細"), default=dict, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        db_table = "accounts_auditentry"  # made when this lived in the accounts app
        verbose_name = _("監査ログ")
        verbose_name_plural = _("監査ログ")
        ordering = ["-at", "-pk"]
        # A plain index: db_index=True also made a varchar_pattern_ops copy on PostgreSQL for LIKE 'x%',
        # which nothing asks (the admin's search is icontains), and every audited step wrote both.
        indexes = [models.Index(fields=["action"], name="auditentry_action")]

    def __str__(self):
        return (
            f"{timezone.localtime(self.at):%Y-%m-%d %H:%M:%S} {self.get_action_display()} {self.get_outcome_display()}"
        )

    #: save() below only refuses a change: ibank.compiled.insert may write a new entry without it
    insert_skips_save = True

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionDenied("the audit log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionDenied("the audit log is append-only")


class AuditSeal(models.Model):
    """One sealed batch of audit entries (SPEC §8): the SHA-256 of its entries' content and of the previous seal.

    Written by ``manage.py seal_audit`` (every minute), checked by ``manage.py
    verify_audit``. Sealing after the fact keeps writers from waiting on each
    other: a chain written at insert time would serialise every audited request.
    """

    first_id = models.BigIntegerField(_("最初の記録"))
    last_id = models.BigIntegerField(_("最後の記録"), unique=True)
    count = models.PositiveIntegerField(_("件数"))
    entries_sha256 = models.CharField(max_length=64)
    previous_sha256 = models.CharField(max_length=64)
    sha256 = models.CharField(max_length=64, unique=True)
    sealed_at = models.DateTimeField(_("封印日時"), default=clock.now)

    objects = AuditQuerySet.as_manager()

    class Meta:
        db_table = "accounts_auditseal"  # made when this lived in the accounts app
        verbose_name = _("監査ログの封印")
        verbose_name_plural = _("監査ログの封印")
        ordering = ["last_id"]

    def __str__(self):
        return f"{self.first_id}-{self.last_id} {self.sha256[:12]}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionDenied("seals are append-only")
        super().save(*args, **kwargs)
