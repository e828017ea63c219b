"""The Zengin master (SPEC §2): every financial institution and branch, loaded by ``manage.py load_zengin``."""

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from ibank import clock

digits = {n: RegexValidator(rf"^[0-9]{{{n}}}\Z") for n in (3, 4)}


class Bank(models.Model):
    """A financial institution of the Zengin master (金融機関コード 4 digits)."""

    code = models.CharField(_("金融機関コード"), max_length=4, primary_key=True, validators=[digits[4]])
    name = models.CharField(_("金融機関名"), max_length=60)
    # Half-width kana in the Zengin character set, as it goes into a Zengin record.
    kana = models.CharField(_("金融機関名（カナ）"), max_length=60)
    # The first large kana of the reading (ｱ…ﾝ), for the 50-on index.
    initial = models.CharField(_("頭文字"), max_length=1, db_index=True)
    search_text = models.CharField(max_length=200, editable=False)

    class Meta:
        db_table = "transfers_bank"  # made when this lived in the "transfers" app
        verbose_name = _("金融機関")
        verbose_name_plural = _("金融機関")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.name}"


class Branch(models.Model):
    """A branch of a bank (支店番号 3 digits)."""

    # Served by branch_unique_code (no index of its own: tests/ibank/test_indexes).
    bank = models.ForeignKey(Bank, on_delete=models.CASCADE, related_name="branches", db_index=False)
    code = models.CharField(_("支店番号"), max_length=3, validators=[digits[3]])
    name = models.CharField(_("支店名"), max_length=60)
    kana = models.CharField(_("支店名（カナ）"), max_length=60)
    initial = models.CharField(_("頭文字"), max_length=1)
    search_text = models.CharField(max_length=200, editable=False)

    class Meta:
        db_table = "transfers_branch"  # made when this lived in the "transfers" app
        verbose_name = _("支店")
        verbose_name_plural = _("支店")
        ordering = ["bank", "code"]
        constraints = [models.UniqueConstraint(fields=["bank", "code"], name="branch_unique_code")]

    def __str__(self):
        return f"{self.bank_id}-{self.code} {self.name}"


class MasterVersion(models.Model):
    """Which Zengin master is loaded, so that load_zengin only reloads a newer one."""

    source = models.CharField(max_length=40, unique=True)
    version = models.CharField(max_length=40)
    loaded_at = models.DateTimeField(default=clock.now)

    class Meta:
        db_table = "transfers_masterversion"  # made when this lived in the "transfers" app

    def __str__(self):
        return f"{self.source} {self.version}"
