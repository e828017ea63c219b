"""収納サービス (Pay-easy) pages: 収納機関番号 → 番号 → 確認 → 認証 → 結果.

One set of views for both channels: the browser IB (``BROWSER``) and the
feature-phone IB (``mobile`` wires them with its own templates, URL names and
login page, and refuses them to a customer with a token). Every view reaches
payments only through :func:`_get_payment`, scoped to the logged-in contract.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from accounts import gate, holds, steps
from accounts.steps import authorization_step, confirmed_digest, result_once_authorized, unconfirmed
from ibank import pending

from . import drafts, payeasy
from .forms import BillerForm, BillNumbersForm
from .models import Biller, Payment
from .services import AlreadyExecuted, TransferError
from .ui import BROWSER, UI, refusal, refused_here

BILLER_KEY = "_ibank_payeasy_biller"  # [収納機関番号, started at]
CONFIRMED_KEY = "_ibank_payeasy_confirmed"  # [reference, digest, started at]
BILLER_EXPIRED = _("一定時間が経過したため、収納機関番号の入力からやり直してください。")
NOT_CONFIRMED = _("お支払いの内容を確認してから、認証に進んでください。")
CANCELLED = _("お支払いを中止しました。")


def _refused(request, ui: UI):
    """The page instead of Pay-easy's, or None, in this order:

    1. a hold (a new environment, a changed credential): the blocked page with the hold's own words;
    2. the day's Pay-easy block, whenever the channel is allowed, even when the gate's one answer is another
       lock (its first refusal, say the transaction lock): the block is asked of the lock table, so that the
       customer learns at once that Pay-easy is closed until 0:00 instead of filling in a bill (8d52dfc);
    3. any other refusal of the gate: its page (payments.ui.refusal), 403 for the channel (/m/ and a token).
    """
    answer = gate.may(request.contract, gate.Action.PAYEASY, channel=ui.channel)
    if not answer and answer.kind in holds.KINDS:
        return _blocked(request, ui, answer.message)
    if (answer or answer.kind != "channel") and payeasy.is_blocked(request.contract, fresh=False):
        return _blocked(request, ui)
    return None if answer else refusal(request, ui, answer)


def _get_payment(request, reference) -> Payment:
    """The contract's payment with this 受付番号, or 404. By the 受付番号 alone (unique), the contract checked on
    the row found: as payments.drafts.own_transfer, so that no plan walks the contract's payments."""
    payment = drafts.own_payment(request.contract, reference)
    if payment is None:
        raise Http404
    return payment


def _payment_step(request, reference, ui: UI):
    """(the payment 確認 or 認証 acts on, None) or (None, the page instead): the result of a payment already
    made, or the gate's refusal (payments.ui.refused_here)."""
    payment = _get_payment(request, reference)
    if payment.is_executed:  # a reload after the money moved shows the result, whatever is refused since
        return None, redirect(ui.url("payeasy-result"), reference=reference)
    if refused := refused_here(request, ui):
        return None, refused
    return payment, None


def _blocked(request, ui: UI, message=None):
    return render(
        request,
        ui.template("payeasy_blocked.html"),
        {"message": message or payeasy.Blocked.message, "steps": steps.steps(0)},
    )


def start_view(request, ui: UI = BROWSER):
    """入力 (1): the 収納機関番号."""
    if refused := _refused(request, ui):
        return refused
    contract = request.contract
    form = BillerForm(request.POST or None, initial={"biller_number": request.GET.get("biller", "")[:5]})
    if request.method == "POST" and form.is_valid():
        try:
            biller = payeasy.biller_lookup(
                actor=request.actor, contract=contract, number=form.cleaned_data["biller_number"]
            )
        except payeasy.Blocked:
            return _blocked(request, ui)
        except TransferError as error:
            form.add_error(error.field, error.text())
        else:
            pending.put(request, BILLER_KEY, biller.number)
            return redirect(ui.url("payeasy-numbers"))
    return render(request, ui.template("payeasy_start.html"), {"form": form, "steps": steps.steps(0)})


