"""振込限度額変更 (SPEC §5): lowering at once; raising with the OTP at once, without a token from tomorrow."""

import pytest
from django.urls import reverse

from accounts.models import Contract
from auditlog.models import AuditEntry
from notices.outbox import subject
from otp import totp
from payments import services
from payments.models import Transfer
from tests.conftest import TRANSFER_PASSWORD
from tests.helpers import paid_before
from tests.payments.helpers import enter, login, same_bank_data, send

LIMIT = reverse("transfers-limit")
AUTHORIZE = reverse("transfers-limit-authorize")


def _authorize(client, answer):
    """認証 as its page sends it: with the value the page showed."""
    shown = client.get(AUTHORIZE).context["shown"]
    return client.post(AUTHORIZE, {"shown": shown, **answer})


def _today_limit(contract):
    contract = Contract.objects.get(pk=contract.pk)
    return services.daily_limit(contract, services.today())


def test_the_page_shows_limit_usage_and_ceiling(client, contract, make_contract):
    payee = make_contract()
    login(client, contract)
    send(client, same_bank_data(contract, payee, amount=12_000))
    page = client.get(LIMIT).content.decode()
    assert "200,000円" in page and "12,000円" in page  # today's limit (no token: the ceiling) and what is used


def test_lowering_applies_at_once_without_authorization(
    client, contract, mailoutbox, django_capture_on_commit_callbacks
):
    login(client, contract)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(LIMIT, {"limit": "１００，０００"})
    assert response["Location"] == LIMIT
    assert "振込限度額を変更しました。本日から適用されます。" in client.get(LIMIT).content.decode()
    assert _today_limit(contract) == 100_000
    assert [m.subject for m in mailoutbox] == [subject("limit_changed")]
    assert AuditEntry.objects.filter(action="limit.change", contract=contract).exists()
    # The limit in force chosen again asks for no authorization either.
    assert client.post(LIMIT, {"limit": "100000"})["Location"] == LIMIT


@pytest.mark.parametrize("typed", ["abc", "0", "-5000", "1.5", "1234567890"])
def test_a_malformed_limit_is_told_by_its_field_kept_and_changes_nothing(client, contract, typed):
    login(client, contract)
    before = _today_limit(contract)
    response = client.post(LIMIT, {"limit": typed})
    assert response.status_code == 200
    assert response.context["form"].errors["limit"] == ["振込限度額は半角数字（円単位）で入力してください。"]
    assert f'value="{typed}"' in response.content.decode()
    assert _today_limit(contract) == before and not AuditEntry.objects.filter(action="limit.change").exists()


def test_raising_without_a_token_applies_from_tomorrow_and_can_be_cancelled(client, contract, fake_clock):
    login(client, contract)
    client.post(LIMIT, {"limit": "100000"})
    assert client.post(LIMIT, {"limit": "150000"})["Location"] == AUTHORIZE
    assert _today_limit(contract) == 100_000  # nothing yet
    response = _authorize(client, {"transfer_password": TRANSFER_PASSWORD})
    assert response["Location"] == LIMIT
    assert _today_limit(contract) == 100_000  # still today's
    assert "変更予定" in client.get(LIMIT).content.decode()
    fake_clock.advance(86400)
    assert _today_limit(contract) == 150_000  # from 0:00 JST the next day


def test_a_pending_raise_can_be_cancelled(client, contract, fake_clock):
    login(client, contract)
    client.post(LIMIT, {"limit": "100000"})
    client.post(LIMIT, {"limit": "150000"})
    _authorize(client, {"transfer_password": TRANSFER_PASSWORD})
    response = client.post(reverse("transfers-limit-cancel"), follow=True)
    assert "変更予定の振込限度額を取り消しました。" in response.content.decode()
    assert Contract.objects.get(pk=contract.pk).pending_daily_limit is None
    fake_clock.advance(86400)
    assert _today_limit(contract) == 100_000
    assert AuditEntry.objects.filter(action="limit.cancel", contract=contract).exists()


def test_a_pending_raise_is_enforced_by_the_transfer_itself(client, contract, make_contract, fake_clock):
    rich = make_contract(balance=1_000_000, daily_transfer_limit=100_000)
    payee = make_contract()
    paid_before(rich, payee)  # a payee paid before: the raise's hold refuses new payees only
    login(client, rich)
    client.post(LIMIT, {"limit": "180000"})
    _authorize(client, {"transfer_password": TRANSFER_PASSWORD})
    response, transfer = enter(client, same_bank_data(rich, payee, amount=150_000))
    assert transfer is None and "あと100,000円" in response.content.decode()  # over today's 100,000
    fake_clock.advance(86400)
    client.cookies.clear()
    login(client, rich)
    _response, transfer = send(client, same_bank_data(rich, payee, amount=150_000))
    assert transfer.status == Transfer.Status.DONE


