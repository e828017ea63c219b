"""The books (SPEC §5 money rules): journal entries of two or more postings summing to zero, never changed.

Written only by ``ledger.books`` (``post`` applies an instruction); corrected only by a reversing entry.
"""

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from ibank import clock
from ibank.labels import ChoiceLabel


class ImmutableQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionDenied("ledger entries are immutable; post a reversing entry")

    def delete(self):
        raise PermissionDenied("ledger entries are immutable; post a reversing entry")


class _Immutable(models.Model):
    objects = ImmutableQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionDenied("ledger entries are immutable; post a reversing entry")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionDenied("ledger entries are immutable; post a reversing entry")


class JournalEntry(_Immutable):
    """One movement of money: two or more postings summing to zero (payments.ledger writes it)."""

    class Kind(models.TextChoices):
        DEPOSIT = "deposit", _("入金")
        TRANSFER = "transfer", _("振込")
        REVERSAL = "reversal", _("取消")
        PAYEASY = "payeasy", _("収納サービス")

    at = models.DateTimeField(_("日時"), default=clock.now, db_index=True)
    kind = models.CharField(_("種類"), max_length=12, choices=Kind.choices)
    reference = models.CharField(_("受付番号"), max_length=20, blank=True, db_index=True)
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by", verbose_name=_("取消対象")
    )

    class Meta:
        db_table = "transfers_journalentry"  # made when this lived in the "transfers" app
        verbose_name = _("仕訳")
        verbose_name_plural = _("仕訳")
        ordering = ["-pk"]

    def __str__(self):
        return f"#{self.pk} {self.get_kind_display()} {self.reference}"


class Memo(models.TextChoices):
    DEPOSIT = "deposit", _("入金")
    TRANSFER_OUT = "transfer_out", _("振込")
    FEE = "fee", _("振込手数料")
    TRANSFER_IN = "transfer_in", _("振込入金")
    CLEARING = "clearing", _("他行為替")
    REVERSAL = "reversal", _("取消")
    PAYEASY = "payeasy", _("ペイジー")


class Posting(_Immutable):
    """One line of an entry: ``amount`` yen into (positive) or out of (negative) ``account``."""

    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="postings")
    # Served by posting_account_at (no index of its own: tests/ibank/test_indexes).
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="postings", db_index=False)
    amount = models.BigIntegerField(_("金額"))
    # The account's balance right after this posting (入出金明細 shows it).
    balance_after = models.BigIntegerField(_("残高"))
    # 摘要: what it was, and with whom (half-width kana, as on a passbook).
    memo = models.CharField(_("摘要"), max_length=16, choices=Memo.choices)
    counterparty = models.CharField(_("相手先"), max_length=30, blank=True)
    # The entry's time, kept on the line too (both engines write it): 入出金明細 reads an account's lines of a
    # period by its own index, newest first, without the entry (issue 19: flat in the account's size).
    at = models.DateTimeField(_("日時"), editable=False)

    class Meta:
        db_table = "transfers_posting"  # made when this lived in the "transfers" app
        verbose_name = _("仕訳明細")
        verbose_name_plural = _("仕訳明細")
        ordering = ["-pk"]
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="posting_amount_not_zero")]
        indexes = [models.Index(fields=["account", "-at", "-id"], name="posting_account_at")]

    def __str__(self):
        return f"{self.account_id} {self.amount:+d}"

    memo_label = ChoiceLabel("memo")  # 入出金明細 shows it on every line
