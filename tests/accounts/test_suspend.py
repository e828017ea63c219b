import re

from django.test import Client
from django.urls import reverse

from accounts import forms, services
from accounts.views import SUSPENDED
from auditlog.models import AuditEntry
from notices.models import Notice
from notices.outbox import subject
from tests import helpers
from tests.conftest import PASSWORD
from tests.helpers import double_click, is_locked

LOGIN = reverse("accounts-login")
MENU = reverse("accounts-menu")
SUSPEND = reverse("accounts-suspend")


def login(client, contract):
    assert helpers.login(client, contract)["Location"] == MENU


def test_menu_offers_the_emergency_stop(client, contract):
    login(client, contract)
    assert f'href="{SUSPEND}"' in client.get(MENU).content.decode()
    page = client.get(SUSPEND).content.decode()
    assert "<h1>IB取引中止</h1>" in page and ">IB取引を中止する</button>" in page


def test_unconfirmed_suspension_changes_nothing(client, contract):
    login(client, contract)
    response = client.post(SUSPEND, {})
    assert response.context["form"].errors["confirm"] == [str(forms.SUSPEND_UNCONFIRMED)]
    assert not is_locked(contract, "ib_suspension")


def test_suspension_stops_everything_at_once(client, contract, mailoutbox, django_capture_on_commit_callbacks):
    other_device = Client()
    login(other_device, contract)
    login(client, contract)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(SUSPEND, {"confirm": "on"}, follow=True)
    assert response.redirect_chain[-1][0] == LOGIN
    assert str(SUSPENDED) in response.content.decode()
    assert "(00004)" in str(SUSPENDED)
    assert is_locked(contract, "ib_suspension")
    assert client.get(MENU).status_code == 302
    assert other_device.get(MENU).status_code == 302  # every session of the contract ended
    # no login, no token flow
    response = client.post(LOGIN, {"contract_id": contract.contract_id, "password": PASSWORD})
    assert response.context["form"].non_field_errors() == [forms.CONTRACT_SUSPENDED]
    refused = AuditEntry.objects.filter(action="login.password", contract=contract, outcome="failed").get()
    assert refused.reason == "suspended"  # the right password, refused by the stop: not audited as wrong
    response = client.post(reverse("otp-register"), {"contract_id": contract.contract_id, "password": PASSWORD})
    assert str(forms.CONTRACT_SUSPENDED) in response.content.decode()
    assert [m.subject for m in mailoutbox] == [subject("ib_suspended")]
    assert AuditEntry.objects.filter(action="ib.suspend", contract=contract).exists()


def test_suspension_needs_a_post_and_a_login(client, contract):
    assert client.get(SUSPEND)["Location"].startswith(LOGIN)
    assert client.post(SUSPEND, {"confirm": "on"})["Location"].startswith(LOGIN)
    assert not is_locked(contract, "ib_suspension")


def _page(client):
    return re.search(r'name="attempt" value="([0-9a-f]{16})"', client.get(SUSPEND).content.decode())[1]


def test_a_double_click_is_told_the_stop_and_stops_once(client, contract):
    """The second request finds its login ended by the first: the page it shows says the stop (not the login
    page without a word, which the customer would take for not stopped)."""
    login(client, contract)
    data = {"confirm": "on", "attempt": _page(client)}
    assert client.post(SUSPEND, data)["Location"] == LOGIN
    client.get(LOGIN)  # the first's message, read
    second = client.post(SUSPEND, data)
    assert second["Location"] == LOGIN
    assert str(SUSPENDED) in client.get(LOGIN).content.decode()
    assert AuditEntry.objects.filter(action="ib.suspend", contract=contract).count() == 1
    # another page's name (or none) is no proof: sent to log in
    assert client.post(SUSPEND, {**data, "attempt": "0123456789abcdef"})["Location"].startswith(f"{LOGIN}?next=")


def test_overlapping_clicks_stop_once(client, contract, monkeypatch):
    login(client, contract)
    data = {"confirm": "on", "attempt": _page(client)}
    twin, response = double_click(monkeypatch, client, SUSPEND, data, at=(services, "contract_suspend"))
    assert response["Location"] == LOGIN
    assert str(SUSPENDED) in twin.get(LOGIN).content.decode()
    assert AuditEntry.objects.filter(action="ib.suspend", contract=contract).count() == 1
    assert Notice.objects.filter(contract=contract, event="ib_suspended").count() == 1
