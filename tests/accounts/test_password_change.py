"""ログインパスワード変更: the current password (a guess toward the login's lock), the new one twice, and the
contract's authorization on one page; every other session ends, a hold begins, the customer is told."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Lock, User
from auditlog.models import AuditEntry
from notices.models import Notice
from otp import totp
from tests.conftest import PASSWORD, TRANSFER_PASSWORD
from tests.helpers import double_click, is_locked, login, post_login, set_lock

PAGE = reverse("accounts-password")
NEW = "Sakura2027"


def _change(client, *, current=PASSWORD, new=NEW, again=None, **answer):
    answer = answer or {"transfer_password": TRANSFER_PASSWORD}
    data = {"current_password": current, "new_password": new, "new_password_again": new if again is None else again}
    return client.post(PAGE, {**data, **answer})


def _hash(contract) -> str:
    return User.objects.get(pk=contract.user_id).password


def test_the_menu_offers_it_and_the_page_asks_for_both_passwords_and_the_method(client, contract):
    login(client, contract)
    assert PAGE in client.get(reverse("accounts-menu")).content.decode()
    page = client.get(PAGE).content.decode()
    for name in ("current_password", "new_password", "new_password_again", "transfer_password"):
        assert f'name="{name}"' in page, name
    assert 'autocomplete="new-password"' in page


def test_the_password_changes_this_session_stays_and_a_copied_session_ends(
    client, contract, django_capture_on_commit_callbacks
):
    from django.conf import settings

    login(client, contract)
    thief = Client()  # the session's cookie, copied before the change
    thief.cookies[settings.SESSION_COOKIE_NAME] = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert thief.get(reverse("accounts-menu")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = _change(client)
    assert response.status_code == 302 and response["Location"] == reverse("accounts-menu")
    menu = client.get(reverse("accounts-menu"))  # this session stays logged in
    assert menu.status_code == 200 and "ログインパスワードを変更しました。" in menu.content.decode()
    assert thief.get(reverse("accounts-menu"))["Location"].startswith(reverse("accounts-login"))  # ended
    assert post_login(Client(), contract, PASSWORD).status_code == 200  # the old password no longer logs in
    assert post_login(Client(), contract, NEW)["Location"] == reverse("accounts-menu")
    assert AuditEntry.objects.filter(action="password.change", contract=contract, outcome="ok").exists()
    notice = Notice.objects.get(contract=contract, event="password_changed")
    assert "ログインパスワードを変更しました" in notice.body and "ログインパスワードの変更の後" in notice.body
    assert NEW not in notice.body
    assert is_locked(contract, Lock.Kind.CHANGE_HOLD)  # as after any change of credentials


def test_nothing_typed_is_kept_in_the_session_or_shown_back(client, contract):
    from tests.helpers import stored_session

    login(client, contract)
    response = _change(client, again="Sakura2028")
    text = response.content.decode()
    assert PASSWORD not in text and NEW not in text and "Sakura2028" not in text
    data, raw = stored_session(client)
    assert data and NEW not in raw and PASSWORD not in raw


@pytest.mark.parametrize(
    ("new", "again", "field", "message"),
    [
        ("sakura", "sakura", "new_password", "半角の英字と数字を組み合わせて6～12桁"),
        ("12345678", "12345678", "new_password", "半角の英字と数字を組み合わせて6～12桁"),
        ("Sak1", "Sak1", "new_password", "半角の英字と数字を組み合わせて6～12桁"),
        ("Ｓａｋｕｒａ２０２７", "Ｓａｋｕｒａ２０２７", "new_password", "半角の英字と数字を組み合わせて6～12桁"),
        (NEW, "Sakura2028", "new_password_again", "確認用）が新しいログインパスワードと一致しません"),
        (PASSWORD, PASSWORD, "new_password", "現在のログインパスワードと異なるものを"),
        ("", "", "new_password", "新しいログインパスワードを入力してください。"),
    ],
)
def test_a_bad_new_password_is_named_and_counts_nothing(client, contract, new, again, field, message):
    """The rule is told at the field; the current password and the method's answer are not evaluated (no guess
    counted), and nothing changes."""
    login(client, contract)
    before = _hash(contract)
    current = PASSWORD if new == PASSWORD else "Wrong0000"  # the current one typed right, or a wrong one
    response = _change(client, new=new, again=again, current=current)
    assert response.status_code == 200
    errors = response.context["own_form"].errors
    assert message in " ".join(errors[field]), errors
    assert "current_password" not in errors
    assert _hash(contract) == before
    assert not AuditEntry.objects.filter(action="password_change.current").exists()
    contract.refresh_from_db()
    assert contract.login_failures == 0


def test_a_wrong_current_password_counts_toward_the_login_lock_and_five_lock_it(
    client, contract, django_capture_on_commit_callbacks
):
    login(client, contract)
    before = _hash(contract)
    for n in range(1, 5):
        response = _change(client, current="Wrong0000")
        assert "現在のログインパスワードが正しくありません。" in " ".join(
            response.context["own_form"].errors["current_password"]
        )
        contract.refresh_from_db()
        assert contract.login_failures == n
    assert "あと1回誤るとログインが停止されます。" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = _change(client, current="Wrong0000")
    assert is_locked(contract, Lock.Kind.LOGIN)
    assert "ログインパスワードの誤りが規定回数に達したため" in response.content.decode()
    assert 'name="current_password"' not in response.content.decode()  # the page says why instead
    assert Notice.objects.filter(contract=contract, event="login_locked").exists()
    # The right password now changes nothing, and the login is refused.
    assert _change(client).status_code == 200 and _hash(contract) == before
    assert post_login(Client(), contract, PASSWORD).status_code == 200
    entries = AuditEntry.objects.filter(action="password_change.current", outcome="failed")
    assert entries.count() == 5


def test_a_wrong_authorization_changes_nothing_and_counts_toward_its_own_lock(client, contract):
    login(client, contract)
    before = _hash(contract)
    response = _change(client, transfer_password="99999")
    assert response.status_code == 200 and _hash(contract) == before
    contract.refresh_from_db()
    assert contract.login_failures == 0 and contract.transaction_failures == 1


def test_a_token_holder_authorizes_with_the_otp(client, make_contract, make_token, fake_clock):
    customer = make_contract()
    _binding, key = make_token(customer, login_otp=False, bound_days_ago=1)
    login(client, customer)
    page = client.get(PAGE).content.decode()
    assert 'name="otp"' in page and "transfer_password" not in page
    assert _change(client, otp=TRANSFER_PASSWORD).status_code == 200  # a wrong code
    response = _change(client, otp=totp.totp(key, fake_clock.t))
    assert response["Location"] == reverse("accounts-menu")
    assert post_login(Client(), customer, NEW)["Location"] != reverse("accounts-login")


def test_a_locked_method_is_told_and_no_password_is_taken(client, contract):
    set_lock(contract, Lock.Kind.TRANSACTION)
    login(client, contract)
    page = client.get(PAGE).content.decode()
    assert "お取引（振込・収納サービス等）を停止しています" in page and 'name="current_password"' not in page
    before = _hash(contract)
    assert _change(client).status_code == 200 and _hash(contract) == before
    assert not AuditEntry.objects.filter(action="password_change.current").exists()


def test_it_needs_a_login(client):
    assert client.get(PAGE)["Location"].startswith(reverse("accounts-login"))


def test_a_wrong_current_password_is_listed_in_the_login_history(client, contract):
    """It counts toward the login's lock, so the customer sees it where failed logins are listed."""
    login(client, contract)
    _change(client, current="Wrong0000")
    history = client.get(reverse("accounts-login-history"))
    failed = [a for a in history.context["attempts"] if not a.ok]
    assert [a.reason for a in failed] == ["パスワードの誤り"]