def test_raising_with_the_otp_applies_at_once_within_the_ceiling(client, make_contract, make_token, fake_clock):
    customer = make_contract()
    _binding, key = make_token(customer, login_otp=False, bound_days_ago=1)
    login(client, customer)
    response = client.post(LIMIT, {"limit": "20000000"})
    assert "10,000,000円以内" in response.content.decode()  # over the ceiling
    client.post(LIMIT, {"limit": "3000000"})
    wrong = _authorize(client, {"otp": "000000"})
    assert wrong.status_code == 200 and _today_limit(customer) == 500_000
    response = _authorize(client, {"otp": totp.totp(key, fake_clock.t)})
    assert response["Location"] == LIMIT
    assert _today_limit(customer) == 3_000_000


def test_a_token_registered_today_does_not_lift_the_ceiling_until_tomorrow(
    client, make_contract, make_token, fake_clock
):
    customer = make_contract()
    _binding, key = make_token(customer, login_otp=False, bound_days_ago=0)
    login(client, customer)
    client.post(LIMIT, {"limit": "3000000"})
    _authorize(client, {"otp": totp.totp(key, fake_clock.t)})
    assert Contract.objects.get(pk=customer.pk).daily_transfer_limit == 3_000_000
    assert _today_limit(customer) == 200_000  # the ceiling of a token registered today
    fake_clock.advance(86400)
    assert _today_limit(customer) == 3_000_000


def test_the_authorization_is_audited_with_the_new_limit(client, contract):
    login(client, contract)
    client.post(LIMIT, {"limit": "100000"})
    client.post(LIMIT, {"limit": "150000"})
    _authorize(client, {"transfer_password": TRANSFER_PASSWORD})
    entry = AuditEntry.objects.get(action="limit.authorize", contract=contract, outcome="ok")
    assert entry.detail["new_limit"] == 150_000
    assert client.get(AUTHORIZE)["Location"] == LIMIT  # authorized: nothing waits for it any more


def _raised_by_password_yesterday(client, contract, fake_clock):
    """100,000 raised to 150,000 with the password yesterday: in force since 0:00, still pending in its
    columns until the daily job folds it; logged in again today."""
    login(client, contract)
    client.post(LIMIT, {"limit": "100000"})
    client.post(LIMIT, {"limit": "150000"})
    _authorize(client, {"transfer_password": TRANSFER_PASSWORD})
    fake_clock.advance(86400)
    login(client, contract)


def test_a_change_is_audited_with_the_limit_that_was_in_force(client, contract, fake_clock):
    """A raise authorized yesterday with the password is in force from 0:00 today, before the daily job folds
    it into the contract's own limit: a lowering now is audited as from that limit, not the one before it."""
    _raised_by_password_yesterday(client, contract, fake_clock)
    client.post(LIMIT, {"limit": "120000"})
    entry = AuditEntry.objects.filter(action="limit.change", contract=contract).latest("pk")
    assert (entry.detail["old"], entry.detail["new"]) == (150_000, 120_000)


def test_a_raise_already_in_force_is_not_undone_by_a_stale_cancel(client, contract, fake_clock):
    """The cancel button is shown while the raise waits for 0:00; yesterday's page sent after it came into
    force cancels nothing (a lowering is a change of its own, audited as one)."""
    _raised_by_password_yesterday(client, contract, fake_clock)
    assert "変更予定を取り消す" not in client.get(LIMIT).content.decode()
    client.post(reverse("transfers-limit-cancel"))
    assert _today_limit(contract) == 150_000
    assert not AuditEntry.objects.filter(action="limit.cancel", contract=contract).exists()


def test_a_second_raise_keeps_the_first_in_force_until_its_own_day(client, contract, fake_clock):
    _raised_by_password_yesterday(client, contract, fake_clock)
    client.post(LIMIT, {"limit": "180000"})
    _authorize(client, {"transfer_password": TRANSFER_PASSWORD})
    assert _today_limit(contract) == 150_000  # yesterday's raise stays in force today
    fake_clock.advance(86400)
    assert _today_limit(contract) == 180_000


