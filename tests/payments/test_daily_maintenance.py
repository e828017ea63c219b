from io import StringIO

from django.contrib.sessions.models import Session
from django.core.management import call_command

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
