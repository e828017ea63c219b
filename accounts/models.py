import base64
import secrets

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import PermissionDenied
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device

from ibank import clock, crypto
from ibank.counters import count_failure

contract_id_validator = RegexValidator(r"^[0-9]{10}\Z", _("契約者ID（利用者番号）は半角数字10桁で入力してください。"))

# お客様カード: 20 cells, 5 columns (A-E) x 4 rows (1-4), one digit each.
CARD_COLUMNS = "ABCDE"
CARD_ROWS = "1234"
CARD_CELLS = [f"{column}{row}" for row in CARD_ROWS for column in CARD_COLUMNS]
CARD_CHALLENGE_SIZE = 4


class User(AbstractUser):
    """Staff members and customers. A customer's username is their 契約者ID.

    The login password (ログインパスワード) is this model's ``password``:
    an Argon2id hash (accounts.hashers). ``session_nonce`` changes at every
    customer login and is part of the session hash, so the new login ends
    every other session of the contract (Django checks the hash per request).
    """

    session_nonce = models.CharField(max_length=32, blank=True, editable=False)
    # Staff admin login (SPEC §7): consecutive failures (password or OTP) and the 15-minute lock.
    staff_failures = models.PositiveSmallIntegerField(_("管理画面ログインの連続誤り回数"), default=0, editable=False)
    staff_locked_until = models.DateTimeField(_("管理画面ログイン停止期限"), null=True, blank=True, editable=False)

    def _get_session_auth_hash(self, secret=None):
        key_salt = "accounts.User.get_session_auth_hash"
        return salted_hmac(
            key_salt, f"{self.password}\x00{self.session_nonce}", secret=secret, algorithm="sha256"
        ).hexdigest()

    def rotate_session_nonce(self, *, last_login=None) -> None:
        """A new nonce (ending every other session of this user), and the login time, in one UPDATE."""
        self.session_nonce = secrets.token_hex(16)
        fields = {"session_nonce": self.session_nonce}
        if last_login is not None:
            self.last_login = fields["last_login"] = last_login
        type(self).objects.filter(pk=self.pk).update(**fields)