def test_what_is_authorized_is_the_limit_the_page_showed(client, contract):
    """Two pages of one session: the first shows 150,000 for 認証, the second asks for 180,000 meanwhile. The
    first page's answer does not authorize 180,000: refused before the password is read (nothing counted);
    the second page's goes through."""
    login(client, contract)
    client.post(LIMIT, {"limit": "100000"})
    client.post(LIMIT, {"limit": "150000"})
    first = client.get(AUTHORIZE).content.decode()
    assert 'name="shown" value="150000"' in first
    client.post(LIMIT, {"limit": "180000"})
    response = client.post(AUTHORIZE, {"shown": "150000", "transfer_password": TRANSFER_PASSWORD}, follow=True)
    assert "別の画面で変更内容が入力されたため" in response.content.decode()
    changed = Contract.objects.get(pk=contract.pk)
    assert changed.pending_daily_limit is None and changed.transaction_failures == 0
    assert not AuditEntry.objects.filter(action="limit.authorize", contract=contract).exists()
    response = client.post(AUTHORIZE, {"shown": "180000", "transfer_password": TRANSFER_PASSWORD})
    assert Contract.objects.get(pk=contract.pk).pending_daily_limit == 180_000


def test_a_raise_waiting_for_tomorrow_keeps_a_lowering_made_meanwhile(contract):
    """Two pages at once: one lowers the limit to 50,000 while the other's raise (read before it) is being
    kept for tomorrow. Today's limit stays the lowered one; tomorrow the raise applies."""
    from accounts import limits

    read_before = Contract.objects.get(pk=contract.pk)
    limits.limit_change(actor=None, contract=Contract.objects.get(pk=contract.pk), new_limit=50_000, at_once=True)
    limits.limit_change(actor=None, contract=read_before, new_limit=180_000, at_once=False)
    changed = Contract.objects.get(pk=contract.pk)
    assert (changed.daily_transfer_limit, changed.pending_daily_limit) == (50_000, 180_000)


def test_a_code_used_for_something_else_is_still_refused_as_used(client, otp_customer, fake_clock):
    customer, key = otp_customer, otp_customer.key
    login(client, customer)
    code = totp.totp(key, fake_clock.t)
    client.post(reverse("transfers-email"), {"email": "new.taro@example.jp"})
    email = reverse("transfers-email-authorize")
    shown = client.get(email).context["shown"]
    assert client.post(email, {"shown": shown, "otp": code})["Location"] == reverse("accounts-menu")
    client.post(LIMIT, {"limit": "3000000"})
    response = _authorize(client, {"otp": code})
    assert response.status_code == 200 and "使用済み" in response.content.decode()
    assert _today_limit(customer) == 500_000


def test_the_service_refuses_a_limit_over_the_ceiling_whatever_the_page_checked(contract):
    """The ceiling is the service's rule, not only the page's (it can fall between the page's check and the
    authorization: a token stopped in another tab). Over it, the change is refused and nothing changes."""
    from accounts import limits

    with pytest.raises(limits.LimitRefused) as refused:
        limits.limit_change(actor=None, contract=contract, new_limit=200_001, at_once=True)
    assert refused.value.text() == "振込限度額は200,000円以内で指定してください。"
    changed = Contract.objects.get(pk=contract.pk)
    assert (changed.daily_transfer_limit, changed.pending_daily_limit) == (contract.daily_transfer_limit, None)
    assert not AuditEntry.objects.filter(action="limit.change", contract=contract).exists()


def test_the_ceiling_itself_may_be_chosen_and_choosing_it_again_is_no_raise(otp_customer):
    """At the ceiling exactly (10,000,000 with a token) the change is accepted; the same limit chosen again
    is no raise: it begins no second hold."""
    from accounts import limits

    limits.limit_change(actor=None, contract=otp_customer, new_limit=10_000_000, at_once=True)
    assert Contract.objects.get(pk=otp_customer.pk).daily_transfer_limit == 10_000_000
    assert AuditEntry.objects.filter(action="hold.set", contract=otp_customer, reason="limit_raise").count() == 1
    limits.limit_change(actor=None, contract=otp_customer, new_limit=10_000_000, at_once=True)
    assert AuditEntry.objects.filter(action="hold.set", contract=otp_customer, reason="limit_raise").count() == 1


def test_the_authorization_without_a_raise_pending_starts_again_with_the_reason(client, contract, fake_clock):
    """Opened with no raise waiting (bookmarked, or its five minutes over): back to the input, told why."""
    from accounts.settings_views import LIMIT_EXPIRED

    login(client, contract)
    response = client.get(AUTHORIZE, follow=True)
    assert response.redirect_chain == [(LIMIT, 302)] and str(LIMIT_EXPIRED) in response.content.decode()
    client.post(LIMIT, {"limit": "100000"})
    client.post(LIMIT, {"limit": "150000"})  # a raise waits for its authorization
    fake_clock.advance(301)
    response = client.post(AUTHORIZE, {"transfer_password": TRANSFER_PASSWORD, "shown": "150000"}, follow=True)
    assert str(LIMIT_EXPIRED) in response.content.decode()
    assert Contract.objects.get(pk=contract.pk).pending_daily_limit is None
