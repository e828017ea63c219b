"""The contract's settings the customer changes (SPEC §5): 振込限度額変更, メールアドレス変更 and ログインパスワード
変更, each authorized by the contract's method through the shared step (accounts.steps)."""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from ibank import pending
from ibank.text import ascii_number

from . import authorization, gate, limits, passwords, services, steps
from .decorators import customer_required
from .forms import EmailForm, LimitForm, PasswordChangeForm, TransferPasswordChangeForm

# [new limit, started at]: a raise waiting for its authorization.
LIMIT_KEY = "_ibank_limit_raise"
LIMIT_LOWERED = _("振込限度額を変更しました。本日から適用されます。")
LIMIT_RAISED_NOW = _("振込限度額を変更しました。本日から適用されます。")
LIMIT_RAISED_TOMORROW = _("振込限度額の変更を受け付けました。%(date)s 0:00から適用されます。")
LIMIT_CANCELLED = _("変更予定の振込限度額を取り消しました。")
CHANGED_ELSEWHERE = _(
    "別の画面で変更内容が入力されたため、お手続きを中止しました。もう一度入力からやり直してください。"
)
LIMIT_EXPIRED = _("一定時間が経過したため、振込限度額の入力からやり直してください。")


def _limit_context(contract):
    on = limits.today()
    pending, pending_from = limits.waiting_raise(contract, on) or (None, None)
    return {
        "today_limit": limits.daily_limit(contract, on),
        "own_limit": limits.contract_limit(contract, on),
        "used": limits.used_on(contract, on),
        "ceiling": limits.limit_ceiling_for_change(contract),
        "pending": pending,
        "pending_from": pending_from,
    }


@customer_required
@csrf_protect
def limit_view(request):
    """振込限度額変更: today's limit, what is used, the ceiling; a lowering applies at once, a raise is authorized."""
    contract = request.contract
    form = LimitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        new_limit = form.cleaned_data["limit"]
        try:
            limits.limit_check(contract, new_limit)
            if new_limit <= limits.contract_limit(contract, limits.today()):
                limits.limit_change(actor=request.actor, contract=contract, new_limit=new_limit, at_once=True)
                messages.success(request, LIMIT_LOWERED)
                return redirect("transfers-limit")
        except limits.LimitRefused as error:
            form.add_error("limit", error.text())
        else:
            if not (answer := gate.may(contract, gate.Action.LIMIT_RAISE)):
                form.add_error("limit", answer.message)
                return render(request, "transfers/limit.html", {"form": form, **_limit_context(contract)})
            pending.put(request, LIMIT_KEY, new_limit)
            return redirect("transfers-limit-authorize")
    return render(request, "transfers/limit.html", {"form": form, **_limit_context(contract)})


@dataclass(frozen=True)
class PendingChange:
    """A change of ``topic`` ("limit", "email") whose first step kept its value in the session under ``key``
    (shown as ``name``) for the contract's authorization by the gate's ``action``. Gone or over 5 minutes →
    back to the topic's page with ``expired``. ``audit_value``: the audit entry names the value (a limit;
    never an address). The page, the template and the audit action are named after the topic."""

    topic: str
    key: str
    name: str
    expired: str
    action: str
    audit_value: bool

    @property
    def restart(self) -> str:
        return f"transfers-{self.topic}"

    @property
    def template(self) -> str:
        return f"transfers/{self.topic}_authorize.html"

    @property
    def audit_action(self) -> str:
        return f"{self.topic}.authorize"


def _authorize_pending(request, change: PendingChange, apply, applied):
    """The authorization of ``change``; accepted → ``apply(value)`` (its message and redirect). A right answer
    already used → ``applied(value)``: the same answer when the value is in force (a double click, whose first
    request applied it), else None (the answer is refused as used). The same page sent again after its change
    was made (its pending value is gone then) gets ``applied`` too, with the value the page showed."""
    stored = pending.get(request, change.key)
    attempt = steps.page_name(request)
    if steps.made_by(request, f"{change.topic}.change", attempt):
        shown = stored[0] if stored is not None else request.POST.get("shown", "")
        if (response := applied(shown)) is not None:
            pending.clear(request, change.key)
            return response
    if stored is None:
        messages.warning(request, change.expired)
        return redirect(change.restart)
    value = stored[0]
    if request.method == "POST" and request.POST.get("shown") != str(value):
        # Another page of this session asked for another value since this one was shown: what is authorized
        # must be what the page said. Nothing is evaluated (no guess counted); the newer value stays pending.
        messages.warning(request, CHANGED_ELSEWHERE)
        return redirect(change.restart)

    def done(_method):
        pending.clear(request, change.key)
        with steps.one_change(request):
            made = steps.made_by(request, f"{change.topic}.change", attempt)  # by the first click, meanwhile
            return (made and applied(value)) or apply(value, attempt)

    def twice():
        if (response := applied(value)) is not None:
            pending.clear(request, change.key)
            return response
        detail = {change.name: value} if change.audit_value else {}
        if steps.accepted_since_asked(request, change.key, change.audit_action, **detail):
            return done(None)  # the first click's answer was accepted; its change is not made yet
        return None

    return steps.authorization_step(
        request,
        on_success=done,
        on_reused=twice,
        context={change.name: value, "shown": value, "attempt": steps.new_page_name()},
        template=change.template,
        action=change.action,
        audit_action=change.audit_action,
        detail={change.name: value} if change.audit_value else None,
    )


