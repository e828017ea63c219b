"""The feature-phone IB at /m/ (SPEC §6): plain small pages, no script, no images, numbered access keys.

Every customer logs in here with 契約者ID + ログインパスワード only, even with
認証する chosen for the browser (a software token cannot run on a feature
phone); the lockout counts, the one-session rule, the timeouts and the
security headers are the browser IB's own.
"""

from functools import wraps

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters

from accounts import gate
from accounts import services as account_services
from accounts.decorators import customer_required
from accounts.limits import today
from accounts.models import Account, LoginRecord
from accounts.steps import confirmed_digest, unconfirmed
from ibank import pending
from ibank.text import row_id
from payments import services as transfer_services
from payments import statement
from payments.forms import TransferForm
from payments.models import Payee, Transfer
from payments.ui import NOT_CONFIRMED, UI, authorize_transfer, own_transfer, refused_here
from payments.ui import TRANSFER_CONFIRMED_KEY as CONFIRMED_KEY

CANCELLED = _("お振込を中止しました。")

#: Pay-easy on /m/: the browser's views with the mobile templates, URL names and menu; a customer
#: with a token is told to use a PC or smartphone (SPEC §6).
MOBILE = UI(prefix="mobile-", templates="mobile", menu="mobile-menu", channel=gate.Channel.MOBILE)


mobile_customer_required = customer_required(login_url="mobile-login", menu_url="mobile-menu")


def signed_in(request, contract):
    """The phone's answer to a right 契約者ID and password: no second factor here (a token holder is not
    offered transactions on /m/), the login recorded on its channel, then the menu."""
    account_services.contract_login(request=request, contract=contract, channel=LoginRecord.Channel.MOBILE)
    return redirect("mobile-menu")


@mobile_customer_required
def menu_view(request):
    contract = request.contract
    # What the menu offers is the gate's answer: no transactions for a token holder here (SPEC §6), nor while
    # the method is locked (its message instead).
    transactions = gate.may(contract, gate.Action.TRANSFER, channel=gate.Channel.MOBILE)
    return render(
        request,
        "mobile/menu.html",
        {
            "contract": contract,
            "accounts": contract.own_accounts(),
            "transactions_refused": "" if transactions else transactions.message,
            "previous": account_services.previous_logins(request, contract, count=1),
            "offers_password": gate.offers(contract, gate.Action.PASSWORD_CHANGE, channel=gate.Channel.MOBILE),
            "has_transfer_password": gate.offers(
                contract, gate.Action.TRANSFER_PASSWORD_CHANGE, channel=gate.Channel.MOBILE
            ),
        },
    )


@mobile_customer_required
def history_view(request, pk):
    account = get_object_or_404(Account.objects.customer(), pk=pk, contract=request.contract)
    # The last 24 months, newest first, by keyset (no count over the account).
    before = row_id(request.GET.get("before", ""))
    page = statement.page(account, statement.earliest(), today(), before, size=10)
    return render(request, "mobile/history.html", {"account": account, "page": page})


# -- 振込 to a registered payee (customers without a token) ---------------------------


def _transfer_step(view):
    """確認 or 認証, called with the transfer it acts on instead of its 受付番号: the result instead once the
    transfer was authorized, else refused on the phone as the gate decides."""

    @wraps(view)
    def step(request, reference):
        transfer = own_transfer(request, reference)
        if transfer.is_authorized:  # a reload after the money moved shows the result, whatever is refused since
            return _result(transfer)
        if refused := refused_here(request, MOBILE, gate.Action.TRANSFER):
            return refused
        return view(request, transfer)

    return step


def _result(transfer):
    """A transfer past 認証, shown as it stands: an executed one on the phone's result page; a 振込予約 (made
    in the browser: the phone makes none) on the browser's, where a reservation is shown and cancelled."""
    if transfer.is_executed:
        return redirect("mobile-transfer-result", reference=transfer.reference)
    return redirect("transfers-result", reference=transfer.reference)


@mobile_customer_required
def transfer_payees_view(request):
    """振込: choose one of the registered payees (振込先登録 is done in the browser)."""
    if refused := refused_here(request, MOBILE, gate.Action.TRANSFER):
        return refused
    return render(request, "mobile/transfer_payees.html", {"payees": request.contract.payees.all()[:20]})


