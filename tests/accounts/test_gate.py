"""The gate as a table: every action × every lock kind × channel × the login's environment (known or new),
for a contract with and without a token, by 資金移動用パスワード and by お客様カード."""

from datetime import timedelta

import pytest

from accounts import gate
from accounts.models import Contract, Lock
from ibank import clock
from tests.helpers import set_lock

A = gate.Action
PASSWORD = {A.LOGIN, A.LOGIN_OTP, A.TOKEN_REGISTER, A.TOKEN_EXCHANGE, A.TOKEN_STOP, A.PASSWORD_CHANGE}
TOKEN_CODE = {A.LOGIN_OTP, A.TOKEN_EXCHANGE, A.TOKEN_STOP}
TRANSACTIONS = {
    A.TRANSFER,
    A.TRANSFER_NEW_PAYEE,
    A.PAYEASY,
    A.LIMIT_CHANGE,
    A.LIMIT_RAISE,
    A.EMAIL_CHANGE,
    A.PASSWORD_CHANGE,
    A.TRANSFER_PASSWORD_CHANGE,
    A.PASSKEY_REGISTER,
}
#: what a hold refuses (accounts.holds)
HELD = {A.TRANSFER_NEW_PAYEE, A.PAYEASY, A.LOGIN_NOTICE_OFF, A.PASSKEY_REGISTER}
EVERYTHING = set(A)

#: lock kind -> the actions it refuses, without a token (transactions by 資金移動用パスワード) and with one (OTP)
REFUSES = {
    None: (set(), set()),
    Lock.Kind.LOGIN: (PASSWORD, PASSWORD),
    Lock.Kind.OTP: (TOKEN_CODE, TOKEN_CODE | TRANSACTIONS),
    # a 紛失届 also stops the 振込予約 made before it (SPEC §7: transactions stop at once)
    Lock.Kind.LOST: (TOKEN_CODE | {A.RESERVED_TRANSFER}, TOKEN_CODE | TRANSACTIONS | {A.RESERVED_TRANSFER}),
    Lock.Kind.TOKEN_SETUP: ({A.TOKEN_REGISTER, A.TOKEN_EXCHANGE}, {A.TOKEN_REGISTER, A.TOKEN_EXCHANGE}),
    Lock.Kind.TRANSACTION: (TRANSACTIONS, set()),  # the OTP, not the own secret, authorizes a token holder
    Lock.Kind.PAYEASY: ({A.PAYEASY}, {A.PAYEASY}),
    Lock.Kind.IB_SUSPENSION: (EVERYTHING, EVERYTHING),
    "cancelled": (EVERYTHING, EVERYTHING),
    # a password the branch set: everything but its change waits for the customer's own (SPEC §7, a written form)
    Lock.Kind.TEMPORARY_PASSWORD: (
        (TRANSACTIONS - {A.PASSWORD_CHANGE}) | {A.LOGIN_NOTICE_OFF},
        (TRANSACTIONS - {A.PASSWORD_CHANGE}) | {A.LOGIN_NOTICE_OFF},
    ),
    Lock.Kind.ENVIRONMENT_HOLD: (HELD, HELD),
    Lock.Kind.CHANGE_HOLD: (HELD, HELD),
    Lock.Kind.START_HOLD: (HELD | {A.LIMIT_RAISE}, HELD | {A.LIMIT_RAISE}),
}
HOLDS = {Lock.Kind.ENVIRONMENT_HOLD, Lock.Kind.CHANGE_HOLD, Lock.Kind.START_HOLD}


def expected(kind, action, channel, has_token, new_environment, card=False):
    """The refusal's kind, or None: the table above, then the channel rule (a token cannot run on /m/); a
    passkey is not registered from a new environment (asked before the holds, after the locks). ``card``: the
    contract's own secret is an お客様カード: it has no 資金移動用パスワード to change, whatever else holds."""
    refused = REFUSES[kind][has_token]
    if kind in ("cancelled", Lock.Kind.IB_SUSPENSION, Lock.Kind.LOGIN) and action in refused:
        return kind  # these come before any other answer
    if card and action is A.TRANSFER_PASSWORD_CHANGE:
        return gate.NOT_OFFERED_KIND
    if channel == gate.Channel.MOBILE and has_token and action in TRANSACTIONS:
        return "channel"
    if action in refused and kind not in HOLDS:
        return kind
    if new_environment is not False and action is A.PASSKEY_REGISTER:  # not known to be a known one: new
        return "new_environment"
    return kind if action in refused else None


