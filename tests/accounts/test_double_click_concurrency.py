"""Two clicks of one page, authorized by the 資金移動用パスワード (nothing marks it used), sent at the same
instant from one browser: both answers are right, and the change is made once (one entry, one notice)."""

import contextlib
import threading

import pytest
from django.test import Client
from django.urls import reverse

from accounts import steps
from auditlog.models import AuditEntry
from notices.models import Notice
from tests.concurrency import run_concurrently
from tests.conftest import PASSWORD, TRANSFER_PASSWORD
from tests.helpers import login, twin_of

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "Sakura2027"
PAGES = {
    "email": ("transfers-email", {"email": "new.taro@example.jp"}),
    "limit": ("transfers-limit", {"limit": "150000"}),
    "transfer_password": (
        "accounts-transfer-password",
        {"new_transfer_password": "240817", "new_transfer_password_again": "240817"},
    ),
    "password": (
        "accounts-password",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD},
    ),
}


def _page(client, topic):
    """The page to send twice and what it sends."""
    page, value = PAGES[topic]
    if topic in ("email", "limit"):
        if topic == "limit":
            client.post(reverse(page), {"limit": "100000"})  # lowered at once: what follows is a raise
        client.post(reverse(page), value)
        url = reverse(f"{page}-authorize")
        data = {"shown": client.get(url).context["shown"]}
    else:
        url, data = reverse(page), value
    return url, {**data, "attempt": client.get(url).context["attempt"], "transfer_password": TRANSFER_PASSWORD}


@pytest.mark.parametrize("topic", PAGES)
def test_two_clicks_at_the_same_instant_change_once(contract, monkeypatch, topic):
    client = Client()
    login(client, contract)
    url, data = _page(client, topic)
    notices = Notice.objects.filter(contract=contract, event=f"{topic}_changed")
    before = notices.count()  # the limit's lowering was told
    clicks = [client, twin_of(client)]
    # Each click waits (at most a second) for the other where it asks whether its page made the change
    # already: without one lock over that question and the change, both would find nothing and make it.
    meet, asked = threading.Barrier(2, timeout=1), steps.made_by

    def made_by(*args):
        with contextlib.suppress(threading.BrokenBarrierError):  # the other waits for this one's change: go on
            meet.wait()
        return asked(*args)

    monkeypatch.setattr(steps, "made_by", made_by)
    responses = run_concurrently(lambda i: clicks[i].post(url, data), 2)
    assert [r.status_code for r in responses] == [302, 302], responses
    changes = AuditEntry.objects.filter(action=f"{topic}.change", contract=contract, detail__attempt=data["attempt"])
    assert changes.count() == 1
    assert notices.count() - before == (2 if topic == "email" else 1)  # an address change: the old one and the new
    assert not AuditEntry.objects.filter(contract=contract, outcome="failed").exists()
    # Whichever response the browser shows, the customer is still logged in (a new login password ends every
    # other session: not the two clicks of this page).
    assert [c.get(reverse("accounts-menu")).status_code for c in clicks] == [200, 200]