@mobile_customer_required
def transfer_input_view(request, pk):
    """入力: the account to pay from and the amount; the payee is the registered one."""
    if refused := refused_here(request, MOBILE, gate.Action.TRANSFER):
        return refused
    contract = request.contract
    payee = get_object_or_404(Payee, pk=pk, contract=contract)
    payee_data = {
        "bank_code": payee.bank_code,
        "branch_code": payee.branch_code,
        "payee_kind": payee.kind,
        "payee_number": payee.number,
        "payee_name": payee.name,
    }
    if request.method == "POST":
        form = TransferForm(
            {
                **payee_data,
                "from_account": request.POST.get("from_account", ""),
                "amount": request.POST.get("amount", ""),
            },
            contract=contract,
        )
        if form.is_valid():
            data = form.cleaned_data
            try:
                transfer = transfer_services.transfer_prepare(
                    actor=request.actor,
                    contract=contract,
                    **{k: data[k] for k in ("from_account", "amount", *payee_data)},
                )
            except transfer_services.TransferError as error:
                form.add_error(error.field if error.field in ("from_account", "amount") else None, error.text())
            else:
                return redirect("mobile-transfer-confirm", reference=transfer.reference)
    else:
        form = TransferForm(contract=contract)
    other_errors = [e for name, errors in form.errors.items() if name not in ("from_account", "amount") for e in errors]
    return render(
        request,
        "mobile/transfer_input.html",
        {
            "form": form,
            "payee": payee,
            "other_errors": other_errors,
            "available": transfer_services.available_today(contract),
        },
    )


@mobile_customer_required
@_transfer_step
def transfer_confirm_view(request, transfer):
    reference = transfer.reference
    if transfer.status == Transfer.Status.CANCELLED:
        return redirect("mobile-transfer")
    if request.method == "POST":
        if request.POST.get("cancel"):
            cancelled = transfer_services.transfer_cancel(
                actor=request.actor, contract=request.contract, transfer=transfer
            )
            pending.clear(request, CONFIRMED_KEY)
            if not cancelled and transfer.is_authorized:  # executed meanwhile (a stale page): it stands
                return _result(transfer)
            messages.info(request, CANCELLED)
            return redirect("mobile-menu")
        try:
            digest = transfer_services.transfer_confirm(
                actor=request.actor, contract=request.contract, transfer=transfer
            )
        except transfer_services.AlreadyExecuted:
            return redirect("mobile-transfer-result", reference=reference)
        except transfer_services.TransferError as error:
            messages.error(request, error.text())
            return redirect("mobile-transfer")
        pending.put(request, CONFIRMED_KEY, transfer.reference, digest)
        return redirect("mobile-transfer-authorize", reference=reference)
    return render(request, "mobile/transfer_confirm.html", {"transfer": transfer})


@mobile_customer_required
@sensitive_post_parameters()
@_transfer_step
def transfer_authorize_view(request, transfer):
    """認証 with the 資金移動用パスワード or card; then the money moves once."""
    reference = transfer.reference
    digest = confirmed_digest(request, CONFIRMED_KEY, transfer)
    if digest is None:
        messages.warning(request, unconfirmed(request, CONFIRMED_KEY, transfer, NOT_CONFIRMED))
        return redirect("mobile-transfer-confirm", reference=reference)

    def execute(_method):
        pending.clear(request, CONFIRMED_KEY)
        try:
            transfer_services.transfer_execute(
                actor=request.actor, contract=request.contract, transfer=transfer, digest=digest
            )
        except transfer_services.AlreadyExecuted:
            pass
        except transfer_services.TransferError as error:
            messages.error(request, error.text())
            return redirect("mobile-menu")
        return redirect("mobile-transfer-result", reference=reference)

    return authorize_transfer(
        request,
        transfer,
        digest,
        template="mobile/transfer_authorize.html",
        result="mobile-transfer-result",
        on_success=execute,
        context={"transfer": transfer},
        channel=gate.Channel.MOBILE,
    )


@mobile_customer_required
def transfer_result_view(request, reference):
    transfer = own_transfer(request, reference)
    if not transfer.is_executed:
        return _result(transfer) if transfer.is_authorized else redirect("mobile-transfer-confirm", reference=reference)
    return render(request, "mobile/transfer_result.html", {"transfer": transfer})