class Contract(models.Model):
    """An internet-banking contract (IB契約): one customer, their secrets and lock state."""

    class Method(models.TextChoices):
        TRANSFER_PASSWORD = "password", _("資金移動用パスワード")
        CARD = "card", _("お客様カード")

    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="contract", verbose_name=_("ユーザー"))
    contract_id = models.CharField(_("契約者ID"), max_length=10, unique=True, validators=[contract_id_validator])
    name = models.CharField(_("お名前"), max_length=60)
    email = models.EmailField(_("メールアドレス"), blank=True)
    transaction_method = models.CharField(_("取引認証方式"), max_length=8, choices=Method.choices)
    # Argon2id hash of the 資金移動用パスワード (method "password").
    transfer_password = models.CharField(max_length=128, blank=True, editable=False)
    # The お客様カード's 20 digits in CARD_CELLS order, encrypted (ibank.crypto).
    card_cells = models.TextField(blank=True, editable=False)
    # The unanswered card challenge ("A1 C3 E2 B4"); kept until answered.
    card_challenge = models.CharField(max_length=16, blank=True, editable=False)
    transaction_failures = models.PositiveSmallIntegerField(_("取引認証の連続誤り回数"), default=0)
    transaction_locked_at = models.DateTimeField(_("取引認証停止日時"), null=True, blank=True)
    login_failures = models.PositiveSmallIntegerField(_("ログインの連続誤り回数"), default=0)
    login_locked_at = models.DateTimeField(_("ログイン停止日時"), null=True, blank=True)
    # Wrong codes of a new token at 利用登録 / 交換; at the limit token setup stops until the branch unlocks it.
    token_setup_failures = models.PositiveSmallIntegerField(_("トークン登録時のコード連続誤り回数"), default=0)
    token_setup_locked_at = models.DateTimeField(_("トークン登録停止日時"), null=True, blank=True)
    daily_transfer_limit = models.PositiveBigIntegerField(_("1日あたりの振込限度額（円）"), default=500_000)
    # A raise authorized without a token takes effect from 0:00 JST the next day (SPEC §5).
    pending_daily_limit = models.PositiveBigIntegerField(_("変更予定の振込限度額（円）"), null=True, blank=True)
    pending_daily_limit_from = models.DateField(_("変更予定日"), null=True, blank=True)
    # 収納サービス (Pay-easy): consecutive wrong number entries on one JST day; at the limit Pay-easy is
    # blocked for that day (SPEC §5), lifted by the next day or by the branch.
    payeasy_failures = models.PositiveSmallIntegerField(_("収納サービスの番号の連続誤り回数"), default=0)
    payeasy_failure_date = models.DateField(_("収納サービスの番号誤りの日付"), null=True, blank=True)
    payeasy_blocked_on = models.DateField(_("収納サービス利用停止日"), null=True, blank=True)
    # IB取引中止 (SPEC §4.5): set by the customer, lifted only by the branch.
    ib_suspended_at = models.DateTimeField(_("IB取引中止日時"), null=True, blank=True)
    # 紛失届 (SPEC §7): the token may not be used for login or transactions until a reset is approved.
    lost_reported_at = models.DateTimeField(_("紛失届受付日時"), null=True, blank=True)
    # IB解約: a state, never a delete; login and every flow are refused, accounts and history stay.
    cancelled_at = models.DateTimeField(_("IB解約日時"), null=True, blank=True)
    created_at = models.DateTimeField(_("作成日時"), default=clock.now, editable=False)

    class Meta:
        verbose_name = _("IB契約")
        verbose_name_plural = _("IB契約")
        constraints = [
            models.CheckConstraint(
                condition=Q(transaction_method__in=["password", "card"]), name="contract_transaction_method_valid"
            ),
            models.CheckConstraint(
                condition=Q(daily_transfer_limit__lte=10_000_000), name="contract_limit_at_most_10m"
            ),
            models.CheckConstraint(
                condition=Q(pending_daily_limit__isnull=True, pending_daily_limit_from__isnull=True)
                | Q(pending_daily_limit__lte=10_000_000, pending_daily_limit_from__isnull=False),
                name="contract_pending_limit_valid",
            ),
        ]

    def __str__(self):
        return f"{self.contract_id} {self.name}"

    # -- login password ----------------------------------------------------

    def set_login_password(self, raw: str) -> None:
        self.user.set_password(raw)
        self.user.save(update_fields=["password"])

    @property
    def is_login_locked(self) -> bool:
        return self.login_locked_at is not None

    @property
    def is_ib_usable(self) -> bool:
        """Active, not locked (ログイン停止), not suspended (IB取引中止), not cancelled: checked at every step."""
        return (
            self.user.is_active
            and not self.is_login_locked
            and self.ib_suspended_at is None
            and self.cancelled_at is None
        )

    def reset_login_failures(self) -> bool:
        """Clear the failure count unless locked meanwhile. Returns False if the contract is locked."""
        if self.login_failures == 0 and self.login_locked_at is None:
            return True  # nothing to clear: no write on the usual login
        changed = Contract.objects.filter(pk=self.pk, login_locked_at__isnull=True).update(login_failures=0)
        self.refresh_from_db(fields=["login_failures", "login_locked_at"])
        return changed == 1

    def unlock_login(self) -> None:
        Contract.objects.filter(pk=self.pk).update(login_failures=0, login_locked_at=None)
        self.refresh_from_db(fields=["login_failures", "login_locked_at"])

    # -- transaction secret (資金移動用パスワード / お客様カード) ---------------

    @property
    def is_transaction_locked(self) -> bool:
        return self.transaction_locked_at is not None

    def check_transaction_secret(self, answer: str) -> bool:
        """Check the 資金移動用パスワード, or the answer to the pending card challenge.

        Counts consecutive failures and locks at the limit; a success resets
        the count. Always False while locked.
        """
        if self.is_transaction_locked:
            return False
        if self.transaction_method == self.Method.CARD:
            ok = self.check_card_answer(answer)
        else:
            ok = self.check_transfer_password(answer)
        if ok:
            Contract.objects.filter(pk=self.pk, transaction_locked_at__isnull=True).update(transaction_failures=0)
        else:
            self.transaction_newly_locked = count_failure(
                Contract,
                self.pk,
                count_field="transaction_failures",
                locked_field="transaction_locked_at",
                limit=settings.IBANK_TRANSACTION_MAX_FAILURES,
            )
        self.refresh_from_db(fields=["transaction_failures", "transaction_locked_at"])
        return ok and not self.is_transaction_locked

    def set_transfer_password(self, raw: str) -> None:
        self.transfer_password = make_password(raw)

    def check_transfer_password(self, raw: str) -> bool:
        return bool(self.transfer_password) and check_password(raw, self.transfer_password)

    def set_card(self, digits: str) -> None:
        if len(digits) != len(CARD_CELLS) or not all(d in "0123456789" for d in digits):
            raise ValueError("a card holds exactly 20 digits")
        self.card_cells = crypto.encrypt(digits)
        self.card_challenge = ""

    def card_grid(self) -> dict[str, str]:
        """The card's digits by cell name (for printing the card at issue only)."""
        return dict(zip(CARD_CELLS, crypto.decrypt(self.card_cells), strict=True))

    def card_challenge_cells(self) -> list[str]:
        """The pending challenge's cells, drawing (and saving) new ones only if none is pending."""
        if not self.card_challenge:
            cells = secrets.SystemRandom().sample(CARD_CELLS, CARD_CHALLENGE_SIZE)
            # Another request may have drawn one meanwhile: keep whichever is stored.
            Contract.objects.filter(pk=self.pk, card_challenge="").update(card_challenge=" ".join(cells))
            self.refresh_from_db(fields=["card_challenge"])
        return self.card_challenge.split()

    def check_card_answer(self, answer: str) -> bool:
        """Compare ``answer`` (the challenge cells' digits, in order) in constant time.

        A correct answer consumes the challenge; a wrong one keeps it, so that
        reloading cannot re-roll the cells.
        """
        cells = self.card_challenge.split()
        if not cells or not self.card_cells:
            return False
        grid = self.card_grid()
        expected = "".join(grid[cell] for cell in cells)
        if not constant_time_compare(expected, answer):
            return False
        consumed = Contract.objects.filter(pk=self.pk, card_challenge=self.card_challenge).update(card_challenge="")
        self.card_challenge = ""
        return consumed == 1


