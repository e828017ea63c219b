import secrets

from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_lazy as _

from ibank import clock, compiled, crypto
from ibank.compiled import CompiledQuery
from ibank.labels import ChoiceLabel

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
        compiled.update(type(self), self.pk, **fields)


def initial_daily_limit() -> int:
    """The limit a new contract starts with: the ATM level (IBANK_INITIAL_DAILY_LIMIT, issue 17)."""
    from django.conf import settings

    return settings.IBANK_INITIAL_DAILY_LIMIT


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
    # The challenge answered last: the same right answer sent again (a double submission) is recognised.
    card_answered = models.CharField(max_length=16, blank=True, editable=False)
    transaction_failures = models.PositiveSmallIntegerField(_("取引認証の連続誤り回数"), default=0)
    login_failures = models.PositiveSmallIntegerField(_("ログインの連続誤り回数"), default=0)
    # Consecutive failures of each kind; at the limit a Lock row (accounts.models.locks) is set in the same
    # statement that counts (accounts.locks.count_failure). The locks themselves are rows, not fields.
    # Wrong codes of a new token at 利用登録 / 交換.
    token_setup_failures = models.PositiveSmallIntegerField(_("トークン登録時のコード連続誤り回数"), default=0)
    daily_transfer_limit = models.PositiveBigIntegerField(_("1日あたりの振込限度額（円）"), default=initial_daily_limit)
    # A raise authorized without a token takes effect from 0:00 JST the next day (SPEC §5).
    pending_daily_limit = models.PositiveBigIntegerField(_("変更予定の振込限度額（円）"), null=True, blank=True)
    pending_daily_limit_from = models.DateField(_("変更予定日"), null=True, blank=True)
    # 収納サービス (Pay-easy): consecutive wrong number entries on one JST day; at the limit Pay-easy is
    # blocked until the next day (SPEC §5) or a branch unlock.
    payeasy_failures = models.PositiveSmallIntegerField(_("収納サービスの番号の連続誤り回数"), default=0)
    payeasy_failure_date = models.DateField(_("収納サービスの番号誤りの日付"), null=True, blank=True)
    # IB解約: a state, never a delete; login and every flow are refused, accounts and history stay.
    cancelled_at = models.DateTimeField(_("IB解約日時"), null=True, blank=True)
    created_at = models.DateTimeField(_("作成日時"), default=clock.now, editable=False)
    # ログイン通知: logins from a known environment are notified unless turned off (a new one always is).
    notify_known_logins = models.BooleanField(_("ご利用環境からのログインも通知する"), default=True)
    # Kept with the passkeys (passkeys.ceremony): the method registry asks it on every gated page, for free.
    has_passkey = models.BooleanField(_("パスキー登録あり"), default=False, editable=False)

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

    def lock_row(self) -> None:
        """Serialise changes of this contract's credentials (the token flows, a 紛失届, a reset, passkeys) with
        one row lock, held to the end of the transaction (PostgreSQL; SQLite serialises all writes).

        FOR NO KEY UPDATE: it must not block the key-share locks that inserting an audit entry for the contract
        takes (a verification that consumed a code holds the binding's row and then inserts its audit entry;
        FOR UPDATE here, then waiting for the binding, made a deadlock of 32 concurrent stops).
        """
        type(self).objects.select_for_update(no_key=True).filter(pk=self.pk).values_list("pk").get()

    def own_accounts(self) -> list:
        """The contract's customer accounts, read once per contract object: a request's form (the 支払口座
        choices) and its rules (口座名義確認's own-account test) share the one read."""
        if "_own_accounts" not in self.__dict__:
            self._own_accounts = _OWN_ACCOUNTS.all(self.pk)
        return self._own_accounts

    @property
    def uses_transfer_password(self) -> bool:
        """The 資金移動用パスワード is the contract's own secret (not the お客様カード): its customer may change it."""
        return self.transaction_method == self.Method.TRANSFER_PASSWORD

    @property
    def is_active_contract(self) -> bool:
        """Not cancelled (IB解約) and its user active. Locks are rows: ask accounts.gate whether it may act."""
        return self.user.is_active and self.cancelled_at is None

    # -- transaction secret (資金移動用パスワード / お客様カード) ---------------

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
        """True when ``answer`` is right for the pending challenge (which it then consumes)."""
        return self.card_answer_outcome(answer) == "ok"

    def card_answer_outcome(self, answer: str, cells: str | None = None) -> str:
        """Compare ``answer`` (the digits of ``cells``, by default the pending challenge) in constant time.

        Returns ``"ok"`` (the challenge is consumed), ``"reused"`` (the right answer to the challenge answered
        last: a double submission, never a guess) or ``"wrong"``. A wrong answer keeps the challenge, so that
        reloading cannot re-roll the cells.
        """
        cells = self.card_challenge if cells is None else cells
        if not cells or not self.card_cells or cells not in (self.card_challenge, self.card_answered):
            return "wrong"
        grid = self.card_grid()
        expected = "".join(grid.get(cell, "") for cell in cells.split())
        if not constant_time_compare(expected, answer):
            return "wrong"
        consumed = Contract.objects.filter(pk=self.pk, card_challenge=cells).update(
            card_challenge="", card_answered=cells
        )
        self.card_challenge, self.card_answered = "", cells
        return "ok" if consumed == 1 else "reused"