def numbers_view(request, ui: UI = BROWSER):
    """入力 (2): the numbers of the biller's kind, and the account to pay from; then the bill is fetched."""
    if refused := _refused(request, ui):
        return refused
    contract = request.contract
    stored = pending.get(request, BILLER_KEY)
    biller = Biller.objects.filter(number=stored[0], is_active=True).first() if stored else None
    if biller is None:
        messages.warning(request, BILLER_EXPIRED)
        return redirect(ui.url("payeasy-new"))
    form = BillNumbersForm(request.POST or None, contract=contract, public=biller.is_public)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            bill = payeasy.bill_lookup(
                actor=request.actor,
                contract=contract,
                biller=biller,
                customer_number=data["customer_number"],
                confirmation_number=data["confirmation_number"],
                category=data.get("payment_category", ""),
            )
            payment = payeasy.payment_prepare(
                actor=request.actor, contract=contract, bill=bill, from_account=data["from_account"]
            )
        except payeasy.Blocked:
            pending.clear(request, BILLER_KEY)
            return _blocked(request, ui)
        except TransferError as error:
            form.add_error(error.field if error.field in form.fields else None, error.text())
        else:
            pending.clear(request, BILLER_KEY)
            return redirect(ui.url("payeasy-confirm"), reference=payment.reference)
    return render(
        request,
        ui.template("payeasy_numbers.html"),
        {"form": form, "biller": biller, "steps": steps.steps(0), "no_account": not form.accounts},
    )


def confirm_view(request, reference, ui: UI = BROWSER):
    """確認: the bill as fetched (収納機関, 内容, 金額); 確認 fixes it (digest) and leads to 認証."""
    payment, elsewhere = _payment_step(request, reference, ui)
    if elsewhere:
        return elsewhere
    if payment.status == Payment.Status.CANCELLED:
        return redirect(ui.url("payeasy-new"))
    if request.method == "POST":
        try:
            digest = payeasy.payment_confirm(actor=request.actor, contract=request.contract, payment=payment)
        except AlreadyExecuted:
            return redirect(ui.url("payeasy-result"), reference=reference)
        except TransferError as error:
            messages.error(request, error.text())
            return redirect(ui.url("payeasy-new"))
        pending.put(request, CONFIRMED_KEY, payment.reference, digest)
        return redirect(ui.url("payeasy-authorize"), reference=reference)
    return render(
        request,
        ui.template("payeasy_confirm.html"),
        {"payment": payment, "due_date": payment.bill.due_date, "steps": steps.steps(1)},
    )


@sensitive_post_parameters()
def authorize_view(request, reference, ui: UI = BROWSER):
    """認証: the contract's method (OTP, 資金移動用パスワード or card); then the bill is paid, once."""
    payment, elsewhere = _payment_step(request, reference, ui)
    if elsewhere:
        return elsewhere
    digest = confirmed_digest(request, CONFIRMED_KEY, payment)
    if digest is None:
        messages.warning(request, unconfirmed(request, CONFIRMED_KEY, payment, NOT_CONFIRMED))
        return redirect(ui.url("payeasy-confirm"), reference=reference)

    def execute(_method):
        pending.clear(request, CONFIRMED_KEY)
        try:
            payeasy.payment_execute(actor=request.actor, contract=request.contract, payment=payment, digest=digest)
        except AlreadyExecuted:
            pass
        except TransferError as error:
            messages.error(request, error.text())
            return redirect(ui.url("payeasy-new"))
        return redirect(ui.url("payeasy-result"), reference=reference)

    return authorization_step(
        request,
        ui.template("payeasy_authorize.html"),
        action=gate.Action.PAYEASY,
        audit_action="payeasy.authorize",
        on_success=execute,
        on_reused=result_once_authorized(payment, ui.url("payeasy-result")),
        channel=ui.channel,
        context={"payment": payment, "steps": steps.steps(2)},
        detail={"reference": reference, "digest": digest},
        bound_to=payment,
    )


@require_POST
def cancel_view(request, reference, ui: UI = BROWSER):
    """中止: before execution only; nothing moves."""
    payment = _get_payment(request, reference)
    cancelled = payeasy.payment_cancel(actor=request.actor, contract=request.contract, payment=payment)
    pending.clear(request, CONFIRMED_KEY)
    if not cancelled and payment.is_executed:  # paid meanwhile (a stale page): it stands
        return redirect(ui.url("payeasy-result"), reference=reference)
    messages.info(request, CANCELLED)
    return redirect(ui.menu)


def result_view(request, reference, ui: UI = BROWSER):
    """結果: rendered from the database; a reload shows the same 受付番号."""
    payment = _get_payment(request, reference)
    if not payment.is_executed:
        return redirect(ui.url("payeasy-confirm"), reference=reference)
    return render(request, ui.template("payeasy_result.html"), {"payment": payment, "steps": steps.steps(3)})
