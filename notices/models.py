"""A notice to a customer (SPEC §8): written in the transaction of the event that causes it, sent by the worker."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ibank import clock


class Notice(models.Model):
    """One e-mail, rendered at the event (the address and the facts of that moment), delivered at least once.

    Its id is its Message-ID's local part, so that a retry after an unknown outcome (the relay took the
    message, then the connection dropped) is recognisable as the same message.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("送信待ち")
        SENDING = "sending", _("送信中")
        SENT = "sent", _("送信済")
        FAILED = "failed", _("送信失敗")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    contract = models.ForeignKey(
        "accounts.Contract",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notices",
        verbose_name=_("IB契約"),
    )
    event = models.CharField(_("お知らせ"), max_length=40)
    to = models.EmailField(_("宛先"))
    subject = models.CharField(_("件名"), max_length=200)
    body = models.TextField(_("本文"))
    status = models.CharField(_("状態"), max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("送信回数"), default=0)
    next_attempt_at = models.DateTimeField(_("次の送信"), default=clock.now)
    # While SENDING: until when the worker that claimed it may take; after that it is given to another.
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.CharField(_("最後のエラー"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("作成日時"), default=clock.now)
    sent_at = models.DateTimeField(_("送信日時"), null=True, blank=True)

    class Meta:
        verbose_name = _("お知らせメール")
        verbose_name_plural = _("お知らせメール")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="notice_due")]

    def __str__(self):
        return f"{self.get_event_display()} {self.to}"

    def get_event_display(self) -> str:
        from .outbox import SUBJECTS

        return str(SUBJECTS.get(self.event, self.event))

    @property
    def message_id(self) -> str:
        domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(">") or "localhost"
        return f"<notice-{self.id}@{domain}>"
