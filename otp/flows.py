"""The customer's token flows from the login page (SPEC §4.2–§4.4): 利用登録, 交換, 利用停止.

Step 1 authenticates (契約者ID + ログインパスワード, the login's lockout rules)
but does not log in: it keeps ``[contract pk, flow, stage, token pk, time]`` in
the session for at most 5 minutes, never a password or code. Each later step
refuses a missing, stale or other-stage state and sends the customer back to
step 1. Result pages are GETs rendered from the database.
"""

from functools import wraps

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from accounts import gate
from accounts.forms import ContractAuthForm
from accounts.models import Contract, Lock
from accounts.steps import accepted_since_asked
from ibank import pending
from notices.outbox import mask_token_id

from . import rules, services, tokenid
from .forms import ExchangeForm, OtpForm, RegisterForm
from .messages import message_for
from .models import SoftwareToken, TokenBinding
from .verifier import Outcome, verify

FLOW_KEY = "_ibank_token_flow"  # [contract pk, flow, stage, token pk, started at]
# [contract pk, result kind, masked token ID, login OTP chosen, at]: what this flow did, for 5 minutes.
RESULT_KEY = "_ibank_token_flow_result"

FLOW_EXPIRED = _("一定時間が経過したか、手順が正しくないため、最初からやり直してください。")
NO_TOKEN = _(
    "ワンタイムパスワードは利用登録されていないため、利用停止の手続きは不要です。"
    "続けて利用登録する場合は、この画面でトークンIDとワンタイムパスワードを入力してください。"
)

STEPS = {
    "register": [_("利用者認証"), _("ワンタイムパスワード登録情報入力"), _("処理結果")],
    "exchange": [
        _("利用者認証"),
        _("旧トークンのワンタイムパスワード入力"),
        _("新トークン登録情報入力"),
        _("処理結果"),
    ],
    "stop": [_("利用者認証"), _("ワンタイムパスワード入力"), _("処理結果")],
}
TITLES = {
    "register": _("ワンタイムパスワード利用登録／交換"),
    "exchange": _("ワンタイムパスワード交換"),
    "stop": _("ワンタイムパスワード利用停止"),
}
FIRST_STEP = {"register": "otp-register", "exchange": "otp-register", "stop": "otp-stop"}
RESULTS = {
    "register": (_("ワンタイムパスワードの利用登録が完了しました。"), "00002"),
    "exchange": (_("ワンタイムパスワードの交換が完了しました。"), "00003"),
    "stop": (_("ワンタイムパスワードの利用停止が完了しました。"), "00001"),
}


def _page(request, template, *, flow, step, guide, **context):
    steps = [{"label": label, "current": i == step} for i, label in enumerate(STEPS[flow])]
    return render(request, template, {"flow": flow, "title": TITLES[flow], "steps": steps, "guide": guide, **context})


def _start(request, contract, flow, stage, token_pk=None):
    pending.put(request, FLOW_KEY, contract.pk, flow, stage, token_pk)


#: (flow, a page's stage, the stage the session is at) -> the page of that later stage: the page of a step
#: done already, sent again (a double click whose first request moved on) or come back to, leads on to it
PASSED = {("exchange", "old", "new"): "otp-exchange-new"}