# The bank's own accounts: purpose -> (number, holder name).
INTERNAL_ACCOUNTS = {
    "cash": ("9000001", "ｹﾞﾝｷﾝ"),
    "fee_income": ("9000002", "ﾃｽｳﾘﾖｳｼﾕｳﾆﾕｳ"),
    "clearing_out": ("9000003", "ﾀｺｳｶﾜｾﾐｹﾂｻｲ"),
}


#: contract.accounts.customer(), compiled once (the menus and 振込 read it on every page)
_OWN_ACCOUNTS = CompiledQuery(lambda pk: Account.objects.customer().filter(contract_id=pk), -7_000_000_001)


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
    (payments.ledger writes both in one transaction). A customer's balance
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

    kind_label = ChoiceLabel("kind")  # get_kind_display(), from one dictionary (ibank.labels)

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

    # Served by loginrecord_contract_at (no index of its own: tests/ibank/test_indexes).
    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="logins", verbose_name=_("IB契約"), db_index=False
    )
    at = models.DateTimeField(_("日時"), default=clock.now, db_index=True)
    channel = models.CharField(_("チャネル"), max_length=12, choices=Channel.choices)
    ip = models.GenericIPAddressField(_("接続元アドレス"), null=True, blank=True)
    browser = models.CharField(_("ブラウザ・OS"), max_length=80, blank=True)
    new_environment = models.BooleanField(_("新しい環境"), default=False)

    channel_label = ChoiceLabel("channel")  # get_channel_display(), from one dictionary (ibank.labels)

    class Meta:
        ordering = ["-at", "-pk"]
        # A contract's logins newest first (前回ログイン日時 at every login, the login history): one range, in order.
        indexes = [models.Index(fields=["contract", "-at", "-id"], name="loginrecord_contract_at")]

    def __str__(self):
        return f"{timezone.localtime(self.at):%Y-%m-%d %H:%M:%S} {self.get_channel_display()}"


class DailyUsage(models.Model):
    """What a contract has transferred on one JST day; raised only by a conditional UPDATE (SPEC §5).

    ``scope`` "" is the contract's daily limit; ``payee:…`` a new payee's daily cap (payments.payees)."""

    # Served by usage_unique_per_day_scope (no index of its own: tests/ibank/test_indexes).
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="daily_usage", db_index=False)
    date = models.DateField(_("日付"))
    used = models.BigIntegerField(_("利用額"), default=0)
    scope = models.CharField(_("対象"), max_length=40, default="", blank=True)

    class Meta:
        db_table = "transfers_dailyusage"  # made when this lived in the "transfers" app
        verbose_name = _("振込利用額")
        verbose_name_plural = _("振込利用額")
        constraints = [
            models.UniqueConstraint(fields=["contract", "date", "scope"], name="usage_unique_per_day_scope"),
            models.CheckConstraint(condition=Q(used__gte=0), name="usage_not_negative"),
        ]

    def __str__(self):
        return f"{self.contract_id} {self.date} {self.used}"
