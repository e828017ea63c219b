"""Passkeys in Chromium with a virtual authenticator (CDP WebAuthn, ctap2, internal, resident key, user
verification): registration (authorized, notified), and a transfer authorized with a challenge bound to its
payee and amount — a replayed assertion and an assertion for another transfer are refused."""

import json

import pytest
from django_otp_webauthn.models import WebAuthnCredential
from playwright.sync_api import expect

from accounts import holds
from accounts.models import Account, Lock
from auditlog.models import AuditEntry
from notices.models import Notice
from passkeys import ceremony
from payments.models import Transfer
from tests.conftest import TRANSFER_PASSWORD
from tests.helpers import enter_transfer, fill_login
from tests.pages import Walker

pytestmark = pytest.mark.django_db(transaction=True)


def _virtual_authenticator(page):
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    options = {
        "protocol": "ctap2",
        "transport": "internal",
        "hasResidentKey": True,
        "hasUserVerification": True,
        "isUserVerified": True,
        "automaticPresenceSimulation": True,
    }
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": options})
    return cdp


def _register(page, live_server, customer):
    page.goto(live_server.url + "/login/")
    fill_login(page, customer)  # the customer's own PC: a browser known before this login
    page.get_by_role("button", name="ログイン", exact=True).click()
    page.get_by_role("link", name="パスキー", exact=True).click()
    page.get_by_role("link", name="パスキーの登録へ進む").click()
    page.get_by_label("資金移動用パスワード").fill(TRANSFER_PASSWORD)
    page.get_by_role("button", name="次へ").click()
    expect(page.get_by_text("登録の準備ができました")).to_be_visible()
    page.get_by_role("button", name="この端末でパスキーを登録する").click()
    expect(page.get_by_text("パスキーを登録しました。")).to_be_visible()
    expect(page.locator(".passkey")).to_contain_text("パスキー1")


def test_register_then_authorize_a_transfer_to_a_new_payee_during_a_hold(page, live_server, make_contract, fake_clock):
    customer = make_contract(balance=300_000)
    _virtual_authenticator(page)
    _register(page, live_server, customer)
    device = WebAuthnCredential.objects.get(user=customer.user)
    assert AuditEntry.objects.filter(action="passkey.register", contract=customer).exists()
    assert Notice.objects.filter(contract_id=customer.pk, event="passkey_registered").exists()

    # Later the e-mail address changes: new payees are held — except with a passkey registered before.
    fake_clock.advance(60)
    holds.begin(customer, Lock.Kind.CHANGE_HOLD, reason="email_change", actor=None)
    page.goto(live_server.url + "/transfer/")
    enter_transfer(page, bank="0005", number="7654321", name="ﾔﾏﾀﾞ ﾊﾅｺ", amount="20000")
    page.get_by_role("button", name="確認", exact=True).click()
    expect(page.locator("#passkey-authorize")).to_be_visible()
    with page.expect_request(lambda r: r.method == "POST" and "/authorize/" in r.url) as sent:
        page.locator("#passkey-authorize").click()
    expect(page.get_by_text("受付番号")).to_be_visible()
    transfer = Transfer.objects.get(contract=customer, payee_number="7654321")
    assert transfer.status == Transfer.Status.ACCEPTED
    assert Account.objects.get(pk=customer.account.pk).balance == 300_000 - 20_000 - 275  # the fee under 30,000
    entry = AuditEntry.objects.get(action="transfer.authorize", contract=customer, outcome="ok")
    assert entry.detail["method"] == "passkey" and entry.detail["passkey"] == device.pk

    # The assertion the page sent, replayed: its challenge is used.
    form = dict(pair.split("=", 1) for pair in sent.value.post_data.split("&"))
    from urllib.parse import unquote_plus

    assertion, challenge_id = unquote_plus(form["passkey_assertion"]), unquote_plus(form["passkey_challenge"])
    detail = {"reference": transfer.reference, "digest": transfer.digest}
    with pytest.raises(ceremony.Refused) as replayed:
        ceremony.verify_transaction(customer, detail, challenge_id, assertion)
    assert replayed.value.reason == "reused"
    # ...and for another transfer (another amount: another digest), it is refused as changed.
    changed = {"reference": transfer.reference, "digest": "0" * 64}
    with pytest.raises(ceremony.Refused) as other:
        ceremony.verify_transaction(customer, changed, challenge_id, assertion)
    assert other.value.reason == "changed"
    assert json.loads(assertion)["type"] == "public-key"

    # Authorized with the passkey, the new payee is not held to its daily cap (100,000).
    page.goto(live_server.url + "/transfer/")
    enter_transfer(page, bank="0005", number="7654321", name="ﾔﾏﾀﾞ ﾊﾅｺ", amount="150000")
    page.get_by_role("button", name="確認", exact=True).click()
    # An answer the server refuses first (what a broken or a meddled page would send): the page says so and
    # its button works again, on a new challenge.
    page.locator("#passkey-authorize").evaluate(
        "button => { button.form.elements.passkey_assertion.value = '{}'; button.form.submit(); }"
    )
    expect(page.locator(".form-errors")).to_contain_text("パスキーで認証できませんでした。")
    page.locator("#passkey-authorize").click()
    expect(page.get_by_text("受付番号")).to_be_visible()
    assert Transfer.objects.filter(contract=customer, amount=150_000, status=Transfer.Status.ACCEPTED).exists()


