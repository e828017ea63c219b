"""What 振込 and Pay-easy share between 入力 and 実行: the 受付番号, the digest of what 確認 showed, the
DRAFT → CONFIRMED step and 中止. (The authorization step itself is accounts.steps.)"""

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_lazy as _

from accounts import limits
from accounts.models import Contract
from auditlog import audit
from ibank import clock, compiled
from ledger import books


class TransferError(Exception):
    """A refusal the customer is told about; ``field`` names the form field it concerns and ``reason`` is what
    the audit records. A refusal declares both as class keywords: ``class X(TransferError, field=..., reason=...)``.
    """

    message = _("お取引を完了できませんでした。最初からやり直してください。")
    field = None
    reason = "refused"

    def __init_subclass__(cls, *, field=None, reason=None, **kwargs):
        super().__init_subclass__(**kwargs)
        if field is not None:
            cls.field = field
        if reason is not None:
            cls.reason = reason

    def __init__(self, message=None, **params):
        super().__init__(self.reason)
        if message is not None:
            self.message = message
        self.params = params

    def text(self) -> str:
        return str(self.message) % self.params if self.params else str(self.message)


class AlreadyExecuted(TransferError, reason="already_executed"):
    """The transfer was executed already (a reload, a double click): show its result."""


def digest_of(fields: list) -> str:
    """The SHA-256 of what 確認 showed, its fields joined by "|" (transfers, Pay-easy payments)."""
    return hashlib.sha256("|".join(map(str, fields)).encode()).hexdigest()


def _new_reference() -> str:
    """受付番号: the JST date and 8 random digits (not guessable from one another)."""
    return f"{limits.today():%y%m%d}{secrets.randbelow(10**8):08d}"


def create_with_reference(model, error_class: type[TransferError], **values):
    """A new ``model`` row with a fresh 受付番号 (another one drawn on the rare collision)."""
    for _attempt in range(10):
        row = model(reference=_new_reference(), **values)
        if compiled.insert(row, unless_taken="reference"):  # no savepoint: a taken 受付番号 writes nothing
            return row
    raise error_class


@dataclass(frozen=True)
class Steps:
    """The steps 振込 and Pay-easy share, for one kind of row: ``prefix`` names its audit actions
    ("transfer.confirm", …), ``digest`` is the digest of what its 確認 shows, ``changed`` the refusal when
    the row changed since."""

    prefix: str
    digest: Callable[[object], str]
    changed: type[TransferError]

    def confirm(self, *, actor, contract: Contract, obj) -> str:
        """DRAFT → CONFIRMED with the digest of what was shown, in one conditional UPDATE; a second 確認 (a
        reload) keeps the first digest. Raises AlreadyExecuted or ``changed``. Returns the digest in force.
        The confirmation and its audit entry commit together (one commit)."""
        model, digest = type(obj), self.digest(obj)
        with transaction.atomic():
            confirmed = model.objects.filter(pk=obj.pk, contract=contract, status=model.Status.DRAFT).update(
                status=model.Status.CONFIRMED, digest=digest, confirmed_at=clock.now()
            )
            if not confirmed:
                obj.refresh_from_db()
                if obj.is_authorized:
                    raise AlreadyExecuted
                if obj.status != model.Status.CONFIRMED:
                    raise self.changed
                digest = obj.digest
            action = f"{self.prefix}.confirm"
            audit.record(actor, action, ok=True, contract=contract, reference=obj.reference, digest=digest)
        return digest

    def cancel(self, *, actor, contract: Contract, obj) -> bool:
        """中止 before execution: DRAFT or CONFIRMED → CANCELLED; nothing moved, the row is kept (with its audit
        entry, in one commit). False when the row was no longer before execution (executed or reserved since
        it was loaded, or cancelled already): ``obj`` is then read again."""
        model = type(obj)
        with transaction.atomic():
            cancelled = model.objects.filter(
                pk=obj.pk, contract=contract, status__in=[model.Status.DRAFT, model.Status.CONFIRMED]
            ).update(status=model.Status.CANCELLED)
            if cancelled:
                audit.record(actor, f"{self.prefix}.cancel", ok=True, contract=contract, reference=obj.reference)
        if not cancelled:
            obj.refresh_from_db()
        return bool(cancelled)

    def changed_since_confirm(self, obj, digest: str) -> bool:
        """The row as loaded no longer produces ``digest``, the one kept server-side at 確認; raises
        AlreadyExecuted when it changed by being executed (a reload, a double click)."""
        if constant_time_compare(self.digest(obj), digest):
            return False
        if obj.is_executed:
            raise AlreadyExecuted
        return True


# -- 入力 ---------------------------------------------------------------------------


def confirmed_claim(
    obj, *, contract: Contract, digest: str, fields: list[str], done: str, now, status=None, also=None
) -> books.Guard:
    """The claim of a confirmed row (a transfer, a payment) exactly as it was loaded and confirmed: CONFIRMED
    (or ``status``: a reservation is RESERVED) with its digest and every field the movement was decided from
    → ``done`` (and the columns of ``also``)."""
    where = confirmed_where(obj, contract=contract, digest=digest, fields=fields, status=status)
    changes = {"status": done, "executed_at": now, **(also or {})}
    return books.Guard(type(obj), obj.pk, where=where, set=changes, refused="changed")


