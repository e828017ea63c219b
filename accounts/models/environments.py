"""Known environments (ご利用環境, issue 17): the browsers a contract has logged in from, each known by a
random id in a signed, HttpOnly device cookie (accounts.environments). A login without one is from a new
environment: it is always notified, and holds payments to new payees for a while (accounts.holds)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from ibank import clock

from .. import browsers
from .contract import Contract


class KnownEnvironment(models.Model):
    # Served by environment_by_contract (no index of its own: tests/ibank/test_indexes).
    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="environments", verbose_name=_("IB契約"), db_index=False
    )
    # The cookie's random id; never shown (the customer sees the browser and the dates).
    key = models.CharField(max_length=64, unique=True, editable=False)
    browser = models.CharField(_("ブラウザ・OS"), max_length=80)
    first_seen = models.DateTimeField(_("初回ご利用日時"), default=clock.now)
    last_seen = models.DateTimeField(_("最終ご利用日時"), default=clock.now)
    # Removed by the customer (or superseded): the cookie no longer makes this browser known.
    removed_at = models.DateTimeField(_("削除日時"), null=True, blank=True)

    class Meta:
        verbose_name = _("ご利用環境")
        verbose_name_plural = _("ご利用環境")
        ordering = ["-last_seen", "-pk"]
        indexes = [models.Index(fields=["contract", "removed_at"], name="environment_by_contract")]

    def __str__(self):
        return self.browser

    @property
    def browser_label(self) -> str:
        return browsers.label(self.browser)