@pytest.mark.parametrize("new_environment", [False, True, None], ids=["known", "new-environment", "not-said"])
@pytest.mark.parametrize("channel", list(gate.Channel))
@pytest.mark.parametrize("has_token", [False, True], ids=["no-token", "token"])
@pytest.mark.parametrize("kind", list(REFUSES), ids=lambda k: k or "none")
@pytest.mark.parametrize("method", list(Contract.Method))
def test_every_action_lock_and_channel(method, kind, has_token, channel, new_environment, make_contract, make_token):
    contract = make_contract(method=method)
    if has_token:
        make_token(contract, login_otp=True, bound_days_ago=1)
    if kind == "cancelled":
        Contract.objects.filter(pk=contract.pk).update(cancelled_at=clock.now())
    elif kind in HOLDS:
        set_lock(contract, kind, until=clock.now() + timedelta(hours=1))
    elif kind is not None:
        set_lock(contract, kind)
    contract = Contract.objects.select_related("user").get(pk=contract.pk)
    for action in gate.Action:
        answer = gate.may(contract, action, channel=channel, new_environment=new_environment)
        want = expected(kind, action, channel, has_token, new_environment, card=method == Contract.Method.CARD)
        assert (answer.kind if not answer else None) == want, (action, kind, channel, has_token, new_environment)
        if not answer:
            assert str(answer.message)  # every refusal says why, in the customer's words


def test_a_refusal_names_whom_to_call(make_contract):
    from django.conf import settings

    contract = make_contract()
    for kind in [k for k in REFUSES if k not in (None, "cancelled")]:
        set_lock(contract, kind, until=clock.now() + timedelta(hours=1) if kind in HOLDS else None)
    for action in gate.Action:
        answer = gate.may(contract, action)
        assert not answer and settings.BANK_HELPDESK_PHONE in str(answer.message)


def _held(contract, kind, reason):
    """``contract`` under a hold of ``kind`` begun as the code begins one, loaded afresh."""
    from accounts import holds

    holds.begin(contract, kind, reason=reason, actor=None)
    return Contract.objects.select_related("user").get(pk=contract.pk)


@pytest.mark.parametrize(
    "action, stops",
    [
        (A.TRANSFER_NEW_PAYEE, "はじめてのお振込先へのお振込と収納サービス（Pay-easy）をご利用いただけません"),
        (A.PAYEASY, "はじめてのお振込先へのお振込と収納サービス（Pay-easy）をご利用いただけません"),
        (A.LOGIN_NOTICE_OFF, "ご利用環境からのログインのお知らせを停止できません"),
        (A.PASSKEY_REGISTER, "パスキーを登録できません"),
    ],
)
def test_a_holds_refusal_says_what_it_stops(action, stops, make_contract):
    """Each held action is told what the hold stops for it, not another action's words."""
    contract = _held(make_contract(), Lock.Kind.CHANGE_HOLD, "email_change")
    answer = gate.may(contract, action, new_environment=False)
    assert not answer and answer.kind == Lock.Kind.CHANGE_HOLD
    assert str(answer.message).startswith("お客様の保護のため、メールアドレスの変更の後、一定期間（")
    assert stops in str(answer.message)


def test_a_lock_past_its_end_no_longer_refuses(make_contract, fake_clock):
    from datetime import timedelta

    from ibank import clock

    contract = make_contract()
    set_lock(contract, Lock.Kind.PAYEASY, until=clock.now() + timedelta(seconds=10))
    assert not gate.ask_again(contract, A.PAYEASY)
    fake_clock.advance(10)
    assert gate.ask_again(contract, A.PAYEASY)


def test_a_holds_refusal_reads_as_sentences_in_english(make_contract):
    """The hold's words, the advice and whom to call are three pieces: in English they need their spaces."""
    from django.utils import translation

    contract = _held(make_contract(), Lock.Kind.ENVIRONMENT_HOLD, "new_environment")
    with translation.override("en"):
        message = str(gate.may(contract, A.TRANSFER_NEW_PAYEE).message)
    assert "payees you have paid before. If you did not do this, or if it is urgent: Please contact" in message
    assert ".If" not in message and "  " not in message


def test_the_gate_answers_what_this_request_just_set_or_lifted(make_contract):
    """The locks are read once per contract object; a lock set, a hold begun or a lock lifted through that
    object is in the gate's next answer without asking again (a page that counted the failure which locked
    it says so at once)."""
    from accounts import holds, locks

    contract = make_contract()
    assert gate.may(contract, A.PAYEASY)  # read: nothing in force
    assert locks.set_lock(contract, Lock.Kind.PAYEASY, reason="too_many_failures", by="customer")
    assert gate.may(contract, A.PAYEASY).kind == Lock.Kind.PAYEASY
    assert locks.lift(contract, Lock.Kind.PAYEASY, by="staff:test", reason="ご本人確認済み")
    assert gate.may(contract, A.PAYEASY)
    holds.begin(contract, Lock.Kind.CHANGE_HOLD, reason="email_change", actor=None)
    assert gate.may(contract, A.PAYEASY).kind == Lock.Kind.CHANGE_HOLD