def flow_step(flow, stage):
    """Require the pending state of ``flow`` at ``stage``; pass its contract and token pk to the view."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            values = pending.get(request, FLOW_KEY)
            contract = None
            if not (values and values[1] == flow) and (done := pending.get(request, RESULT_KEY)) and done[1] == flow:
                return redirect("otp-result")  # this session finished the flow: a page sent again gets its result
            if values and (values[1], stage, values[2]) in PASSED:
                return redirect(PASSED[values[1], stage, values[2]])  # a step done already: the one it led to
            if values and values[1:3] == [flow, stage]:
                contract = Contract.objects.select_related("user").filter(pk=values[0]).first()
            if contract is not None and _stopped_since_step_1(contract, flow):
                contract = None
            if contract is None:
                pending.clear(request, FLOW_KEY)
                messages.warning(request, FLOW_EXPIRED)
                return redirect(FIRST_STEP[flow])
            return view(request, contract, values[3], *args, **kwargs)

        return sensitive_post_parameters()(csrf_protect(never_cache(wrapper)))

    return decorator


#: what the gate is asked at each flow's steps
ACTIONS = {
    "register": gate.Action.TOKEN_REGISTER,
    "exchange": gate.Action.TOKEN_EXCHANGE,
    "stop": gate.Action.TOKEN_STOP,
}


STEP_ACTIONS = {"exchange.old_otp": gate.Action.TOKEN_EXCHANGE, "stop.otp": gate.Action.TOKEN_STOP}


def _stopped_since_step_1(contract, flow) -> bool:
    """Locked (ログイン停止), suspended or cancelled since 利用者認証: the flow starts again. A locked or lost
    token is not this: its step says so and whom to call (the token's own rule, asked by the step)."""
    answer = gate.may(contract, ACTIONS[flow])
    return not answer and answer.kind not in (*rules.LOCK_KINDS, Lock.Kind.TOKEN_SETUP)


def _finish(request, contract, kind, *, token_id: str, login_otp: bool | None = None):
    pending.clear(request, FLOW_KEY)
    pending.put(request, RESULT_KEY, contract.pk, kind, mask_token_id(token_id), login_otp)
    return redirect("otp-result")


def _bound_by_twin(request, contract, form, *, action, exchanged_from=None):
    """A refused registration or exchange that was the second of a double click: the binding its first
    request made (:func:`services.bound_by_twin`), else None."""
    if request.method != "POST" or "otp" not in form.cleaned_data:
        return None
    try:
        token_id = tokenid.parse(form.data.get("token_id", ""))
    except tokenid.TokenIdError:
        return None
    code, actor = form.cleaned_data["otp"], request.actor
    return services.bound_by_twin(
        actor=actor, contract=contract, token_id=token_id, code=code, action=action, exchanged_from=exchanged_from
    )


def _auth_step(request, *, flow, audit_action, on_success):
    form = ContractAuthForm(
        request.POST if request.method == "POST" else None, actor=request.actor, audit_action=audit_action
    )
    if request.method == "POST" and form.is_valid() and form.authenticate():
        response = on_success(form.contract)
        if response is not None:
            return response
    return _page(request, "otp/flow_auth.html", flow=flow, step=0, guide=f"{flow}-auth", form=form)


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def register_auth_view(request):
    """利用者認証 of 利用登録／交換: a contract with a token goes on to the exchange."""

    def on_success(contract):
        binding = TokenBinding.objects.filter(contract=contract).only("software_token_id").first()
        if binding is not None:
            _start(request, contract, "exchange", "old", binding.software_token_id)
            return redirect("otp-exchange-old")
        _start(request, contract, "register", "token")
        return redirect("otp-register-token")

    return _auth_step(request, flow="register", audit_action="register.auth", on_success=on_success)


@flow_step("register", "token")
def register_token_view(request, contract, _token_pk):
    """ワンタイムパスワード登録情報入力 → 登録."""
    form = RegisterForm(request.POST if request.method == "POST" else None, contract=contract, actor=request.actor)
    if request.method == "POST" and form.is_valid():
        try:
            services.token_register(
                actor=request.actor,
                contract=contract,
                token_id=form.cleaned_data["token_id"],
                code=form.cleaned_data["otp"],
                login_otp=form.cleaned_data["login_otp"],
            )
        except services.TokenFlowError as error:
            form.add_error(error.field, error.message)
        else:
            data = form.cleaned_data
            return _finish(request, contract, "register", token_id=data["token_id"], login_otp=data["login_otp"])
    if (twin := _bound_by_twin(request, contract, form, action="register.otp")) is not None:
        return _finish(request, contract, "register", token_id=twin.software_token.token_id, login_otp=twin.login_otp)
    return _page(request, "otp/flow_register.html", flow="register", step=1, guide="register-token", form=form)


def _current_token_step(request, contract, token_pk, *, action):
    """The form of a step that checks the current token's code, whether the code was accepted, and the lock
    message when the token can no longer be used (locked, reported lost): then the page offers no field."""
    form = OtpForm(request.POST if request.method == "POST" else None)
    binding = TokenBinding.objects.for_verify().filter(contract=contract, software_token_id=token_pk).first()
    answer = gate.may(contract, STEP_ACTIONS[action])
    if binding is not None and not answer:
        return form, False, answer.message
    if request.method != "POST" or not form.is_valid():
        return form, False, ""
    if binding is None:
        form.add_error(None, services.TokenChanged.message)
        return form, False, ""
    # A token past its type's end of use may still be exchanged away or stopped.
    result = verify(binding, form.cleaned_data["otp"], actor=request.actor, action=action, allow_expired_type=True)
    if result.now_locked or result.outcome in (Outcome.LOCKED, Outcome.LOST):
        return form, False, message_for(result)
    if result.outcome is Outcome.REUSED and accepted_since_asked(request, FLOW_KEY, action, contract=contract):
        return form, True, ""  # the same code sent twice (a double click): the first's was accepted at this step
    if not result.ok:
        form.add_error("otp", message_for(result))
    return form, result.ok, ""


def _current_token_page(request, flow, guide, form, button, locked_message):
    return _page(
        request,
        "otp/flow_otp.html",
        flow=flow,
        step=1,
        guide=guide,
        form=form,
        button=button,
        locked_message=locked_message,
    )


@flow_step("exchange", "old")
def exchange_old_view(request, contract, token_pk):
    """旧トークンのワンタイムパスワード入力 → 次へ."""
    form, verified, locked_message = _current_token_step(request, contract, token_pk, action="exchange.old_otp")
    if verified:
        _start(request, contract, "exchange", "new", token_pk)
        return redirect("otp-exchange-new")
    return _current_token_page(request, "exchange", "exchange-old", form, _("次へ"), locked_message)


@flow_step("exchange", "new")
def exchange_new_view(request, contract, token_pk):
    """新トークン登録情報入力 → 登録."""
    form = ExchangeForm(request.POST if request.method == "POST" else None, actor=request.actor, contract=contract)
    if request.method == "POST" and form.is_valid():
        try:
            services.token_exchange(
                actor=request.actor,
                contract=contract,
                old_token_pk=token_pk,
                new_token_id=form.cleaned_data["token_id"],
                code=form.cleaned_data["otp"],
            )
        except services.TokenFlowError as error:
            form.add_error(error.field, error.message)
        else:
            return _finish(request, contract, "exchange", token_id=form.cleaned_data["token_id"])
    if (twin := _bound_by_twin(request, contract, form, action="exchange.otp", exchanged_from=token_pk)) is not None:
        return _finish(request, contract, "exchange", token_id=twin.software_token.token_id)
    return _page(request, "otp/flow_exchange.html", flow="exchange", step=2, guide="exchange-new", form=form)


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def stop_auth_view(request):
    """利用者認証 of 利用停止."""

    def on_success(contract):
        binding = TokenBinding.objects.filter(contract=contract).only("software_token_id").first()
        if binding is None:  # nothing to stop: say so, and lead to registration (the customer is authenticated)
            messages.info(request, NO_TOKEN)
            _start(request, contract, "register", "token")
            return redirect("otp-register-token")
        _start(request, contract, "stop", "otp", binding.software_token_id)
        return redirect("otp-stop-otp")

    return _auth_step(request, flow="stop", audit_action="stop.auth", on_success=on_success)


@flow_step("stop", "otp")
def stop_otp_view(request, contract, token_pk):
    """ワンタイムパスワード入力 → 停止."""
    form, verified, locked_message = _current_token_step(request, contract, token_pk, action="stop.otp")
    if verified:
        try:
            services.token_stop(actor=request.actor, contract=contract, token_pk=token_pk)
        except services.TokenFlowError as error:
            form.add_error(None, error.message)
            verified = False
    if request.method == "POST":
        token_id = SoftwareToken.objects.values_list("token_id", flat=True).get(pk=token_pk)
        if verified or _stopped_by_twin(request, contract, token_id):
            return _finish(request, contract, "stop", token_id=token_id)
    return _current_token_page(request, "stop", "stop-otp", form, _("停止"), locked_message)


def _stopped_by_twin(request, contract, token_id: str) -> bool:
    """A refused stop that was the second of a double click: the first request stopped this token since this
    step was asked (its ``token.stop`` entry), and the second is answered as the first was. A token retired
    otherwise (the branch's reset) was not stopped by this page, which must not say it was."""
    return accepted_since_asked(request, FLOW_KEY, "token.stop", contract=contract, token_id=token_id)


@never_cache
def result_view(request):
    """処理結果: what this flow did (token ID masked), for a few minutes; never the contract's current state."""
    stored = pending.get(request, RESULT_KEY)
    if stored is None or stored[1] not in RESULTS:
        return redirect("accounts-login")
    _contract_pk, kind, masked_token_id, login_otp = stored
    message, code = RESULTS[kind]
    steps = len(STEPS[kind]) - 1
    return _page(
        request,
        "otp/flow_result.html",
        flow=kind,
        step=steps,
        guide="result",
        message=message,
        code=code,
        token_id=masked_token_id,
        login_otp=login_otp,
    )


FLOW_CANCELLED = _("%(title)sの手続きを中止しました。")


@require_POST
@csrf_protect
@never_cache
def cancel_view(request):
    """中止 in the middle of a flow: the pending step ends, and the customer is told it was cancelled."""
    values = pending.get(request, FLOW_KEY)
    pending.clear(request, FLOW_KEY)
    title = TITLES.get(values[1]) if values else None
    messages.info(request, FLOW_CANCELLED % {"title": title} if title else LOGIN_PAGE_CANCELLED)
    return redirect("accounts-login")


LOGIN_PAGE_CANCELLED = _("手続きを中止しました。")


@never_cache
def guide_view(request):
    """このページのご利用ガイド: one page, a section per step."""
    return render(request, "otp/guide.html")
