"""Passkeys without a browser: the hold exemption (only a passkey registered before the hold), the channel
(/m/ keeps the contract's own method), the known-environment rule for registering, and the branch's
removal with 紛失届."""

from datetime import timedelta

from django.conf import settings
from django.test import Client
from django.urls import reverse
from django_otp_webauthn.models import WebAuthnCredential

from accounts import authorization, gate, holds
from accounts.models import Account, Contract, Lock
from accounts.services import SESSION_NEW_ENVIRONMENT
from auditlog.models import AuditEntry
from branch import services as branch_services
from ibank import clock
from notices.models import Notice
from passkeys.models import TransactionChallenge
from tests.helpers import known_environment, post_login

A = gate.Action


def _passkey(contract, *, at):
    device = WebAuthnCredential.objects.create(
        user=contract.user, name="パスキー1", credential_id=b"credential-%d" % contract.pk, public_key=b"key"
    )
    WebAuthnCredential.objects.filter(pk=device.pk).update(created_at=at)
    Contract.objects.filter(pk=contract.pk).update(has_passkey=True)  # as passkeys.ceremony.register keeps it
    return device


def _fresh(contract):
    return Contract.objects.select_related("user").get(pk=contract.pk)


def test_only_a_passkey_registered_before_the_hold_authorizes_what_it_refuses(contract, stranger, fake_clock):
    _passkey(contract, at=clock.now() - timedelta(days=10))
    holds.begin(contract, Lock.Kind.ENVIRONMENT_HOLD, reason="new_environment", actor=None)
    assert authorization.method_for(_fresh(contract)).key == "passkey"
    assert gate.may(_fresh(contract), A.TRANSFER_NEW_PAYEE)
    assert gate.may(_fresh(contract), A.PAYEASY)
    # A passkey added after the hold began (a relayed session's) does not.
    holds.begin(stranger, Lock.Kind.ENVIRONMENT_HOLD, reason="new_environment", actor=None)
    fake_clock.advance(1)
    _passkey(stranger, at=clock.now())
    assert not gate.may(_fresh(stranger), A.TRANSFER_NEW_PAYEE)
    assert not gate.may(_fresh(stranger), A.PAYEASY)


def test_on_the_phone_the_contracts_own_method_applies(contract):
    _passkey(contract, at=clock.now())
    assert authorization.method_for(_fresh(contract), gate.Channel.MOBILE).key == "password"
    assert gate.may(_fresh(contract), A.TRANSFER, channel=gate.Channel.MOBILE)


def test_a_passkey_is_registered_only_from_a_browser_known_before_this_login(client, contract, fake_clock):
    post_login(client, contract)  # a new environment
    response = client.get(reverse("passkeys-authorize"), follow=True)
    assert "はじめてご利用の環境では登録できません" in response.content.decode()
    assert client.post(reverse("passkeys-begin")).status_code == 403
    own = Client()
    known_environment(own, contract)
    post_login(own, contract)
    page = own.get(reverse("passkeys")).content.decode()
    # The new environment's login held the contract: the page says so instead of offering a refused step.
    assert "パスキーの登録へ進む" not in page and "新しいご利用環境（ブラウザ）からのログイン" in page
    fake_clock.advance(settings.IBANK_NEW_ENVIRONMENT_HOLD)
    post_login(own, contract)
    page = own.get(reverse("passkeys")).content.decode()
    assert "パスキーの登録へ進む" in page
    assert own.get(reverse("passkeys-authorize")).context["locked"] is False


def test_a_session_that_does_not_say_where_its_login_came_from_counts_as_a_new_environment(
    client, contract, fake_clock
):
    """A session without the login's mark (one made before the mark existed, say) never registers a passkey:
    only a login known to come from a known browser does, and this one is not known to."""
    fake_clock.advance(settings.IBANK_CREDENTIAL_CHANGE_HOLD)  # past the start's hold: only the mark decides
    known_environment(client, contract)
    post_login(client, contract)
    assert "パスキーの登録へ進む" in client.get(reverse("passkeys")).content.decode()
    session = client.session
    del session[SESSION_NEW_ENVIRONMENT]
    session.save()
    page = client.get(reverse("passkeys")).content.decode()
    assert "パスキーの登録へ進む" not in page and "はじめてご利用の環境では登録できません" in page
    assert client.post(reverse("passkeys-begin")).status_code == 403