# The bank's own accounts: purpose -> (number, holder name).
INTERNAL_ACCOUNTS = {
    "cash": ("9000001", "ｹﾞﾝｷﾝ"),
    "fee_income": ("9000002", "ﾃｽｳﾘﾖｳｼﾕｳﾆﾕｳ"),
    "clearing_out": ("9000003", "ﾀｺｳｶﾜｾﾐｹﾂｻｲ"),
}


class AccountQuerySet(models.QuerySet):
    def customer(self):
        return self.filter(purpose=Account.Purpose.CUSTOMER)

    def internal(self, purpose: str) -> "Account":
        """The bank's own account for ``purpose`` (made by a migration; remade if a test flushed it)."""
        number, holder = INTERNAL_ACCOUNTS[purpose]
        account, _ = self.get_or_create(
            purpose=purpose,
            defaults={"branch_code": "000", "branch_name": "本部", "kind": 1, "number": number, "holder_kana": holder},
        )
        return account


class Account(models.Model):
    """A deposit account (口座) of a contract, or one of the bank's own accounts.

    Balances are integer yen, a cache of the account's ledger postings
    (transfers.ledger writes both in one transaction). A customer's balance
    never goes negative; the bank's own accounts may (cash paid in is the
    counterpart of every deposit), so the sum over all accounts is always 0.
    """

    class Kind(models.IntegerChoices):
        ORDINARY = 1, _("普通")
        CURRENT = 2, _("当座")
        SAVINGS = 4, _("貯蓄")

    class Purpose(models.TextChoices):
        CUSTOMER = "customer", _("お客様口座")
        CASH = "cash", _("現金")
        FEE_INCOME = "fee_income", _("手数料収入")
        CLEARING_OUT = "clearing_out", _("他行為替未決済")
        BILLER = "biller", _("収納機関決済口座")

    contract = models.ForeignKey(
        Contract, null=True, blank=True, on_delete=models.PROTECT, related_name="accounts", verbose_name=_("IB契約")
    )
    purpose = models.CharField(_("区分"), max_length=16, choices=Purpose.choices, default=Purpose.CUSTOMER)
    branch_code = models.CharField(_("支店番号"), max_length=3, validators=[RegexValidator(r"^[0-9]{3}\Z")])
    branch_name = models.CharField(_("支店名"), max_length=40)
    kind = models.PositiveSmallIntegerField(_("預金種目"), choices=Kind.choices)
    number = models.CharField(_("口座番号"), max_length=7, validators=[RegexValidator(r"^[0-9]{7}\Z")])
    holder_kana = models.CharField(_("口座名義（カナ）"), max_length=30)
    balance = models.BigIntegerField(_("残高（円）"), default=0, editable=False)

    objects = AccountQuerySet.as_manager()

    class Meta:
        verbose_name = _("口座")
        verbose_name_plural = _("口座")
        ordering = ["branch_code", "kind", "number"]
        constraints = [
            models.UniqueConstraint(fields=["branch_code", "kind", "number"], name="account_unique_number"),
            models.CheckConstraint(
                condition=Q(balance__gte=0) | ~Q(purpose="customer"), name="account_balance_not_negative"
            ),
            models.CheckConstraint(condition=Q(kind__in=[1, 2, 4]), name="account_kind_valid"),
            models.CheckConstraint(
                condition=(Q(purpose="customer") & Q(contract__isnull=False))
                | (~Q(purpose="customer") & Q(contract__isnull=True)),
                name="account_customer_has_contract",
            ),
            models.UniqueConstraint(
                fields=["purpose"],
                condition=~Q(purpose__in=["customer", "biller"]),
                name="account_one_internal_per_purpose",
            ),
        ]

    def __str__(self):
        return f"{self.branch_code}-{self.get_kind_display()}-{self.number}"

    @property
    def masked_number(self) -> str:
        """1234567 -> ***4567 (e-mails)."""
        return f"***{self.number[-4:]}"


