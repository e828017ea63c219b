"""The customer's menu, 振込 (入力 → 確認 → 認証 → 結果), 振込先, 入出金明細.

Every view reaches accounts, payees and transfers only through the helpers
below, scoped to the logged-in contract: another contract's object is a 404.
"""

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from accounts import gate, steps
from accounts.decorators import customer_required
from accounts.models import Account
from accounts.steps import confirmed_digest, unconfirmed
from ibank import clock, pending
from ibank.text import row_id

from . import inquiry, payees, reservations, services, statement
from .forms import TransferForm
from .models import Payee, Transfer
from .ui import BROWSER, NOT_CONFIRMED, TRANSFER_CONFIRMED_KEY, authorize_transfer, own_transfer, refused_here

CANCELLED = _("お振込を中止しました。")
RESERVATION_CANCELLED = _("振込予約を取り消しました。")
PAYEE_SAVED = _("振込先を登録しました。")
PAYEE_EXISTS = _("この振込先は登録済みです。")
PAYEE_DELETED = _("振込先を削除しました。")
NO_ACCOUNT = _("お支払に使える口座がありません。")


# -- access, scoped to the logged-in contract -----------------------------------


def _get_account(request, pk) -> Account:
    return get_object_or_404(Account.objects.customer(), pk=pk, contract=request.contract)


def _open_transfer(view):
    """A step before 認証 (入力 again, 確認), called with the transfer it acts on instead of its 受付番号; once
    authorized the transfer's result is shown instead, once cancelled a new 入力."""

    @wraps(view)
    def step(request, reference):
        transfer = own_transfer(request, reference)
        if transfer.is_authorized:
            return redirect("transfers-result", reference=reference)
        if transfer.status == Transfer.Status.CANCELLED:
            return redirect("transfers-new")
        return view(request, transfer)

    return step


# -- 振込 ---------------------------------------------------------------------------


def _initial_from_query(request, contract) -> dict:
    """Prefill from a registered payee (?payee=) or the bank search (?bank_code=&branch_code=)."""
    initial = {}
    if (payee_id := row_id(request.GET.get("payee", ""))) is not None:
        payee = Payee.objects.filter(pk=payee_id, contract=contract).first()
        if payee is not None:
            initial = {
                "bank_code": payee.bank_code,
                "branch_code": payee.branch_code,
                "payee_kind": payee.kind,
                "payee_number": payee.number,
                "payee_name": payee.name,
            }
    for name in ("bank_code", "branch_code"):
        if (code := request.GET.get(name, "")).isascii() and code.isdigit():
            initial[name] = code[:4]
    return initial


#: What 入力 passes on to transfer_prepare as entered (the 振込指定日 is its ``scheduled_for``).
_ENTERED = ("from_account", "bank_code", "branch_code", "payee_kind", "payee_number", "payee_name", "amount")


def _input(request, transfer=None):
    contract = request.contract
    if refused := refused_here(request, BROWSER, gate.Action.TRANSFER):  # a lock: told before 入力, not at 認証
        return refused
    if request.method == "POST":
        form = TransferForm(request.POST, contract=contract)
        if form.is_valid():
            data = form.cleaned_data
            try:
                entered = {name: data[name] for name in _ENTERED}
                transfer = services.transfer_prepare(
                    actor=request.actor,
                    contract=contract,
                    **entered,
                    scheduled_for=data["transfer_date"],
                    transfer=transfer,
                )
            except services.AlreadyExecuted:
                return redirect("transfers-result", reference=transfer.reference)
            except services.TransferError as error:
                form.add_error(error.field, error.text())
            else:
                return redirect("transfers-confirm", reference=transfer.reference)
    elif transfer is not None:
        form = TransferForm(
            contract=contract,
            initial={
                "from_account": transfer.from_account_id,
                "bank_code": transfer.bank_code,
                "branch_code": transfer.branch_code,
                "payee_kind": transfer.payee_kind,
                "payee_number": transfer.payee_number,
                "payee_name": transfer.payee_name,
                "amount": transfer.amount,
                "transfer_date": (transfer.scheduled_for or services.today()).isoformat(),
            },
        )
    else:
        form = TransferForm(contract=contract, initial=_initial_from_query(request, contract))
    return render(
        request,
        "transfers/input.html",
        {
            "form": form,
            "steps": steps.steps(0),
            "transfer": transfer,
            "cutoff": settings.IBANK_OTHER_BANK_CUTOFF,
            "available": services.available_today(contract),
            "payees": contract.payees.all()[:20],
            "no_account": not form.accounts,
        },
    )