def test_a_passkey_login_from_a_new_environment_is_told_but_not_held(page, live_server, make_contract, fake_clock):
    customer = make_contract(balance=100_000)
    _virtual_authenticator(page)
    _register(page, live_server, customer)
    page.get_by_role("button", name="ログアウト").click()
    page.context.clear_cookies()  # this browser is no longer known: a new environment
    fake_clock.advance(60)
    page.goto(live_server.url + "/login/")
    fill_login(page, customer, known=False)
    page.get_by_role("button", name="ログイン", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("パスキー認証")
    walk = Walker(page)
    walk.assert_fine("passkey login")  # 320 px and axe-core
    assert walk.views == {"passkeys-login"}  # tests/test_every_page.py counts it walked here
    page.locator("#passkey-authorize").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("メニュー")
    from accounts.models import LoginRecord
    from tests.helpers import is_locked

    record = LoginRecord.objects.filter(contract=customer).latest("at", "pk")
    assert record.new_environment
    assert not is_locked(customer, Lock.Kind.ENVIRONMENT_HOLD)  # a passkey cannot be relayed
    notice = Notice.objects.filter(contract_id=customer.pk, event="login").latest("created_at")
    assert "はじめてのご利用環境（新しい環境）" in notice.body  # still told
    assert AuditEntry.objects.filter(action="login.passkey", contract=customer, outcome="ok").exists()


def test_without_the_passkey_the_same_login_is_held(page, live_server, make_contract, fake_clock):
    customer = make_contract(balance=100_000)
    _virtual_authenticator(page)
    _register(page, live_server, customer)
    page.get_by_role("button", name="ログアウト").click()
    page.context.clear_cookies()
    fake_clock.advance(60)
    page.goto(live_server.url + "/login/")
    fill_login(page, customer, known=False)
    page.get_by_role("button", name="ログイン", exact=True).click()
    page.get_by_role("button", name="パスキーを使わずにログインする").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("メニュー")
    from tests.helpers import is_locked

    assert is_locked(customer, Lock.Kind.ENVIRONMENT_HOLD)


def test_a_raise_authorized_with_a_passkey_applies_at_once(page, live_server, make_contract, fake_clock):
    """Without a token the transfer password raises the limit from tomorrow; a passkey, bound to this site and
    to the new limit, raises it at once (as the OTP does), within the contract's ceiling."""
    from accounts.models import Contract

    customer = make_contract()
    Contract.objects.filter(pk=customer.pk).update(daily_transfer_limit=100_000)
    _virtual_authenticator(page)
    _register(page, live_server, customer)
    page.goto(live_server.url + "/limit/")
    expect(page.get_by_text("ワンタイムパスワードまたはパスキーで認証した場合は本日から")).to_be_visible()
    page.get_by_label("変更後の振込限度額（円）").fill("150000")
    page.get_by_role("button", name="変更する").click()
    page.locator("#passkey-authorize").click()
    expect(page.get_by_text("振込限度額を変更しました。本日から適用されます。")).to_be_visible()
    changed = Contract.objects.get(pk=customer.pk)
    assert (changed.daily_transfer_limit, changed.pending_daily_limit) == (150_000, None)
    entry = AuditEntry.objects.get(action="limit.authorize", contract=customer, outcome="ok")
    assert entry.detail["method"] == "passkey"
