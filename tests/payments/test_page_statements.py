"""A plain authenticated page reads in at most 3 statements and writes nothing (issue 19): the user with its
contract, token binding and open locks (the gate's question), and the page's own rows. The last logins come
from the session (read once at login)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from otp import totp
from tests.helpers import login
from tests.payments.helpers import authorize, confirm, enter, same_bank_data


def _reads(client, url) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    # The tests keep sessions in the database; production keeps them in the cache (ibank.settings).
    return [q["sql"] for q in queries.captured_queries if '"django_session"' not in q["sql"]]


@pytest.fixture
def token_holder(make_contract, make_token):
    contract = make_contract(balance=100_000)
    contract.binding, contract.key = make_token(contract, login_otp=False)
    return contract


def test_the_menu_result_and_inquiry_read_in_three_statements(client, token_holder, make_contract, fake_clock):
    payee = make_contract()
    for _ in range(4):  # earlier logins for the menu to list
        login(client, token_holder)
        fake_clock.advance(60)
    login(client, token_holder)
    _r, transfer = enter(client, same_bank_data(token_holder, payee, amount=1_000))
    confirm(client, transfer)
    fake_clock.advance(30)
    authorize(client, transfer, otp=totp.totp(token_holder.key, fake_clock.epoch()))
    for name, args in (("accounts-menu", []), ("transfers-result", [transfer.reference]), ("transfers-inquiry", [])):
        statements = _reads(client, reverse(name, args=args))
        assert len(statements) <= 3, (name, statements)
        assert not any(s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")) for s in statements), name
    menu = client.get(reverse("accounts-menu")).content.decode()
    assert menu.count("（パソコン）") == 3  # the three logins before this one, from the session


def test_the_gate_asks_no_statement_of_its_own(client, token_holder):
    """The contract's open locks come with the request's user (accounts.locks.read_with): the menu, which asks
    the gate, reads the user and the accounts, and a lock set before the request is in what it read."""
    from tests.helpers import set_lock

    login(client, token_holder)
    statements = _reads(client, reverse("accounts-menu"))
    assert len(statements) == 2, statements
    assert not any(s.lstrip().startswith('SELECT "accounts_lock"') for s in statements)
    set_lock(token_holder, "otp")
    assert "停止中（誤りが規定回数に達しました）" in client.get(reverse("accounts-menu")).content.decode()


def test_confirm_commits_the_confirmation_with_its_audit_entry(client, token_holder, make_contract, monkeypatch):
    """確認 writes once: a confirmation whose audit entry could not be written is not kept."""
    from auditlog import audit
    from payments.models import Transfer

    login(client, token_holder)
    _r, transfer = enter(client, same_bank_data(token_holder, make_contract(), amount=1_000))
    real = audit.record

    def failing(actor, action, **kwargs):
        if action == "transfer.confirm":
            raise RuntimeError("the audit store failed")
        return real(actor, action, **kwargs)

    monkeypatch.setattr(audit, "record", failing)
    with pytest.raises(RuntimeError):
        client.post(reverse("transfers-confirm", args=[transfer.reference]))
    assert Transfer.objects.get(pk=transfer.pk).status == Transfer.Status.DRAFT
