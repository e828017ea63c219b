"""The 確認 → 認証 step every transaction shares (振込, Pay-easy, 振込限度額変更, メールアドレス変更, on /m/ too):
what 確認 kept in the session, and the authorization by the contract's method once the gate allows the action.

A module of its own: views of every room call it; no view imports another view.
"""

import contextlib
import re
import secrets
import time
from collections.abc import Callable

from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from auditlog import audit
from ibank import pending

from . import authorization, gate, services

STEPS = [_("入力"), _("確認"), _("認証"), _("結果")]
CONFIRM_EXPIRED = _("一定時間が経過したため、確認からやり直してください。")
CONFIRMED_ELSEWHERE = _("別の画面で別のお取引が確認されたため、このお取引は確認からやり直してください。")


_awaiting: list[Callable] = []


def register_awaiting(func: Callable) -> None:
    """``func(contract) -> list[dict]``: what the contract confirmed and has yet to authorize (higher rooms
    register theirs: payments its 振込 and Pay-easy), each ``{"payee": str, "amount": int}``."""
    if func not in _awaiting:
        _awaiting.append(func)


def awaiting(contract) -> list[dict]:
    """What ``contract`` is about to authorize (confirmed in the last 5 minutes, not executed): shown by the
    desktop token beside its code, so that a customer sees the payee and amount a code would let through."""
    return [item for func in _awaiting for item in func(contract)]


def steps(current: int) -> list[dict]:
    """The breadcrumb of 入力 → 確認 → 認証 → 結果 with ``current`` marked."""
    return [{"label": label, "current": i == current} for i, label in enumerate(STEPS)]


def confirmed_digest(request, key: str, obj) -> str | None:
    """The digest 確認 kept in the session under ``key`` for ``obj`` (a transfer or a payment), or None when
    ``obj`` is not confirmed, another one was confirmed since, or 5 minutes have passed."""
    stored = pending.get(request, key)
    if obj.status != obj.Status.CONFIRMED or not stored or stored[0] != obj.reference:
        return None
    return stored[1]


def unconfirmed(request, key: str, obj, not_confirmed) -> str:
    """Why 認証 of ``obj`` is sent back to its 確認 (:func:`confirmed_digest` gave None): ``not_confirmed``
    when it was never confirmed; another one confirmed since in this session (a second tab: the session keeps
    the last); or its 確認 too long ago (or in a session since ended)."""
    if obj.status != obj.Status.CONFIRMED:
        return not_confirmed
    stored = pending.get(request, key)
    return CONFIRMED_ELSEWHERE if stored and stored[0] != obj.reference else CONFIRM_EXPIRED


_PAGE_NAME = re.compile(r"[0-9a-f]{16}")


def new_page_name() -> str:
    """A random name for a page that asks for an authorization (its hidden ``attempt``)."""
    return secrets.token_hex(8)


def page_name(request) -> str:
    """The name the page was rendered with, sent back with it, or "". Kept in the audit entry of what the page
    did: the same page sent again once that is done (a double click) can be told so before any answer is
    evaluated, so that it counts no wrong one and expires nothing (:func:`made_by`)."""
    attempt = request.POST.get("attempt", "") if request.method == "POST" else ""
    return attempt if _PAGE_NAME.fullmatch(attempt) else ""


def made_by(request, action: str, attempt: str) -> bool:
    """Whether the contract's accepted ``action`` was made by the page named ``attempt`` (another page's name
    is no proof)."""
    return audit.made_on_page(attempt, contract=request.contract, action=action)


@contextlib.contextmanager
def one_change(request):
    """Where a page's change is made once: its :func:`made_by` asked and the change made in one transaction that
    holds the contract's row, so that two clicks overlapping to the instant (an answer nothing marks used: the
    資金移動用パスワード) make it once — the second waits, then finds the first's entry."""
    with transaction.atomic():
        request.contract.lock_row()
        yield


def wait_for_changes(request) -> None:
    """Until no change of the contract is being made (:func:`one_change` holds its row meanwhile): a second click
    that found its answer used then sees what the first made."""
    with one_change(request):
        pass


#: how long a second click waits at most for the change its first click's accepted answer is making
CHANGE_WAIT_SECONDS = 2.0