def confirmed_where(obj, *, contract: Contract, digest: str, fields: list[str], status=None) -> dict:
    """The row as 確認 showed it: the contract's, CONFIRMED (or ``status``), with ``digest`` and every one of
    ``fields`` as loaded. A claim (an UPDATE) under it takes the row once, and only unchanged."""
    where = {"contract_id": contract.pk, "status": status or type(obj).Status.CONFIRMED, "digest": digest}
    where.update({name: getattr(obj, name) for name in fields})
    return where


def movement(
    actor, contract: Contract, obj, *, kind: str, lines, claims, digest: str, now, action: str, caps=(), **detail
) -> books.Instruction:
    """The instruction that executes a confirmed row ``obj`` (a transfer, a payment), as 振込 and Pay-easy
    share it: ``lines`` under ``claims``; the contract's ceiling rows held as read; the row's amount toward
    today's usage, under the limit (then any ``caps``); the row pointed to the journal entry; the audit entry
    ``action`` naming the row's reference, amount and digest (and ``detail``)."""
    return books.Instruction(
        kind=kind,
        reference=obj.reference,
        at=now,
        lines=lines,
        checks=limit_check(contract),
        claims=claims,
        usage=daily_usage(contract, obj.amount),
        caps=list(caps),
        link=(type(obj), obj.pk),
        audit=audit.entry(
            actor,
            action,
            ok=True,
            contract=contract,
            reference=obj.reference,
            amount=obj.amount,
            digest=digest,
            **detail,
        ),
    )


def limit_check(contract: Contract) -> list[books.Guard]:
    """The rows the day's ceiling was decided from, held as read until the movement commits."""
    rows = limits.ceiling_rows(contract)
    return [books.Guard(model, pk, where=where, refused="limit_changed") for model, pk, where in rows]


def daily_usage(contract: Contract, amount: int) -> books.Usage:
    """``amount`` toward today's usage, under the limit in force today (accounts.limits decides it)."""
    on = limits.today()
    return books.Usage(contract.pk, on, amount, limits.daily_limit(contract, on))


def awaiting_authorization(contract: Contract) -> list[dict]:
    """Transfers and payments ``contract`` confirmed in the last 5 minutes and has not executed, newest first
    (accounts.steps.awaiting): the payee as 確認 showed it, and the amount."""
    from datetime import timedelta

    from ibank import pending

    from .models import Payment, Transfer

    since = clock.now() - timedelta(seconds=pending.max_age())
    items = []
    confirmed = {"contract": contract, "status": Transfer.Status.CONFIRMED, "confirmed_at__gte": since}
    for t in Transfer.objects.filter(**confirmed).order_by("-confirmed_at")[:3]:
        bank, branch = f"{t.bank_name}（{t.bank_code}）", f"{t.branch_name}（{t.branch_code}）"
        payee = f"{bank} {branch} {t.payee_kind_label} {t.payee_number} {t.payee_name}"
        items.append({"at": t.confirmed_at, "payee": payee, "amount": t.amount + t.fee})
    for p in Payment.objects.filter(**confirmed).order_by("-confirmed_at")[:3]:
        items.append({"at": p.confirmed_at, "payee": f"{p.biller_name}（{p.biller_number}）", "amount": p.amount})
    items.sort(key=lambda item: item["at"], reverse=True)
    return [{"payee": item["payee"], "amount": item["amount"]} for item in items]


def _by_reference(model_name: str, *related: str) -> compiled.CompiledQuery:
    """One row of a draft model by its 受付番号 alone, which is unique, with ``related`` loaded: compiled once per
    process (ibank.compiled). With the contract in the WHERE too, a generic plan may walk the contract's index
    through all its rows instead (seen on a table without statistics); :func:`owned` checks it on the row."""

    def build(reference):
        from . import models

        model = getattr(models, model_name)
        return model.objects.select_related(*related).filter(reference=reference).order_by()

    return compiled.CompiledQuery(build, "probe-reference")


#: Every step of 振込 starts from it; every step of a Pay-easy payment from the other.
_OWN_TRANSFER = _by_reference("Transfer", "from_account", "to_account")
_OWN_PAYMENT = _by_reference("Payment", "from_account", "bill")


def owned(row, contract: Contract):
    """``row`` (a transfer or a payment loaded by its unique 受付番号 alone) if it is ``contract``'s, else None:
    the one check that scopes a 受付番号 from a URL to the logged-in contract."""
    return row if row is not None and row.contract_id == contract.pk else None


def own_transfer(contract: Contract, reference: str):
    """``contract``'s transfer with this 受付番号 (its accounts loaded), or None: another contract's is None."""
    return owned(_OWN_TRANSFER.first(reference), contract)


def own_payment(contract: Contract, reference: str):
    """``contract``'s Pay-easy payment with this 受付番号 (its account and bill loaded), or None."""
    return owned(_OWN_PAYMENT.first(reference), contract)
