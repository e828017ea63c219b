"""振込照会・予約照会 (issue 18): the contract's transfers and Pay-easy payments past 認証, newest first,
by status and by period, each with its 受付番号 and its page.

A row's day is when it was accepted: executed, or reserved (a reservation's 振込指定日 is shown beside it).
予約中 lists every reservation still waiting, whatever the period. Drafts and what was stopped before 認証
are not listed (nothing was asked of the bank).
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime

from django import forms
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import Contract
from ibank.compiled import CompiledQuery

from . import statement
from .models import ACCEPTED_AT, Payment, Transfer

LIMIT = 100


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


_TRANSFERS: dict[tuple[bool, bool], CompiledQuery] = {}
_PERIOD_PROBES = (datetime(1901, 1, 1, tzinfo=UTC), datetime(1901, 1, 2, tzinfo=UTC))


def _transfers_query(*, one_status: bool, period: bool) -> CompiledQuery:
    """The contract's transfers past 認証, the newest accepted first, at most LIMIT: of one status or all;
    accepted within a period or not. Compiled once per shape; each shape is one range of an index, read in
    order and stopped at LIMIT (transfer_accepted, or transfer_status_accepted for one status), whatever the
    size of the contract's history."""
    if (one_status, period) not in _TRANSFERS:

        def build(pk, *rest):
            # The accepted time comes from the query (ACCEPTED_AT), not worked out again from the row.
            rows = (
                Transfer.objects.annotate(accepted=ACCEPTED_AT)
                .filter(contract_id=pk)
                .filter(
                    Q(status__in=[*Transfer.EXECUTED, Transfer.Status.RESERVED, Transfer.Status.FAILED])
                    | Q(status=Transfer.Status.CANCELLED, reserved_at__isnull=False)
                )
            )
            if one_status:
                rows = rows.filter(status=rest[0])
            if period:
                begin, finish = rest[-2:]
                rows = rows.filter(accepted__gte=begin, accepted__lt=finish)
            return rows.order_by(ACCEPTED_AT.desc(), "-pk")[:LIMIT]

        probes = (*(("probe-status",) if one_status else ()), *(_PERIOD_PROBES if period else ()))
        _TRANSFERS[(one_status, period)] = CompiledQuery(build, -7_000_000_001, *probes)
    return _TRANSFERS[(one_status, period)]


#: Served by the index payment_contract_done: one range, in order.
_PAYMENTS = CompiledQuery(
    lambda pk, begin, finish: Payment.objects.filter(
        contract_id=pk, status=Payment.Status.DONE, executed_at__gte=begin, executed_at__lt=finish
    ).order_by("-executed_at", "-pk")[:LIMIT],
    *(-7_000_000_001, *_PERIOD_PROBES),
)


def items(contract: Contract, status: str, start: date, end: date) -> list[Item]:
    """At most LIMIT rows of each kind, merged newest first."""
    begin, finish = statement.bounds(start, end)
    period = status != Transfer.Status.RESERVED  # 予約中: every reservation still waiting, whatever the period
    transfers = _transfers_query(one_status=bool(status), period=period).all(
        contract.pk, *([status] if status else []), *([begin, finish] if period else [])
    )
    kind = str(_("振込"))  # once a page, not once a row
    rows = [
        Item(
            kind=kind,
            reference=t.reference,
            at=t.accepted,
            payee=f"{t.bank_name} {t.branch_name} {t.payee_kind_label} {t.payee_number} {t.payee_name}",
            amount=t.amount + t.fee,
            status=t.status_label,
            status_key=t.status,
            scheduled_for=t.scheduled_for,
            url=reverse("transfers-result", args=[t.reference]),
        )
        for t in transfers
    ]
    if status in ("", Transfer.Status.DONE):
        payments = _PAYMENTS.all(contract.pk, begin, finish)
        kind = str(_("収納サービス"))
        rows += [
            Item(
                kind=kind,
                reference=p.reference,
                at=p.executed_at,
                payee=f"{p.biller_name}（{p.biller_number}）",
                amount=p.amount,
                status=p.status_label,
                status_key=Transfer.Status.DONE,
                scheduled_for=None,
                url=reverse("payeasy-result", args=[p.reference]),
            )
            for p in payments
        ]
    rows.sort(key=lambda item: (item.at, item.reference), reverse=True)
    return rows[:LIMIT]