@customer_required
@csrf_protect
def new_view(request):
    """振込 入力."""
    return _input(request)


@customer_required
@csrf_protect
@_open_transfer
def edit_view(request, transfer):
    """入力 again, from 確認's 戻る: the transfer is corrected and must be confirmed again."""
    return _input(request, transfer)


@customer_required
@csrf_protect
@_open_transfer
def confirm_view(request, transfer):
    """確認: what will move; 確認 fixes it (digest) and leads to 認証. It cannot be skipped."""
    reference = transfer.reference
    if request.method == "POST":
        try:
            digest = services.transfer_confirm(actor=request.actor, contract=request.contract, transfer=transfer)
        except services.AlreadyExecuted:
            return redirect("transfers-result", reference=reference)
        except services.TransferError as error:
            messages.error(request, error.text())
            return redirect("transfers-edit", reference=reference)
        pending.put(request, TRANSFER_CONFIRMED_KEY, transfer.reference, digest)
        return redirect("transfers-authorize", reference=reference)
    context = {"transfer": transfer, "steps": steps.steps(1), "settles_on": _settles_on(transfer)}
    return render(request, "transfers/confirm.html", context)


def _settles_on(transfer):
    """The day the payee will be credited if executed now (or on the 振込指定日): for 確認 and 認証."""
    if transfer.waits_for_its_day:
        return transfer.scheduled_for
    return services.settlement_day(transfer, clock.now())


@customer_required
@sensitive_post_parameters()
@csrf_protect
def authorize_view(request, reference):
    """認証: the contract's method (OTP, 資金移動用パスワード or card), then the money moves once."""
    transfer = own_transfer(request, reference)
    if transfer.is_authorized:
        return redirect("transfers-result", reference=reference)
    digest = confirmed_digest(request, TRANSFER_CONFIRMED_KEY, transfer)
    if digest is None:
        messages.warning(request, unconfirmed(request, TRANSFER_CONFIRMED_KEY, transfer, NOT_CONFIRMED))
        return redirect("transfers-confirm", reference=reference)

    return authorize_transfer(
        request,
        transfer,
        digest,
        template="transfers/authorize.html",
        result="transfers-result",
        on_success=lambda method: _execute(request, transfer, digest, method),
        context={"transfer": transfer, "steps": steps.steps(2), "settles_on": _settles_on(transfer)},
    )


def _execute(request, transfer, digest, method):
    reserve = transfer.waits_for_its_day
    try:
        (reservations.reserve if reserve else services.transfer_execute)(
            actor=request.actor,
            contract=request.contract,
            transfer=transfer,
            digest=digest,
            authorized_by=method,
        )
    except services.AlreadyExecuted:
        pass
    except services.TransferError as error:
        pending.clear(request, TRANSFER_CONFIRMED_KEY)
        messages.error(request, error.text())
        return redirect("transfers-edit", reference=transfer.reference)
    pending.clear(request, TRANSFER_CONFIRMED_KEY)
    return redirect("transfers-result", reference=transfer.reference)


@customer_required
@require_POST
@csrf_protect
def cancel_view(request, reference):
    """中止: before execution only; nothing moves."""
    transfer = own_transfer(request, reference)
    cancelled = services.transfer_cancel(actor=request.actor, contract=request.contract, transfer=transfer)
    pending.clear(request, TRANSFER_CONFIRMED_KEY)
    if not cancelled and transfer.is_authorized:  # executed or reserved meanwhile (a stale page): it stands
        return redirect("transfers-result", reference=reference)
    messages.info(request, CANCELLED)
    return redirect("accounts-menu")


