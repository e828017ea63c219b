"""A change of the contract's settings sent twice by a double click, the second request evaluating its code
after the first applied the change: answered as the first was (the change, once), never "the code was used",
which the customer would take for a change not made."""

import pytest
from django.urls import reverse

from auditlog.models import AuditEntry
from otp import totp
from tests.helpers import double_click, login

CHANGES = {
    "email": ("transfers-email", {"email": "new.taro@example.jp"}, "accounts-menu", "メールアドレスを変更しました。"),
    "limit": (
        "transfers-limit",
        {"limit": "3000000"},
        "transfers-limit",
        "振込限度額を変更しました。本日から適用されます。",
    ),
}


@pytest.mark.parametrize("topic", CHANGES)
def test_a_double_click_overlapping_the_first_is_answered_as_the_first(
    client, otp_customer, fake_clock, monkeypatch, topic
):
    page, value, after, told = CHANGES[topic]
    login(client, otp_customer)
    client.post(reverse(page), value)
    authorize = reverse(f"{page}-authorize")
    data = {"shown": client.get(authorize).context["shown"], "otp": totp.totp(otp_customer.key, fake_clock.t)}
    twin, response = double_click(monkeypatch, client, authorize, data)
    assert response["Location"] == reverse(after)
    assert told in twin.get(response["Location"]).content.decode()
    assert AuditEntry.objects.filter(action=f"{topic}.change", contract=otp_customer).count() == 1
    assert not AuditEntry.objects.filter(contract=otp_customer, outcome="failed").exclude(reason="reused").exists()