LIMIT_RAISE = PendingChange("limit", LIMIT_KEY, "new_limit", LIMIT_EXPIRED, gate.Action.LIMIT_RAISE, audit_value=True)


@customer_required
@sensitive_post_parameters()
@csrf_protect
def limit_authorize_view(request):
    """A raise needs the contract's method: with a token the OTP (at once), otherwise from tomorrow."""
    contract = request.contract

    def raised(effective):
        if effective == limits.today():
            messages.success(request, LIMIT_RAISED_NOW)
        else:
            messages.success(request, LIMIT_RAISED_TOMORROW % {"date": f"{effective:%Y/%m/%d}"})
        return redirect("transfers-limit")

    def apply(new_limit, attempt):
        at_once = authorization.method_for(contract).raises_limit_at_once
        effective = limits.limit_change(
            actor=request.actor.on_page(attempt), contract=contract, new_limit=new_limit, at_once=at_once
        )
        return raised(effective)

    def applied(new_limit):
        new_limit = ascii_number(str(new_limit))
        effective = None if new_limit is None else limits.raised_to(contract, new_limit)
        return None if effective is None else raised(effective)

    return _authorize_pending(request, LIMIT_RAISE, apply, applied)


@customer_required
@require_POST
@csrf_protect
def limit_cancel_view(request):
    if limits.limit_cancel(actor=request.actor, contract=request.contract):
        messages.success(request, LIMIT_CANCELLED)
    return redirect("transfers-limit")


EMAIL_KEY = "_ibank_email_change"  # [new address, started at]
EMAIL_CHANGED = _("メールアドレスを変更しました。")
EMAIL_EXPIRED = _("一定時間が経過したため、メールアドレスの入力からやり直してください。")
EMAIL_CHANGE = PendingChange(
    "email", EMAIL_KEY, "new_email", EMAIL_EXPIRED, gate.Action.EMAIL_CHANGE, audit_value=False
)


@customer_required
@csrf_protect
def email_view(request):
    """メールアドレス変更: the new address, then the contract's authorization (a lock of it is told here, before
    the address is typed)."""
    answer = gate.may(request.contract, gate.Action.EMAIL_CHANGE)
    form = EmailForm(request.POST or None)
    if answer and request.method == "POST" and form.is_valid():
        pending.put(request, EMAIL_KEY, form.cleaned_data["email"])
        return redirect("transfers-email-authorize")
    context = {"form": form, "current": request.contract.email, "refused": "" if answer else answer.message}
    return render(request, "transfers/email.html", context)


@customer_required
@sensitive_post_parameters()
@csrf_protect
def email_authorize_view(request):
    def changed():
        messages.success(request, EMAIL_CHANGED)
        return redirect("accounts-menu")

    def apply(new_email, attempt):
        services.email_change(actor=request.actor.on_page(attempt), contract=request.contract, new_email=new_email)
        return changed()

    def applied(new_email):
        return changed() if services.email_is(request.contract, new_email) else None

    return _authorize_pending(request, EMAIL_CHANGE, apply, applied)


PASSWORD_CHANGED = _("ログインパスワードを変更しました。次回から新しいログインパスワードでログインしてください。")
TRANSFER_PASSWORD_CHANGED = _(
    "資金移動用パスワードを変更しました。次回のお取引から新しい資金移動用パスワードをご利用ください。"
)


