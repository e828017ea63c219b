"""Payments (SPEC §5): 振込 (transfers), registered payees, and 収納サービス (Pay-easy billers, bills, payments).

Money is integer yen everywhere.
"""

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from accounts import limits
from accounts.models import Account, Contract
from ibank import clock
from ibank.labels import ChoiceLabel
from ledger.models import JournalEntry

digits = {n: RegexValidator(rf"^[0-9]{{{n}}}\Z") for n in (3, 4, 5, 7)}


def digits_up_to(n: int) -> RegexValidator:
    return RegexValidator(rf"^[0-9]{{1,{n}}}\Z", _("半角数字%(n)d桁以内で入力してください。") % {"n": n})


# -- transfers ------------------------------------------------------------------

#: When a transfer was accepted: executed, or else reserved (a reservation executed later counts as executed).
#: 照会 lists by it (payments.inquiry), and two indexes hold it: the same expression, or the planner would not
#: match them.
ACCEPTED_AT = Coalesce("executed_at", "reserved_at")


class Draft(models.Model):
    """What a 振込 and a Pay-easy payment share from 入力 to 結果 (payments.drafts): the 受付番号, the digest 確認
    fixed, the journal entry that executed it, when it was entered and confirmed. (Each keeps its own
    ``status_label``: a ChoiceLabel caches the labels of the first model it serves.)"""

    reference = models.CharField(_("受付番号"), max_length=14, unique=True)
    # At 確認: a keyed digest of what was confirmed; execution refuses any difference.
    digest = models.CharField(max_length=64, blank=True, editable=False)
    entry = models.OneToOneField(JournalEntry, null=True, blank=True, on_delete=models.PROTECT)
    created_at = models.DateTimeField(_("入力日時"), default=clock.now)
    confirmed_at = models.DateTimeField(_("確認日時"), null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return self.reference


class Transfer(Draft):
    """A 振込 from one of the contract's accounts: 入力 → 確認 → 認証 → 結果."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("入力中")
        CONFIRMED = "confirmed", _("確認済")
        DONE = "done", _("振込済")  # same bank: credited at once
        ACCEPTED = "accepted", _("受付済")  # other bank: queued for the Zengin file
        RESERVED = "reserved", _("予約中")  # 振込予約: authorized, executed by the worker on its 振込指定日
        FAILED = "failed", _("不成立")  # a reservation the balance or the limit refused on its day
        CANCELLED = "cancelled", _("取消済")

    # Served by transfer_accepted and the others that lead with it (no index of its own: tests/ibank/test_indexes).
    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="transfers", db_index=False)
    from_account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="transfers_out", verbose_name=_("支払口座")
    )
    bank_code = models.CharField(_("金融機関コード"), max_length=4)
    bank_name = models.CharField(_("金融機関名"), max_length=60)
    bank_kana = models.CharField(max_length=60)
    branch_code = models.CharField(_("支店番号"), max_length=3)
    branch_name = models.CharField(_("支店名"), max_length=60)
    branch_kana = models.CharField(max_length=60)
    payee_kind = models.PositiveSmallIntegerField(_("預金種目"), choices=Account.Kind.choices)
    payee_number = models.CharField(_("口座番号"), max_length=7)
    payee_name = models.CharField(_("受取人名"), max_length=30)
    # Same bank: the payee's account (its holder name is shown at 確認).
    to_account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.PROTECT, related_name="transfers_in"
    )
    amount = models.BigIntegerField(_("振込金額"))
    fee = models.BigIntegerField(_("振込手数料"))
    # Decided at 入力 (payments.new_payees): the payee is new (never paid, or first paid within its first days),
    # so the money engine applies the new payee's daily cap at 実行.
    new_payee = models.BooleanField(_("新しい振込先"), default=False)
    # 口座名義確認 (payments.name_lookup): entering this same-bank payee counted as a lookup; once the transfer
    # is executed or reserved, the lookup no longer counts toward the day's limit.
    name_looked_up = models.BooleanField(default=False, editable=False)
    status = models.CharField(_("状態"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    executed_at = models.DateTimeField(_("実行日時"), null=True, blank=True)
    # Other bank: written to a Zengin file by manage.py export_zengin.
    exported_at = models.DateTimeField(_("全銀ファイル作成日時"), null=True, blank=True)
    # 振込予約: the future 振込指定日 (JST); None for a transfer of today.
    scheduled_for = models.DateField(_("振込指定日"), null=True, blank=True)
    reserved_at = models.DateTimeField(_("予約日時"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("取消日時"), null=True, blank=True)
    # Why a reservation ended 不成立 (payments.reservations.FAILURES).
    failure = models.CharField(_("不成立の理由"), max_length=20, blank=True)
    # The JST day the payee is credited: same bank the day of execution; other bank the business day whose
    # Zengin file carries it (ibank.business_days). Set at execution.
    settles_on = models.DateField(_("入金日"), null=True, blank=True)

    status_label = ChoiceLabel("status")  # get_status_display(), from one dictionary (ibank.labels)
    payee_kind_label = ChoiceLabel("payee_kind")

    class Meta(Draft.Meta):
        verbose_name = _("振込")
        verbose_name_plural = _("振込")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="transfer_amount_positive"),
            models.CheckConstraint(condition=Q(fee__gte=0), name="transfer_fee_not_negative"),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "confirmed", "done", "accepted", "reserved", "failed", "cancelled"]),
                name="transfer_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="reserved") | Q(scheduled_for__isnull=False), name="transfer_reserved_has_date"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "scheduled_for"], name="transfer_reserved_due"),
            # When the contract first paid this payee (payments.new_payees, at every 入力): one range, in order.
            models.Index(
                fields=["contract", "bank_code", "branch_code", "payee_kind", "payee_number", "executed_at"],
                name="transfer_payee_paid",
            ),
            # 照会 (payments.inquiry): the contract's transfers by when they were accepted (executed, or
            # reserved), newest first; and those of one status (予約中: every waiting reservation). One range each.
            models.Index(F("contract"), ACCEPTED_AT, F("id"), name="transfer_accepted"),
            models.Index(
                F("contract"),
                F("status"),
                ACCEPTED_AT,
                F("id"),
                name="transfer_status_accepted",
            ),
        ]

    EXECUTED = (Status.DONE, Status.ACCEPTED)

    @property
    def total(self) -> int:
        return self.amount + self.fee

    @property
    def is_executed(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.ACCEPTED)

    @property
    def is_authorized(self) -> bool:
        """Past 認証: executed, reserved, or a reservation that ended (不成立, 取消): its page is the result."""
        return self.is_executed or self.reserved_at is not None

    @property
    def is_reservation(self) -> bool:
        return self.scheduled_for is not None

    @property
    def waits_for_its_day(self) -> bool:
        """A 振込予約 whose 振込指定日 is still to come (the bank's day): 認証 reserves it, and no execution moves
        its money before that day; on the day itself it is executed at once."""
        return self.scheduled_for is not None and self.scheduled_for > limits.today()

    @property
    def masked_payee_number(self) -> str:
        return f"***{self.payee_number[-4:]}"


class Payee(models.Model):
    """A registered payee (振込先登録) of a contract."""

    # Served by payee_unique_per_contract (no index of its own: tests/ibank/test_indexes).
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="payees", db_index=False)
    bank_code = models.CharField(_("金融機関コード"), max_length=4)
    bank_name = models.CharField(_("金融機関名"), max_length=60)
    branch_code = models.CharField(_("支店番号"), max_length=3)
    branch_name = models.CharField(_("支店名"), max_length=60)
    kind = models.PositiveSmallIntegerField(_("預金種目"), choices=Account.Kind.choices)
    number = models.CharField(_("口座番号"), max_length=7)
    name = models.CharField(_("受取人名"), max_length=30)
    created_at = models.DateTimeField(_("登録日時"), default=clock.now)

    kind_label = ChoiceLabel("kind")

    class Meta:
        verbose_name = _("登録振込先")
        verbose_name_plural = _("登録振込先")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "bank_code", "branch_code", "kind", "number"], name="payee_unique_per_contract"
            )
        ]

    def __str__(self):
        return f"{self.bank_name} {self.branch_name} {self.number} {self.name}"


# -- 収納サービス (Pay-easy), SPEC §5 ------------------------------------------------


class Biller(models.Model):
    """A 収納機関 the bank collects for, with its own clearing account (credited by every payment)."""

    class Kind(models.TextChoices):
        PRIVATE = "private", _("民間")
        PUBLIC = "public", _("国庫金・地方公共団体")

    number = models.CharField(_("収納機関番号"), max_length=5, unique=True, validators=[digits[5]])
    name = models.CharField(_("収納機関名"), max_length=60)
    # Half-width kana, as the customer's passbook shows it (入出金明細's 相手先).
    kana = models.CharField(_("収納機関名（カナ）"), max_length=30)
    kind = models.CharField(_("種類"), max_length=8, choices=Kind.choices)
    is_active = models.BooleanField(_("取扱中"), default=True)
    account = models.OneToOneField(
        Account, on_delete=models.PROTECT, related_name="biller", editable=False, verbose_name=_("収納機関決済口座")
    )

    class Meta:
        verbose_name = _("収納機関")
        verbose_name_plural = _("収納機関")
        ordering = ["number"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["private", "public"]), name="biller_kind_valid"),
        ]

    def __str__(self):
        return f"{self.number} {self.name}"

    def save(self, *args, **kwargs):
        """A new biller gets its clearing account (本部, 普通 8 + 収納機関番号 + 0) in the same transaction."""
        from django.db import transaction

        with transaction.atomic():
            if self.account_id is None:
                self.account = Account.objects.create(
                    purpose=Account.Purpose.BILLER,
                    branch_code="000",
                    branch_name="本部",
                    kind=Account.Kind.ORDINARY,
                    number=f"8{self.number}0",
                    holder_kana=self.kana[:30],
                )
            super().save(*args, **kwargs)

    @property
    def is_public(self) -> bool:
        return self.kind == self.Kind.PUBLIC


class Bill(models.Model):
    """One bill (払込み) a biller has issued; paid at most once (a conditional UPDATE, and a unique index)."""

    # Served by bill_unique_numbers (no index of its own: tests/ibank/test_indexes).
    biller = models.ForeignKey(
        Biller, on_delete=models.PROTECT, related_name="bills", verbose_name=_("収納機関"), db_index=False
    )
    # 民間: お客様番号; 国庫金・地方公共団体: 納付番号.
    customer_number = models.CharField(_("お客様番号／納付番号"), max_length=20, validators=[digits_up_to(20)])
    confirmation_number = models.CharField(_("確認番号"), max_length=6, validators=[digits_up_to(6)])
    # 国庫金・地方公共団体 only.
    payment_category = models.CharField(_("納付区分"), max_length=3, blank=True, validators=[digits_up_to(3)])
    description = models.CharField(_("内容"), max_length=60)
    amount = models.BigIntegerField(_("金額（円）"))
    due_date = models.DateField(_("お支払期限"))
    paid_at = models.DateTimeField(_("払込日時"), null=True, blank=True, editable=False)
    paid_reference = models.CharField(_("払込みの受付番号"), max_length=14, blank=True, editable=False)
    created_at = models.DateTimeField(_("登録日時"), default=clock.now, editable=False)

    class Meta:
        verbose_name = _("請求（払込み）")
        verbose_name_plural = _("請求（払込み）")
        ordering = ["biller", "due_date", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["biller", "customer_number", "payment_category"], name="bill_unique_numbers"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="bill_amount_positive"),
        ]

    def __str__(self):
        return f"{self.biller.number}-{self.customer_number} {self.description}"

    @property
    def is_paid(self) -> bool:
        return self.paid_at is not None


class Payment(Draft):
    """A 収納サービス payment of one bill: 入力 → 確認 → 認証 → 結果, like a transfer."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("入力中")
        CONFIRMED = "confirmed", _("確認済")
        DONE = "done", _("払込済")
        CANCELLED = "cancelled", _("中止")

    # Served by payment_contract_done (no index of its own: tests/ibank/test_indexes).
    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="payments", db_index=False)
    bill = models.ForeignKey(Bill, on_delete=models.PROTECT, related_name="payments", verbose_name=_("請求"))
    from_account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="payments_out", verbose_name=_("支払口座")
    )
    # What 確認 showed, copied from the bill and the biller (the digest covers them).
    biller_number = models.CharField(_("収納機関番号"), max_length=5)
    biller_name = models.CharField(_("収納機関名"), max_length=60)
    customer_number = models.CharField(_("お客様番号／納付番号"), max_length=20)
    payment_category = models.CharField(_("納付区分"), max_length=3, blank=True)
    description = models.CharField(_("内容"), max_length=60)
    amount = models.BigIntegerField(_("払込金額"))
    status = models.CharField(_("状態"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    executed_at = models.DateTimeField(_("払込日時"), null=True, blank=True)

    status_label = ChoiceLabel("status")

    class Meta(Draft.Meta):
        verbose_name = _("収納サービスの払込み")
        verbose_name_plural = _("収納サービスの払込み")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "confirmed", "done", "cancelled"]), name="payment_status_valid"
            ),
            # A bill is paid at most once, whatever the application does.
            models.UniqueConstraint(fields=["bill"], condition=Q(status="done"), name="payment_one_done_per_bill"),
        ]
        indexes = [
            # 照会 (payments.inquiry): the contract's payments in a period, newest first, as one range.
            models.Index(fields=["contract", "status", "executed_at", "id"], name="payment_contract_done"),
        ]

    @property
    def is_executed(self) -> bool:
        return self.status == self.Status.DONE

    @property
    def is_authorized(self) -> bool:
        return self.is_executed
