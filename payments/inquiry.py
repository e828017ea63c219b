"""振込照会・予約照会 (issue 18): the contract's transfers and Pay-easy payments past 認証, newest first,
by status and by period, each with its 受付番号 and its page.

A row's day is when it was accepted: executed, or reserved (a reservation's 振込指定日 is shown beside it).
予約中 lists every reservation still waiting, whatever the period. Drafts and what was stopped before 認証
are not listed (nothing was asked of the bank).
"""

from dataclasses import dataclass
from datetime import date, datetime

from django import forms
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import Contract

from . import statement
from .models import Payment, Transfer

LIMIT = 100

# Labels read from one dictionary each: Django's get_FOO_display() hashes (so translates) every choice's
# label on each call, and a page lists up to LIMIT rows of each kind.
_KIND_LABELS = dict(Transfer._meta.get_field("payee_kind").flatchoices)
_TRANSFER_STATUS_LABELS = dict(Transfer.Status.choices)
_PAYMENT_STATUS_LABELS = dict(Payment.Status.choices)


def _label(labels: dict, value) -> str:
    return str(labels.get(value, value))


STATUSES = [
    ("", _("すべて")),
    (Transfer.Status.ACCEPTED, _("受付済")),
    (Transfer.Status.DONE, _("振込済")),
    (Transfer.Status.RESERVED, _("予約中")),
    (Transfer.Status.CANCELLED, _("取消済")),
    (Transfer.Status.FAILED, _("不成立")),
]


class InquiryForm(statement.StatementForm):
    status = forms.ChoiceField(label=_("状態"), choices=STATUSES, required=False)
    field_order = ["status", "period", "date_from", "date_to"]


@dataclass(frozen=True)
class Item:
    kind: str  # 振込 or 収納サービス
    reference: str
    at: datetime
    payee: str
    amount: int
    status: str  # the status's label
    status_key: str
    scheduled_for: date | None
    url: str


def items(contract: Contract, status: str, start: date, end: date) -> list[Item]:
    """At most LIMIT rows of each kind, merged newest first."""
    begin, finish = statement.bounds(start, end)
    transfers = Transfer.objects.filter(contract=contract).filter(
        Q(status__in=[*Transfer.EXECUTED, Transfer.Status.RESERVED, Transfer.Status.FAILED])
        | Q(status=Transfer.Status.CANCELLED, reserved_at__isnull=False)
    )
    if status:
        transfers = transfers.filter(status=status)
    if status != Transfer.Status.RESERVED:
        transfers = transfers.filter(
            Q(executed_at__gte=begin, executed_at__lt=finish)
            | Q(executed_at__isnull=True, reserved_at__gte=begin, reserved_at__lt=finish)
        )
    rows = [
        Item(
            kind=str(_("振込")),
            reference=t.reference,
            at=t.executed_at or t.reserved_at,
            payee=f"{t.bank_name} {t.branch_name} {_label(_KIND_LABELS, t.payee_kind)} {t.payee_number} {t.payee_name}",
            amount=t.amount + t.fee,
            status=_label(_TRANSFER_STATUS_LABELS, t.status),
            status_key=t.status,
            scheduled_for=t.scheduled_for,
            url=reverse("transfers-result", args=[t.reference]),
        )
        for t in transfers.order_by("-reserved_at", "-executed_at", "-pk")[:LIMIT]
    ]
    if status in ("", Transfer.Status.DONE):
        payments = Payment.objects.filter(
            contract=contract, status=Payment.Status.DONE, executed_at__gte=begin, executed_at__lt=finish
        ).order_by("-executed_at", "-pk")[:LIMIT]
        rows += [
            Item(
                kind=str(_("収納サービス")),
                reference=p.reference,
                at=p.executed_at,
                payee=f"{p.biller_name}（{p.biller_number}）",
                amount=p.amount,
                status=_label(_PAYMENT_STATUS_LABELS, p.status),
                status_key=Transfer.Status.DONE,
                scheduled_for=None,
                url=reverse("payeasy-result", args=[p.reference]),
            )
            for p in payments
        ]
    rows.sort(key=lambda item: (item.at, item.reference), reverse=True)
    return rows[:LIMIT]