def made_by_first_click(request, action: str, authorized: str, attempt: str) -> bool:
    """Whether this page (``attempt``) made ``action``, waited for when the page's own answer was accepted
    (``authorized``, its step's audit action) but the change is not made yet: the first click is between its
    answer and its change. Never makes the change itself."""
    deadline = time.monotonic() + (CHANGE_WAIT_SECONDS if made_by(request, authorized, attempt) else 0)
    while True:
        wait_for_changes(request)
        if made_by(request, action, attempt):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)


def result_once_authorized(obj, result_url: str):
    """``on_reused`` for a step that authorizes a transfer or payment ``obj``: a right answer already used was
    a double submission; once the first one authorized ``obj`` (read afresh), its result page answers it."""

    def after_refusal():
        obj.refresh_from_db()
        if obj.is_authorized:  # a double click: the first one moved the money (or reserved it)
            return redirect(result_url, reference=obj.reference)
        return None

    return after_refusal


def accepted_since_asked(request, key: str, action: str, *, contract=None, **detail) -> bool:
    """Whether ``action`` accepted an answer of the contract (``request.contract`` unless given; with ``detail``)
    since the step waiting in the session under ``key`` began (its value was asked for): a right answer then
    found already used is the same answer sent twice for this step. An older acceptance was for another step,
    or for this value asked for earlier: nothing."""
    since = pending.started(request, key)
    contract = contract if contract is not None else request.contract
    return since is not None and audit.recorded(action, contract=contract, since=since, **detail)


def _accepted_for(obj, contract, action: str, detail: dict) -> bool:
    """Whether ``action`` accepted an answer for ``obj`` as confirmed now: an entry with ``detail`` (its 受付番号
    and digest) made since its 確認 (an earlier confirmation of the same content counts for nothing). Then a
    right answer found already used is the first of two clicks that overlap so closely that it has not moved
    the money yet: the second runs the execution too, whose claim of the confirmed row moves it once, and
    both end on the result, never on 「使用済み」."""
    return obj.confirmed_at is not None and audit.recorded(action, contract=contract, since=obj.confirmed_at, **detail)


def authorization_step(
    request,
    template,
    *,
    action,
    audit_action,
    on_success,
    context,
    detail=None,
    on_reused=None,
    channel=None,
    own_form=None,
    bound_to=None,
):
    """A step authorized by the contract's method (OTP, 資金移動用パスワード or card) once the gate allows
    ``action``; on success, ``on_success(method)`` with the method that accepted (a passkey lifts a new payee's
    cap). ``on_reused()`` may answer a double submission (a right answer already used) with the result of the
    first one. ``own_form(data)``: the page's own fields (a change of password: the current one and the new),
    made with the POST's data or None; valid and its ``check()`` true before the method's answer is evaluated
    (its ``locked`` then asks the gate again); passed to ``on_success`` as its second argument, and to
    ``on_reused`` as its only one. ``bound_to``: the confirmed row ``on_success`` claims (:func:`_accepted_for`)."""
    contract = request.contract
    channel = channel or gate.Channel.BROWSER
    door = {"channel": channel, "new_environment": services.login_was_new(request)}
    answer = gate.may(contract, action, **door)
    method = authorization.method_for(contract, channel)
    data = request.POST if request.method == "POST" and answer else None
    form = authorization.AuthorizationForm(data, method=method, contract=contract, detail=detail, request=request)
    valid = data is not None and form.is_valid()
    own = own_form(data) if own_form is not None else None
    if own is not None:
        context = {**context, "own_form": own}
        valid = own.is_valid() and valid and own.check()  # every field's message; then its own check
        answer = gate.ask_again(contract, action, **door) if own.locked else answer
    if valid:
        actor = request.actor.on_page(page_name(request))  # the entry names its page (made_by_first_click)
        outcome = method.authorize(
            actor=actor, contract=contract, data=form.cleaned_data, action=audit_action, **(detail or {})
        )
        if outcome.ok:
            return on_success(method) if own is None else on_success(method, own)
        reused = outcome.reused and on_reused is not None
        if reused and (response := on_reused() if own is None else on_reused(own)) is not None:
            return response
        if outcome.reused and bound_to is not None and _accepted_for(bound_to, contract, audit_action, detail):
            return on_success(method)
        form.apply(outcome)
        if outcome.locked:
            answer = gate.ask_again(contract, action, **door)
    return render(
        request,
        template,
        {
            "form": form,
            "method": method,
            "locked": not answer,
            "locked_message": "" if answer else answer.message,
            **context,
        },
    )
