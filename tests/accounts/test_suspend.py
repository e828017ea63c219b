from django.test import Client
from django.urls import reverse

from accounts import forms
from accounts.views import SUSPENDED
from auditlog.models import AuditEntry
from notices.outbox import subject
from tests import helpers
from tests.conftest import PASSWORD
from tests.helpers import is_locked

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
    response = client.post(reverse("otp-register"), {"contract_id": contract.contract_id, "password": PASSWORD})
    assert str(forms.CONTRACT_SUSPENDED) in response.content.decode()
    assert [m.subject for m in mailoutbox] == [subject("ib_suspended")]
    assert AuditEntry.objects.filter(action="ib.suspend", contract=contract).exists()


def test_suspension_needs_a_post_and_a_login(client, contract):
    assert client.get(SUSPEND)["Location"].startswith(LOGIN)
    assert client.post(SUSPEND, {"confirm": "on"})["Location"].startswith(LOGIN)
    assert not is_locked(contract, "ib_suspension")