SECRET_CHANGE = {
    "password": (
        _("ログインパスワード変更"),
        _(
            "現在のログインパスワードと、新しいログインパスワード（半角の英字と数字を組み合わせて6～12桁）を"
            "入力してください。変更すると、ほかの画面でのログインは終了します。"
        ),
    ),
    "transfer_password": (
        _("資金移動用パスワード変更"),
        _(
            "新しい資金移動用パスワード（半角数字4～8桁）を入力してください。同じ数字だけ、または連続した数字だけの"
            "ものは設定できません。生年月日や電話番号など、他人に推測されやすい数字は避けてください。"
        ),
    ),
}


def _secret_change(request, topic, *, phone, own_form, change, now_is, told, settle=None):
    """A change of the contract's own secret (``topic``: "password", "transfer_password") on one page: its own
    form (``own_form(data)``) and the contract's authorization by the gate's ``<topic>_change``; accepted →
    ``change(form)``. A double click whose first request set the same (its code then used) is told so as well
    (``now_is(form)``): else the customer would take it for unchanged; ``settle()`` then brings its session up
    to the change the first click made. ``phone``: on /m/ (its page, its menu, and the gate asked for that
    channel: a token holder is sent to a PC or smartphone)."""
    menu = "mobile-menu" if phone else "accounts-menu"
    attempt = steps.page_name(request)

    def made_before():
        if settle is not None:
            settle()
        messages.success(request, told)
        return redirect(menu)

    # The same page sent again once its change is made: e.g. the 資金移動用パスワード it was authorized by is the
    # old one now, and would count as a wrong answer.
    if steps.made_by(request, f"{topic}.change", attempt):
        return made_before()

    def changed(_method, form):
        with steps.one_change(request):
            if steps.made_by(request, f"{topic}.change", attempt):  # by the first click, meanwhile
                return made_before()
            change(form, attempt)
        messages.success(request, told)
        return redirect(menu)

    def applied(form):
        # A used answer never changes a secret (no entry binds an answer to the new one); the first click may be
        # changing it now: when this page's answer was accepted, its change is waited for, then asked.
        made = steps.made_by_first_click(request, f"{topic}.change", f"{topic}_change.authorize", attempt)
        return made_before() if made or now_is(form) else None

    title, lead = SECRET_CHANGE[topic]
    return steps.authorization_step(
        request,
        "mobile/secret_change.html" if phone else "accounts/secret_change.html",
        channel=gate.Channel.MOBILE if phone else gate.Channel.BROWSER,
        action=gate.Action(f"{topic}_change"),
        audit_action=f"{topic}_change.authorize",
        on_success=changed,
        on_reused=applied,
        context={"title": title, "lead": lead, "attempt": steps.new_page_name()},
        own_form=own_form,
    )


@customer_required
@sensitive_post_parameters()
@csrf_protect
def password_view(request, phone=False):
    """ログインパスワード変更: the current password, the new one twice and the contract's authorization, on one
    page (nothing typed waits in the session); this session stays logged in, every other one ends. ``phone``:
    /m/'s (mobile.urls)."""
    contract = request.contract

    def change(form, attempt):
        new = form.cleaned_data["new_password"]
        passwords.password_change(actor=request.actor.on_page(attempt), contract=contract, new_password=new)
        update_session_auth_hash(request, contract.user)  # a new session key, with the new password's hash

    return _secret_change(
        request,
        "password",
        phone=phone,
        own_form=lambda data: PasswordChangeForm(data, contract=contract, actor=request.actor),
        change=change,
        now_is=lambda form: passwords.is_current(contract, form.cleaned_data["new_password"]),
        told=PASSWORD_CHANGED,
        settle=lambda: update_session_auth_hash(request, passwords.user_now(contract)),
    )


@customer_required
@sensitive_post_parameters()
@csrf_protect
def transfer_password_view(request, phone=False):
    """資金移動用パスワード変更, for a contract whose own secret it is: the new one twice and the contract's
    authorization (the current 資金移動用パスワード itself where it is the method; a token holder's OTP)."""
    contract = request.contract

    def change(form, attempt):
        new = form.cleaned_data["new_transfer_password"]
        passwords.transfer_password_change(actor=request.actor.on_page(attempt), contract=contract, new_password=new)

    return _secret_change(
        request,
        "transfer_password",
        phone=phone,
        own_form=lambda data: TransferPasswordChangeForm(data, current=(data or {}).get("transfer_password")),
        change=change,
        now_is=lambda form: passwords.transfer_password_is(contract, form.cleaned_data["new_transfer_password"]),
        told=TRANSFER_PASSWORD_CHANGED,
    )
