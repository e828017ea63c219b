"""メールアドレス変更: authorized like a transaction; both addresses are told; every later notice uses the new one."""

from django.urls import reverse

from accounts.models import Contract
from auditlog.models import AuditEntry
from notices.outbox import subject
from tests.conftest import TRANSFER_PASSWORD
from tests.helpers import paid_before
from tests.payments.helpers import login, same_bank_data, send

EMAIL = reverse("transfers-email")
AUTHORIZE = reverse("transfers-email-authorize")


def _authorize(client, answer):
    """認証 as its page sends it: with the value the page showed."""
    shown = client.get(AUTHORIZE).context["shown"]
    return client.post(AUTHORIZE, {"shown": shown, **answer})


def test_a_malformed_address_gets_a_field_message_and_keeps_what_was_typed(client, contract):
    login(client, contract)
    response = client.post(EMAIL, {"email": "taro＠example"})
    assert response.context["form"].errors["email"] == [
        "メールアドレスの形式が正しくありません。（例：taro@example.jp）"
    ]
    assert 'value="taro＠example"' in response.content.decode()


def test_the_change_needs_authorization_and_tells_both_addresses(
    client, contract, make_contract, mailoutbox, django_capture_on_commit_callbacks
):
    old = contract.email
    login(client, contract)
    assert client.post(EMAIL, {"email": "new.taro@example.jp"})["Location"] == AUTHORIZE
    assert Contract.objects.get(pk=contract.pk).email == old  # nothing before the authorization
    wrong = _authorize(client, {"transfer_password": "99999"})
    assert wrong.status_code == 200 and Contract.objects.get(pk=contract.pk).email == old
    with django_capture_on_commit_callbacks(execute=True):
        response = _authorize(client, {"transfer_password": TRANSFER_PASSWORD})
    assert response["Location"] == reverse("accounts-menu")
    assert Contract.objects.get(pk=contract.pk).email == "new.taro@example.jp"
    changed = [m for m in mailoutbox if m.subject == subject("email_changed")]
    assert [m.to for m in changed] == [[old], ["new.taro@example.jp"]]
    assert AuditEntry.objects.filter(action="email.change", contract=contract).exists()
    # Every notice from now on goes to the new address.
    mailoutbox.clear()
    payee = make_contract()
    paid_before(contract, payee)  # a payee paid before: the change's hold refuses new payees only
    with django_capture_on_commit_callbacks(execute=True):
        send(client, same_bank_data(contract, payee, amount=100))
    assert [m.to for m in mailoutbox] == [["new.taro@example.jp"]]


def test_the_authorization_is_audited_without_the_address(client, contract):
    login(client, contract)
    client.post(EMAIL, {"email": "new.taro@example.jp"})
    _authorize(client, {"transfer_password": TRANSFER_PASSWORD})
    entry = AuditEntry.objects.get(action="email.authorize", contract=contract, outcome="ok")
    assert "new.taro@example.jp" not in str(entry.detail)


def test_a_locked_method_is_told_before_the_address_is_typed(client, contract):
    """The change is authorized by the method: while it is locked the page says so instead of taking an address
    that 認証 would refuse, and a posted address goes nowhere."""
    from tests.helpers import set_lock

    set_lock(contract, "transaction")
    login(client, contract)
    page = client.get(EMAIL).content.decode()
    assert "お取引（振込・収納サービス等）を停止しています" in page and 'name="email"' not in page
    response = client.post(EMAIL, {"email": "new.taro@example.jp"})
    assert response.status_code == 200 and "お取引（振込・収納サービス等）を停止しています" in response.content.decode()
    assert client.get(AUTHORIZE)["Location"] == EMAIL  # nothing kept for 認証


def test_the_address_authorized_is_the_one_the_page_showed(client, contract):
    login(client, contract)
    old = contract.email
    client.post(EMAIL, {"email": "first@example.jp"})
    assert client.get(AUTHORIZE).context["shown"] == "first@example.jp"
    client.post(EMAIL, {"email": "second@example.jp"})  # another page of the same session, meanwhile
    client.post(AUTHORIZE, {"shown": "first@example.jp", "transfer_password": TRANSFER_PASSWORD})
    assert Contract.objects.get(pk=contract.pk).email == old
    _authorize(client, {"transfer_password": TRANSFER_PASSWORD})
    assert Contract.objects.get(pk=contract.pk).email == "second@example.jp"