def test_the_branch_removes_passkeys_with_a_lost_report_and_the_contract_page_lists_them(contract, maker):
    device = _passkey(contract, at=clock.now())
    branch_services.contract_report_lost(
        actor=None, staff=maker, contract=contract, reason="スマートフォン紛失", reference="L-1"
    )
    assert not WebAuthnCredential.objects.filter(pk=device.pk).exists()
    assert not Contract.objects.get(pk=contract.pk).has_passkey
    assert AuditEntry.objects.filter(action="passkey.remove", contract=contract).exists()
    notice = Notice.objects.get(contract_id=contract.pk, event="passkey_removed")
    assert "お取引店でのお手続きにより" in notice.body


def test_the_menu_asks_no_passkey_table_for_the_method(client, contract):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    known_environment(client, contract)
    post_login(client, contract)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("accounts-menu")).status_code == 200
    assert not any("webauthn" in q["sql"] for q in queries.captured_queries)  # the contract's flag answers


def test_the_customer_removes_their_own_passkey_and_only_their_own(client, contract, stranger):
    post_login(client, contract)  # (a contract with a passkey would log in with it)
    mine, theirs = _passkey(contract, at=clock.now()), _passkey(stranger, at=clock.now())
    assert client.get(reverse("passkeys-remove", args=[mine.pk])).status_code == 405  # a link cannot remove it
    response = client.post(reverse("passkeys-remove", args=[theirs.pk]), follow=True)
    assert WebAuthnCredential.objects.filter(pk=theirs.pk).exists()
    assert "パスキーを削除しました。" not in response.content.decode()
    response = client.post(reverse("passkeys-remove", args=[mine.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("passkeys")
    assert "パスキーを削除しました。" in response.content.decode()
    assert not WebAuthnCredential.objects.filter(pk=mine.pk).exists()
    assert not Contract.objects.get(pk=contract.pk).has_passkey
    assert AuditEntry.objects.filter(action="passkey.remove", contract=contract).count() == 1
    assert Notice.objects.filter(contract_id=contract.pk, event="passkey_removed").count() == 1
    # The same button sent again (a double click): the page it shows says the removal, which is made once.
    again = client.post(reverse("passkeys-remove", args=[mine.pk]), follow=True)
    assert "パスキーを削除しました。" in again.content.decode()
    assert AuditEntry.objects.filter(action="passkey.remove", contract=contract).count() == 1


def test_a_registration_finishing_after_a_lost_report_is_refused(rf, contract):
    """A 紛失届 ends the lost phone's sessions and removes its passkeys; a registration from that phone still on
    its way must not add one after it. The ceremony's last step checks the session under the contract's lock."""
    from importlib import import_module

    import pytest
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    from passkeys import ceremony

    def request_of_this_session():
        session = import_module(settings.SESSION_ENGINE).SessionStore()
        session[SESSION_KEY] = str(contract.user_id)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = Contract.objects.get(pk=contract.pk).user.get_session_auth_hash()
        session[ceremony.REGISTER_STATE] = {"challenge": "x"}
        request = rf.post("/")
        request.session = session
        return request

    valid = request_of_this_session()  # a session in force reaches the authenticator's answer (bad here)
    with pytest.raises(ceremony.Refused) as bad_answer:
        ceremony.register(valid, actor=None, contract=contract, answer="{}")
    assert bad_answer.value.reason == "invalid"
    ended = request_of_this_session()
    contract.user.rotate_session_nonce()  # what the 紛失届 does while the request is on its way
    with pytest.raises(ceremony.Refused) as refused:
        ceremony.register(ended, actor=None, contract=contract, answer="{}")
    assert refused.value.reason == "ended"
    assert not WebAuthnCredential.objects.filter(user_id=contract.user_id).exists()
    audited = AuditEntry.objects.filter(action="passkey.register", contract=contract, outcome="failed")
    assert sorted(audited.values_list("reason", flat=True)) == ["ended", "invalid"]


def test_a_passkey_answer_that_is_not_for_this_transfer_is_refused_and_told(client, contract, stranger):
    """At 認証 with a passkey, what the page sends must be a valid assertion over this transfer's challenge, used
    once: a forged one, another transfer's challenge and a used one are each refused with their message and
    audited with their reason; nothing moves and no lock is counted."""
    from passkeys.authorization import REFUSED
    from payments.models import Transfer
    from tests.payments.helpers import confirm, enter, same_bank_data

    post_login(client, contract)  # (a contract with a passkey would log in with it)
    _passkey(contract, at=clock.now() - timedelta(days=10))
    _response, transfer = enter(client, same_bank_data(contract, stranger, amount=1_000))
    confirm(client, transfer)
    url = reverse("transfers-authorize", args=[transfer.reference])
    challenge, used = (client.get(url).context["form"].passkey.id for _ in range(2))
    TransactionChallenge.objects.filter(pk=used).update(used_at=clock.now())
    mine = TransactionChallenge.objects.get(pk=challenge)
    other = TransactionChallenge.objects.create(
        contract=contract, bound="0" * 64, nonce=mine.nonce, origin=mine.origin, rp_id=mine.rp_id
    ).pk  # made for another transaction
    balance = Account.objects.get(pk=contract.account.pk).balance
    offered = {challenge, other, used}
    for challenge_id, reason in ((challenge, "invalid"), (other, "changed"), (used, "reused")):
        response = client.post(url, {"passkey_challenge": challenge_id, "passkey_assertion": '{"id": "x"}'})
        assert response.status_code == 200
        assert str(REFUSED[reason]) in response.content.decode()
        entry = AuditEntry.objects.filter(action="transfer.authorize", contract=contract).latest("pk")
        assert (entry.outcome, entry.reason, entry.detail["method"]) == ("failed", reason, "passkey")
        # The page says try again, and offers a challenge that can be answered: new, unused, this transfer's.
        again = TransactionChallenge.objects.get(pk=response.context["form"].passkey.id)
        assert again.pk not in offered and again.used_at is None and again.bound == mine.bound
        assert f'name="passkey_challenge" value="{again.pk}"' in response.content.decode()
        assert 'data-options=""' not in response.content.decode()
        offered.add(again.pk)
    assert Transfer.objects.get(pk=transfer.pk).status == Transfer.Status.CONFIRMED
    assert Account.objects.get(pk=contract.account.pk).balance == balance
    assert Contract.objects.get(pk=contract.pk).transaction_failures == 0
    assert not Lock.objects.filter(contract=contract).exclude(kind__in=holds.KINDS).exists()


def test_a_double_click_of_the_registrations_authorization_is_answered_as_the_first(
    client, otp_customer, fake_clock, monkeypatch
):
    """The second click's code was used by the first click of the same page: told ready, not 「使用済み」. The
    same code on another page (another name) is still refused as used."""
    from otp import totp
    from tests.helpers import double_click, login

    login(client, otp_customer)
    authorize = reverse("passkeys-authorize")
    data = {"attempt": client.get(authorize).context["attempt"], "otp": totp.totp(otp_customer.key, fake_clock.t)}
    twin, response = double_click(monkeypatch, client, authorize, data)
    assert response["Location"] == reverse("passkeys")
    assert "登録の準備ができました。" in twin.get(response["Location"]).content.decode()
    other = client.post(authorize, {**data, "attempt": "0123456789abcdef"})
    assert other.status_code == 200 and "使用済み" in other.content.decode()


def test_each_second_factor_page_offers_the_other_the_contract_has_by_name(client, make_contract, make_token):
    """A contract with a token (認証する) and a passkey is asked for the code first; that page offers the passkey,
    and the passkey's page offers the code back, each link named. A contract without one is not offered it."""
    otp_link = f'<a href="{reverse("accounts-login-otp")}">ワンタイムパスワードでログインする</a>'
    passkey_link = f'<a href="{reverse("passkeys-login")}">パスキーでログインする</a>'
    both, token_only = make_contract(), make_contract()
    for contract in (both, token_only):
        make_token(contract, login_otp=True)
    _passkey(both, at=clock.now())
    assert post_login(client, both)["Location"] == reverse("accounts-login-otp")
    assert passkey_link in client.get(reverse("accounts-login-otp")).content.decode()
    assert otp_link in client.get(reverse("passkeys-login")).content.decode()
    other = Client()
    assert post_login(other, token_only)["Location"] == reverse("accounts-login-otp")
    assert reverse("passkeys-login") not in other.get(reverse("accounts-login-otp")).content.decode()