class LoginRecord(models.Model):
    """One successful login, for 前回ログイン日時."""

    class Channel(models.TextChoices):
        PC = "pc", _("パソコン")
        SMARTPHONE = "smartphone", _("スマートフォン")
        MOBILE = "mobile", _("携帯電話")

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="logins", verbose_name=_("IB契約"))
    at = models.DateTimeField(_("日時"), default=clock.now, db_index=True)
    channel = models.CharField(_("チャネル"), max_length=12, choices=Channel.choices)
    ip = models.GenericIPAddressField(_("接続元アドレス"), null=True, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{timezone.localtime(self.at):%Y-%m-%d %H:%M:%S} {self.get_channel_display()}"


# The closed list of what the audit log records (SPEC §8), with the names staff read in the admin.
AUDIT_ACTIONS = [
    ("login", _("ログイン")),
    ("login.password", _("ログイン（パスワード）")),
    ("login.otp", _("ログイン（ワンタイムパスワード）")),
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
    ("transfer.expire", _("振込（放置された入力の取消）")),
    ("limit.change", _("振込限度額変更")),
    ("limit.authorize", _("振込限度額変更（認証）")),
    ("limit.cancel", _("振込限度額変更の取消")),
    ("email.change", _("メールアドレス変更")),
    ("email.authorize", _("メールアドレス変更（認証）")),
    ("payeasy.input", _("収納サービス（番号入力）")),
    ("payeasy.confirm", _("収納サービス（確認）")),
    ("payeasy.authorize", _("収納サービス（認証）")),
    ("payeasy.execute", _("収納サービス（払込み）")),
    ("payeasy.cancel", _("収納サービス（中止）")),
    ("payeasy.block", _("収納サービス利用停止（番号誤り）")),
    ("payeasy.unlock", _("収納サービス利用停止の解除")),
    ("biller.change", _("収納機関・請求の登録／変更")),
    ("payee.add", _("振込先登録")),
    ("payee.delete", _("振込先削除")),
    ("zengin.export", _("全銀ファイル作成")),
    ("admin.login", _("管理画面ログイン")),
    ("admin.lock", _("管理画面ログイン停止")),
    ("staff.enroll", _("職員用ワンタイムパスワードの登録")),
    ("staff.device_delete", _("職員用ワンタイムパスワードの削除")),
]


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
    action = models.CharField(_("操作"), max_length=40, db_index=True, choices=AUDIT_ACTIONS)
    outcome = models.CharField(_("結果"), max_length=8, choices=Outcome.choices)
    reason = models.CharField(_("理由"), max_length=40, blank=True)
    contract = models.ForeignKey(
        Contract,
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
        verbose_name = _("監査ログ")
        verbose_name_plural = _("監査ログ")
        ordering = ["-at", "-pk"]

    def __str__(self):
        return (
            f"{timezone.localtime(self.at):%Y-%m-%d %H:%M:%S} {self.get_action_display()} {self.get_outcome_display()}"
        )

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionDenied("the audit log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionDenied("the audit log is append-only")


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
        import pyotp

        code = str(token).strip()
        if not (len(code) == 6 and code.isdigit()):
            return False
        totp = pyotp.TOTP(base64.b32encode(self.bin_key()).decode())
        t = clock.epoch()
        for offset in (-1, 0, 1):
            step = int(t // 30) + offset
            if constant_time_compare(totp.at(step * 30), code):
                return StaffDevice.objects.filter(pk=self.pk, last_step__lt=step).update(last_step=step) == 1
        return False


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
        verbose_name = _("監査ログの封印")
        verbose_name_plural = _("監査ログの封印")
        ordering = ["last_id"]

    def __str__(self):
        return f"{self.first_id}-{self.last_id} {self.sha256[:12]}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionDenied("seals are append-only")
        super().save(*args, **kwargs)