def test_a_double_click_is_no_wrong_guess(client, contract, make_contract):
    """The first request changes the password; the second, sent with the same page, counts nothing: after the
    first its session's key is replaced, and while both run it checks the password its own session was verified
    with."""
    from accounts.models import Contract
    from accounts.passwords import current_password_check

    login(client, contract)
    from django.conf import settings

    twin = Client()  # the same page sent twice: the same session cookie
    twin.cookies[settings.SESSION_COOKIE_NAME] = client.cookies[settings.SESSION_COOKIE_NAME].value
    stale = Contract.objects.select_related("user").get(pk=contract.pk)  # the second request's load
    assert _change(client)["Location"] == reverse("accounts-menu")
    # Its key was replaced by the first: to the menu, where the browser holds the new key; it logs no one in.
    assert twin.post(PAGE, {})["Location"] == reverse("accounts-menu")
    assert twin.get(reverse("accounts-menu"))["Location"].startswith(reverse("accounts-login"))
    current_password_check(actor=None, contract=stale, password=PASSWORD)  # loaded before the first's commit
    contract.refresh_from_db()
    assert contract.login_failures == 0
    assert not AuditEntry.objects.filter(action="password_change.current", outcome="failed").exists()


def _double_click(client, monkeypatch, customer, key, at, *, new=NEW):
    """The page sent twice with the same code, the second click evaluating it after the first changed the
    password to NEW; the second with ``new``."""
    login(client, customer)
    data = {"current_password": PASSWORD, "otp": totp.totp(key, at)}
    first = {**data, "new_password": NEW, "new_password_again": NEW}
    return double_click(
        monkeypatch, client, PAGE, {**data, "new_password": new, "new_password_again": new}, first=first
    )


def test_a_double_click_overlapping_the_first_is_told_the_password_changed(
    client, otp_customer, fake_clock, monkeypatch
):
    """The second click's request loaded its session before the first changed the password: its code is then
    used, and it answers as the first did; else the customer, told the code was used, would take the password
    for unchanged and try the old one at the next login."""
    customer, key = otp_customer, otp_customer.key
    twin, response = _double_click(client, monkeypatch, customer, key, fake_clock.t)
    assert response["Location"] == reverse("accounts-menu")
    page = twin.get(response["Location"])  # its session brought up to the first's change: still logged in
    assert page.status_code == 200 and "ログインパスワードを変更しました。" in page.content.decode()
    assert post_login(Client(), customer, NEW)["Location"] == reverse("accounts-menu")
    assert AuditEntry.objects.filter(action="password.change", contract=customer).count() == 1
    assert not AuditEntry.objects.filter(contract=customer, outcome="failed").exclude(reason="reused").exists()


def test_a_used_code_with_another_new_password_is_refused_as_used(client, otp_customer, fake_clock, monkeypatch):
    customer, key = otp_customer, otp_customer.key
    _twin, response = _double_click(client, monkeypatch, customer, key, fake_clock.t, new="Momiji2027")
    assert response.status_code == 200 and "使用済み" in response.content.decode()
    assert post_login(Client(), customer, NEW)["Location"] == reverse("accounts-menu")
