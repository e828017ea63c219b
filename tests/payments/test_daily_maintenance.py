from datetime import timedelta
from io import StringIO

from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.urls import reverse

from payments.models import Transfer
from tests.payments.helpers import enter, login, other_bank_data, send


def test_daily_maintenance_clears_expired_sessions_and_abandoned_drafts(client, contract, fake_clock):
    login(client, contract)
    _response, draft = enter(client, other_bank_data(contract))
    _response, done = send(client, other_bank_data(contract, amount=100))
    assert Session.objects.exists()
    fake_clock.advance(2 * 86400)
    from django.utils import timezone

    Session.objects.update(expire_date=timezone.now())  # as they would be two days later
    out = StringIO()
    call_command("daily_maintenance", stdout=out)
    assert not Session.objects.exists()
    assert Transfer.objects.get(pk=draft.pk).status == Transfer.Status.CANCELLED
    assert Transfer.objects.get(pk=done.pk).status == Transfer.Status.ACCEPTED
    assert "1 abandoned transfer(s) cancelled" in out.getvalue()


def test_daily_maintenance_deletes_passkey_challenges_older_than_a_day(contract, fake_clock):
    from passkeys.models import TransactionChallenge

    def challenge():
        return TransactionChallenge.objects.create(
            contract=contract, bound="0" * 64, nonce="1" * 32, origin="o", rp_id="r"
        )

    old = challenge()
    fake_clock.advance(86400 - 60)
    recent = challenge()
    fake_clock.advance(120)  # the first is a day and a minute old
    out = StringIO()
    call_command("daily_maintenance", stdout=out)
    assert list(TransactionChallenge.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not TransactionChallenge.objects.filter(pk=old.pk).exists()
    assert "1 old passkey challenge(s) deleted" in out.getvalue()


def test_daily_maintenance_folds_a_raise_whose_day_has_come_and_keeps_one_waiting(make_contract, fake_clock):
    from accounts import limits
    from accounts.models import Contract

    due, waiting = make_contract(), make_contract()
    limits.limit_change(actor=None, contract=due, new_limit=150_000, at_once=False)
    fake_clock.advance(86400)  # its day has come
    limits.limit_change(actor=None, contract=waiting, new_limit=180_000, at_once=False)  # tomorrow's
    out = StringIO()
    call_command("daily_maintenance", stdout=out)
    folded = Contract.objects.get(pk=due.pk)
    assert (folded.daily_transfer_limit, folded.pending_daily_limit, folded.pending_daily_limit_from) == (
        150_000,
        None,
        None,
    )
    kept = Contract.objects.get(pk=waiting.pk)
    assert kept.pending_daily_limit == 180_000 and kept.pending_daily_limit_from == limits.today() + timedelta(days=1)
    assert "1 limit change(s) now in force" in out.getvalue()


def test_daily_maintenance_cancels_abandoned_pay_easy_payments(client, contract, billers, fake_clock):
    from auditlog.models import AuditEntry
    from payments.models import Payment
    from tests.payments.test_payeasy import PRIVATE_NUMBERS, PUBLIC_NUMBERS, enter, pay

    login(client, contract)
    abandoned = enter(client, "58001", contract, **PRIVATE_NUMBERS)
    draft = Payment.objects.get(reference=abandoned["Location"].split("/")[2])
    client.post(reverse("payeasy-confirm", args=[draft.reference]))  # confirmed, never authorized
    fake_clock.advance(2 * 86400)
    login(client, contract)
    _response, paid = pay(client, contract, "78901", **PUBLIC_NUMBERS)
    out = StringIO()
    call_command("daily_maintenance", stdout=out)
    assert Payment.objects.get(pk=draft.pk).status == Payment.Status.CANCELLED
    assert Payment.objects.get(pk=paid.pk).status == Payment.Status.DONE
    assert "1 abandoned Pay-easy payment(s) cancelled" in out.getvalue()
    entry = AuditEntry.objects.get(action="payeasy.expire")
    assert (entry.outcome, entry.actor, entry.detail["count"]) == ("ok", "system:daily_maintenance", 1)


def test_daily_maintenance_forgets_the_usage_of_days_before_yesterday_and_the_limit_still_holds(
    client, make_contract, fake_clock
):
    """Only a day's own usage row is read, on that day: older rows go (they would grow by a few a customer and
    day for ever). Yesterday's and today's stay, and today's limit counts what was sent today."""
    from accounts.limits import available_today, today
    from accounts.models import DailyUsage

    rich = make_contract(balance=2_000_000)
    login(client, rich)
    for _day in range(3):  # three days ago, the day before yesterday, yesterday: 100,000 each
        send(client, other_bank_data(rich, amount=100_000))
        fake_clock.advance(86400)
        login(client, rich)
    send(client, other_bank_data(rich, amount=100_000))  # and today
    days = sorted(DailyUsage.objects.filter(contract=rich, scope="").values_list("date", flat=True))
    assert days == [today() - timedelta(days=n) for n in (3, 2, 1, 0)]
    old = DailyUsage.objects.filter(contract=rich, date__lt=today() - timedelta(days=1)).count()
    assert old == 4  # the limit's and the new payee's cap, two days each
    out = StringIO()
    call_command("daily_maintenance", stdout=out)
    left = sorted(DailyUsage.objects.filter(contract=rich).values_list("date", flat=True))
    assert set(left) == {today() - timedelta(days=1), today()}
    assert "4 usage row(s) of past days deleted" in out.getvalue()
    assert available_today(rich) == 200_000 - 100_000  # no token: 200,000 a day, today's 100,000 counted
    call_command("daily_maintenance", stdout=StringIO())  # twice: nothing more
    assert sorted(DailyUsage.objects.filter(contract=rich).values_list("date", flat=True)) == left