@customer_required
def result_view(request, reference):
    """結果: rendered from the database; a reload shows the same 受付番号."""
    transfer = own_transfer(request, reference)
    if not transfer.is_authorized:
        return redirect("transfers-confirm", reference=reference)
    saved = payees.registered(request.contract, transfer) is not None
    context = {
        "transfer": transfer,
        "steps": steps.steps(3),
        "saved": saved,
        "cancellable": transfer.status == Transfer.Status.RESERVED and transfer.waits_for_its_day,
        "failure": reservations.failure_text(transfer),
    }
    return render(request, "transfers/result.html", context)


@customer_required
@csrf_protect
def reservation_cancel_view(request, reference):
    """予約の取消: a confirmation page, then one POST; until the end of the day before the 振込指定日."""
    transfer = own_transfer(request, reference)
    if transfer.status != Transfer.Status.RESERVED:
        return redirect("transfers-result", reference=reference)
    if request.method == "POST":
        try:
            reservations.cancel(actor=request.actor, contract=request.contract, transfer=transfer)
        except reservations.NotCancellable as error:
            messages.error(request, error.text())
        else:
            messages.success(request, RESERVATION_CANCELLED)
        return redirect("transfers-result", reference=reference)
    cancellable = transfer.waits_for_its_day
    return render(request, "transfers/reservation_cancel.html", {"transfer": transfer, "cancellable": cancellable})


@customer_required
@require_POST
@csrf_protect
def save_payee_view(request, reference):
    """「この振込先を登録する」 after a completed transfer."""
    transfer = own_transfer(request, reference)
    if not transfer.is_executed:
        return redirect("transfers-confirm", reference=reference)
    _payee, saved = payees.payee_save(actor=request.actor, contract=request.contract, transfer=transfer)
    messages.success(request, PAYEE_SAVED if saved else PAYEE_EXISTS)
    return redirect("transfers-result", reference=reference)


# -- 振込先 -------------------------------------------------------------------------


@customer_required
def payees_view(request):
    return render(request, "transfers/payees.html", {"payees": request.contract.payees.all()})


@customer_required
@csrf_protect
def payee_delete_view(request, pk):
    payee = Payee.objects.filter(pk=pk, contract=request.contract).first()
    if payee is None:  # another's, or none; or a double click whose first request deleted it: told so
        if request.method == "POST" and payees.payee_deleted(request.contract, pk):
            messages.success(request, PAYEE_DELETED)
            return redirect("transfers-payees")
        raise Http404
    if request.method == "POST":
        payees.payee_delete(actor=request.actor, contract=request.contract, payee=payee)
        messages.success(request, PAYEE_DELETED)
        return redirect("transfers-payees")
    return render(request, "transfers/payee_delete.html", {"payee": payee})


# -- 入出金明細 -----------------------------------------------------------------------


@customer_required
def history_view(request, pk):
    """入出金明細: a period (today, this month, last month, from–to), newest first by keyset; as CSV too."""
    account = _get_account(request, pk)
    form = statement.StatementForm(request.GET or None)
    start = end = None
    if not request.GET or form.is_valid():
        if not request.GET:
            form = statement.StatementForm({"period": "this_month"})
            form.is_valid()
        start, end = form.period_range()
        if request.GET.get("format") == "csv":
            return statement.csv_response(account, start, end, sjis=request.GET.get("encoding") == "sjis")
    page = statement.page(account, start, end, row_id(request.GET.get("before", ""))) if start else None
    query = request.GET.copy()
    query.pop("before", None)
    return render(
        request,
        "transfers/history.html",
        {"account": account, "page": page, "form": form, "start": start, "end": end, "query": query.urlencode()},
    )


# -- 振込照会・予約照会 -----------------------------------------------------------------


@customer_required
def inquiry_view(request):
    """振込照会・予約照会: by status (受付済, 振込済, 予約中, 取消済, 不成立) and period, newest first."""
    form = inquiry.InquiryForm(request.GET or {"period": "this_month"})
    rows = None
    if form.is_valid():
        start, end = form.period_range()
        rows = inquiry.items(request.contract, form.cleaned_data.get("status") or "", start, end)
    return render(request, "transfers/inquiry.html", {"form": form, "rows": rows, "limit": inquiry.LIMIT})
