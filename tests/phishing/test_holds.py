"""Holds and the new-payee cap (issue 17): each at its boundary (the fake clock), with its message, its audit
entry and the branch's lift."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from accounts import gate, holds
from accounts.models import Lock
from auditlog.models import AuditEntry
from branch import services as branch_services
from ibank import clock
from notices.models import Notice
from payments.models import Transfer
from tests.helpers import is_locked, paid_before
from tests.payments.helpers import confirmed_other_bank, enter, login, other_bank_data, same_bank_data, send

A = gate.Action


def _held(contract) -> bool:
    return not gate.ask_again(contract, A.TRANSFER_NEW_PAYEE)


@pytest.mark.parametrize(
    ("kind", "reason", "setting"),
    [
        (Lock.Kind.ENVIRONMENT_HOLD, "new_environment", "IBANK_NEW_ENVIRONMENT_HOLD"),
        (Lock.Kind.CHANGE_HOLD, "email_change", "IBANK_CREDENTIAL_CHANGE_HOLD"),
        (Lock.Kind.START_HOLD, "ib_start", "IBANK_CREDENTIAL_CHANGE_HOLD"),
    ],
)
def test_each_hold_ends_at_its_setting_and_says_why_until_when_and_whom_to_call(
    kind, reason, setting, contract, fake_clock
):
    assert holds.begin(contract, kind, reason=reason, actor=None)
    end = clock.now() + timedelta(seconds=getattr(settings, setting))
    answer = gate.ask_again(contract, A.TRANSFER_NEW_PAYEE)
    assert not answer and answer.kind == kind
    local = timezone.localtime(end)
    assert str(holds.REASONS[reason]) in answer.message and settings.BANK_HELPDESK_PHONE in answer.message
    assert f"{local.month}月{local.day}日" in answer.message
    assert gate.ask_again(contract, A.TRANSFER)  # a payee paid before is not held
    assert not gate.ask_again(contract, A.PAYEASY)
    entry = AuditEntry.objects.get(action="hold.set", contract=contract)
    assert entry.detail["kind"] == kind and entry.detail["until"] == end.isoformat()
    fake_clock.advance(getattr(settings, setting) - 1)
    assert _held(contract)  # one second before the end
    fake_clock.advance(1)
    assert not _held(contract) and gate.ask_again(contract, A.PAYEASY)  # at the end


def test_a_later_event_extends_a_hold_and_never_shortens_it(contract, fake_clock):
    holds.begin(contract, Lock.Kind.CHANGE_HOLD, reason="email_change", actor=None)
    fake_clock.advance(3600)
    holds.begin(contract, Lock.Kind.CHANGE_HOLD, reason="limit_raise", actor=None)
    lock = Lock.objects.get(contract=contract, kind=Lock.Kind.CHANGE_HOLD, lifted_at__isnull=True)
    assert lock.until == clock.now() + timedelta(seconds=settings.IBANK_CREDENTIAL_CHANGE_HOLD)
    assert Lock.objects.filter(contract=contract, kind=Lock.Kind.CHANGE_HOLD).count() == 1


def test_a_hold_that_ran_out_is_closed_and_a_new_one_begins_beside_it(contract, fake_clock):
    """A hold whose time ran out is closed as expired (kept in the history) when the next one is set; the new
    one is a row of its own from now, not the old row stretched."""
    holds.begin(contract, Lock.Kind.CHANGE_HOLD, reason="email_change", actor=None)
    fake_clock.advance(settings.IBANK_CREDENTIAL_CHANGE_HOLD + 60)
    assert not _held(contract)
    holds.begin(contract, Lock.Kind.CHANGE_HOLD, reason="limit_raise", actor=None)
    old, new = Lock.objects.filter(contract=contract, kind=Lock.Kind.CHANGE_HOLD).order_by("pk")
    assert (old.lifted_by, old.lifted_at, old.reason) == ("expired", clock.now(), "email_change")
    assert new.lifted_at is None and new.reason == "limit_raise" and new.set_at == clock.now()
    assert new.until == clock.now() + timedelta(seconds=settings.IBANK_CREDENTIAL_CHANGE_HOLD)
    assert _held(contract)


def test_a_longer_hold_in_force_is_kept_and_the_login_notice_gives_its_end(client, contract, fake_clock):
    from accounts import locks
    from notices.models import Notice

    longer = clock.now() + timedelta(days=5)
    locks.hold(contract, Lock.Kind.ENVIRONMENT_HOLD, until=longer, reason="new_environment", by="branch")
    login(client, contract, known=False)  # a new environment: a one-day hold would end sooner
    lock = Lock.objects.get(contract=contract, kind=Lock.Kind.ENVIRONMENT_HOLD, lifted_at__isnull=True)
    assert lock.until == longer
    notice = Notice.objects.filter(contract_id=contract.pk, event="login").latest("created_at")
    assert f"{timezone.localtime(longer):%Y年%-m月%-d日 %H:%M} まで" in notice.body


@pytest.mark.parametrize(
    ("kind", "reason", "label"),
    [
        (Lock.Kind.ENVIRONMENT_HOLD, "new_environment", "新しい環境からのログイン後の制限"),
        (Lock.Kind.CHANGE_HOLD, "email_change", "登録内容の変更後の制限"),
        (Lock.Kind.START_HOLD, "ib_start", "ご利用開始後の制限"),
    ],
)
def test_the_branch_lifts_a_hold_with_a_reason(contract, maker, kind, reason, label):
    holds.begin(contract, kind, reason=reason, actor=None)
    branch_services.contract_unlock(actor=None, staff=maker, contract=contract, kind=kind, reason="ご本人確認済み")
    assert not _held(contract)
    assert AuditEntry.objects.filter(action=f"{kind}.unlock", contract=contract).exists()
    lock = Lock.objects.get(contract=contract, kind=kind)
    assert lock.lift_reason == "ご本人確認済み"
    assert label in Notice.objects.get(contract_id=contract.pk, event="unlocked").body


@pytest.mark.parametrize("change", ["email", "limit", "token_register", "token_exchange", "token_reset"])
def test_every_change_of_credentials_holds(change, make_contract, token_contract, fake_clock):
    from accounts import limits, services
    from otp import lost, totp
    from otp import services as otp_services
    from otp.models import TokenBinding

    contract = make_contract(daily_transfer_limit=100_000)
    target = token_contract if change.startswith("token") else contract
    assert not is_locked(target, Lock.Kind.CHANGE_HOLD)
    if change == "email":
        services.email_change(actor=None, contract=contract, new_email="new@example.jp")
    elif change == "limit":
        limits.limit_change(actor=None, contract=contract, new_limit=150_000, at_once=False)
    elif change == "token_register":
        TokenBinding.objects.filter(contract=token_contract).delete()
        token, key = otp_services.token_issue(kind="mobile")
        code = totp.totp(key, fake_clock.epoch())
        otp_services.token_register(
            actor=None, contract=token_contract, token_id=token.token_id, code=code, login_otp=False
        )
    elif change == "token_exchange":
        token, key = otp_services.token_issue(kind="mobile")
        binding = TokenBinding.objects.get(contract=token_contract)
        code = totp.totp(key, fake_clock.epoch())
        otp_services.token_exchange(
            actor=None,
            contract=token_contract,
            old_token_pk=binding.software_token_id,
            new_token_id=token.token_id,
            code=code,
        )
    else:
        lost.token_reset(actor=None, contract=token_contract, reason="test", reference="R1")
    assert is_locked(target, Lock.Kind.CHANGE_HOLD)
    assert _held(target)
    # The change's notice tells what the hold stops and until when (SPEC §8: holds are notified).
    from notices.models import Notice

    until = timezone.localtime(Lock.objects.get(contract=target, kind=Lock.Kind.CHANGE_HOLD).until)
    end = f"{until.year}年{until.month}月{until.day}日 {until.hour}時{until.minute:02d}分"
    why = str(holds.REASONS[{"email": "email_change", "limit": "limit_raise"}.get(change, change)])
    told = f"お客様の保護のため、{why}の後、一定期間（{end}まで）は、はじめてのお振込先へのお振込と収納サービス"
    notices = Notice.objects.filter(contract=target).exclude(event="login")
    assert notices.count() == (2 if change == "email" else 1)  # the old and the new address
    assert all(told in notice.body for notice in notices), [n.body for n in notices]


@pytest.mark.parametrize(
    ("by", "held"), [(-1, False), (0, False), (1, True)], ids=["lowered", "the-same", "one-yen-up"]
)
def test_only_a_raise_of_the_limit_holds(make_contract, by, held):
    """A lowering, or setting the limit it has, holds nothing; a raise, however small, does."""
    from accounts import limits

    contract = make_contract(daily_transfer_limit=150_000)  # no token: up to 200,000
    limits.limit_change(actor=None, contract=contract, new_limit=150_000 + by, at_once=by <= 0)
    assert is_locked(contract, Lock.Kind.CHANGE_HOLD) is held


# -- the start ----------------------------------------------------------------------------------


def test_a_new_contract_starts_at_the_atm_limit_and_cannot_raise_it_during_the_start_hold(
    client, make_contract, fake_clock
):
    new = make_contract(created_at=clock.now())
    assert new.daily_transfer_limit == settings.IBANK_INITIAL_DAILY_LIMIT == 500_000
    assert is_locked(new, Lock.Kind.START_HOLD)
    login(client, new)
    response = client.post(reverse("transfers-limit"), {"limit": "150000"})  # no token: ceiling 200,000
    assert response.status_code == 302  # lowering from 500,000 to 150,000 is a lowering, applied at once
    response = client.post(reverse("transfers-limit"), {"limit": "200000"})
    assert response.status_code == 200
    assert "振込限度額の引き上げをご利用いただけません" in response.context["form"].errors["limit"][0]
    assert "インターネットバンキングのご利用開始の後" in response.context["form"].errors["limit"][0]
    fake_clock.advance(settings.IBANK_CREDENTIAL_CHANGE_HOLD)
    client.cookies.clear()
    login(client, new)
    response = client.post(reverse("transfers-limit"), {"limit": "200000"})
    assert response["Location"] == reverse("transfers-limit-authorize")


def test_a_contract_made_with_its_history_is_not_held(make_contract):
    old = make_contract(created_at=clock.now() - timedelta(days=400))
    assert not is_locked(old, Lock.Kind.START_HOLD)
    assert not AuditEntry.objects.filter(action="hold.set", contract=old).exists()


def test_a_contract_saved_again_is_not_held_again(make_contract, fake_clock):
    """The start hold begins when the contract is made, once: a later save (the branch changes its e-mail
    address on a written form, the customer's settings) neither extends it nor audits it again."""
    contract = make_contract(created_at=clock.now())
    until = contract.locks.get(kind=Lock.Kind.START_HOLD, lifted_at__isnull=True).until
    fake_clock.advance(3600)
    contract.email = "new@example.jp"
    contract.save()
    assert contract.locks.get(kind=Lock.Kind.START_HOLD, lifted_at__isnull=True).until == until
    assert AuditEntry.objects.filter(action="hold.set", contract=contract).count() == 1


# -- the new payee's cap ------------------------------------------------------------------------


def test_a_new_payee_receives_at_most_the_cap_a_day_for_its_first_days(client, make_contract, fake_clock):
    rich = make_contract(balance=2_000_000)  # no token: 200,000 a day
    payee = make_contract()
    login(client, rich)
    first = send(client, same_bank_data(rich, payee, amount=60_000))[1]
    assert first.status == Transfer.Status.DONE
    response, transfer = enter(client, same_bank_data(rich, payee, amount=50_000))
    assert transfer is None
    assert response.context["form"].errors["amount"] == [
        "はじめてのお振込先へは、最初のお振込から7日間、1日あたり100,000円までお振込いただけます。"
        "本日このお振込先へお振込いただける金額はあと40,000円です。"
    ]
    assert send(client, same_bank_data(rich, payee, amount=40_000))[1].status == Transfer.Status.DONE
    # The cap used up: not even one yen more today, and the page says nothing is left.
    response, transfer = enter(client, same_bank_data(rich, payee, amount=1))
    assert transfer is None
    assert "本日このお振込先へお振込いただける金額はあと0円です。" in response.context["form"].errors["amount"][0]
    # Another payee paid long ago is not capped, the same day.
    old = make_contract()
    paid_before(rich, old)
    assert send(client, same_bank_data(rich, old, amount=100_000))[1].status == Transfer.Status.DONE
    # The next day: the cap again, not the whole limit.
    fake_clock.advance(86400)
    client.cookies.clear()
    login(client, rich)
    assert enter(client, same_bank_data(rich, payee, amount=100_001))[1] is None
    # A minute before the first days end (counted from the first transfer): still the cap.
    fake_clock.advance((settings.IBANK_NEW_PAYEE_DAYS - 1) * 86400 - 60)
    client.cookies.clear()
    login(client, rich)
    assert enter(client, same_bank_data(rich, payee, amount=100_001))[1] is None
    # After the first days, only the contract's limit.
    fake_clock.advance(120)
    assert send(client, same_bank_data(rich, payee, amount=150_000))[1].status == Transfer.Status.DONE


def test_the_engine_applies_the_cap_at_execution(make_contract):
    """Two transfers to a new payee, each under the cap at 入力 and confirmed before either ran: the second is
    refused at 実行 by the money engine (nothing moves), with what is left today."""
    from payments import services

    rich = make_contract(balance=1_000_000)

    first, second = confirmed_other_bank(rich, 70_000), confirmed_other_bank(rich, 50_000)
    services.transfer_execute(actor=None, contract=rich, transfer=first[0], digest=first[1])
    balance = rich.account.__class__.objects.get(pk=rich.account.pk).balance
    with pytest.raises(services.TransferError) as refused:
        services.transfer_execute(actor=None, contract=rich, transfer=second[0], digest=second[1])
    assert "あと30,000円" in refused.value.text()
    assert rich.account.__class__.objects.get(pk=rich.account.pk).balance == balance
    second[0].refresh_from_db()
    assert second[0].status == Transfer.Status.CONFIRMED
    assert AuditEntry.objects.filter(action="transfer.execute", reason="over_payee_cap").exists()


def test_the_own_accounts_are_never_new_payees(client, make_contract):
    from accounts.models import Account

    rich = make_contract(balance=1_000_000)
    savings = Account.objects.create(
        contract=rich,
        branch_code="001",
        branch_name="本店営業部",
        kind=Account.Kind.ORDINARY,
        number="0999999",
        holder_kana="ﾃｽﾄ",
    )
    holds.begin(rich, Lock.Kind.ENVIRONMENT_HOLD, reason="new_environment", actor=None)
    login(client, rich)
    data = same_bank_data(rich, rich, amount=150_000)
    data["payee_number"] = savings.number
    assert send(client, data)[1].status == Transfer.Status.DONE


def test_the_contract_page_shows_holds_new_payees_and_environments(client, make_contract, django_user_model):
    from django_otp import DEVICE_ID_SESSION_KEY

    from accounts.models import StaffDevice
    from tests.helpers import known_environment

    rich = make_contract(balance=1_000_000)
    known_environment(client, rich)
    login(client, rich)
    send(client, other_bank_data(rich, amount=30_000))
    holds.begin(rich, Lock.Kind.CHANGE_HOLD, reason="email_change", actor=None)
    staff = django_user_model.objects.create_user("clerk", password="clerk-pass-123", is_staff=True, is_superuser=True)
    device = StaffDevice(user=staff, name="clerk", confirmed=True)
    device.set_key(bytes(range(20)))
    device.save()
    client.force_login(staff)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    page = client.get(reverse("admin:accounts_contract_change", args=[rich.pk])).content.decode()
    assert "登録内容の変更後の制限" in page  # the hold, from the lock table
    assert "7654321" in page and "本日 30,000円" in page  # the new payee and what it received today
    assert "Chrome（Windows）" in page and "ご利用環境からのログイン通知：する" in page


def test_the_holds_words_in_a_notice_are_the_sites_language_whatever_the_request(contract):
    """A customer on the English pages changes the address: the notice is written in Japanese, its hold too."""
    from django.utils import translation

    from accounts import services
    from notices.models import Notice

    with translation.override("en"):
        services.email_change(actor=None, contract=contract, new_email="new@example.jp")
    body = Notice.objects.filter(contract=contract, event="email_changed").latest("created_at").body
    assert "お客様の保護のため、メールアドレスの変更の後、一定期間" in body and "protection" not in body
