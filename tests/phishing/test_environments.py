"""The device cookie and ご利用環境 (issue 17): only an untampered, unexpired cookie of this contract, whose row
was not removed, makes a login *known*; anything else is a new environment (held and always notified)."""

import time

from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts import environments
from accounts.models import Contract, KnownEnvironment, Lock, LoginRecord
from auditlog.models import AuditEntry
from notices.models import Notice
from tests.helpers import environment_cookie, is_locked, post_login

CHROME_MAC = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/537.36 Chrome/126.0 Safari/537.36"


def _login_is_new(client, contract) -> bool:
    assert post_login(client, contract)["Location"] == reverse("accounts-menu")
    return LoginRecord.objects.filter(contract=contract).latest("at", "pk").new_environment


def test_the_first_login_is_new_and_makes_the_browser_known(contract):
    client = Client(HTTP_USER_AGENT=CHROME_MAC)
    assert _login_is_new(client, contract)
    cookie = client.cookies[environments.COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and int(cookie["max-age"]) > 300 * 86400
    assert KnownEnvironment.objects.get(contract=contract).browser == "Chrome（macOS）"
    assert is_locked(contract, Lock.Kind.ENVIRONMENT_HOLD)
    client.post(reverse("accounts-logout"))
    assert not _login_is_new(client, contract)  # the same browser, next time


def test_a_tampered_cookie_is_a_new_environment(client, contract):
    value = environment_cookie(contract)
    pk_key, _sep, signature = value.partition(":")
    client.cookies[environments.COOKIE] = pk_key[:-1] + ("0" if pk_key[-1] != "0" else "1") + ":" + signature
    assert _login_is_new(client, contract)


def test_a_cookie_copied_to_another_contract_is_a_new_environment(client, contract, stranger):
    client.cookies[environments.COOKIE] = environment_cookie(stranger)
    assert _login_is_new(client, contract)
    # The other contract stays known in this browser (a family's shared PC keeps each one's cookie).
    client.post(reverse("accounts-logout"))
    assert not _login_is_new(client, stranger)


def test_a_browser_shared_by_six_contracts_forgets_the_one_least_recently_logged_in(client, make_contract):
    """The cookie keeps five contracts (environments.PER_BROWSER): a sixth pushes out the one whose login in
    this browser is the oldest; the other five stay known."""
    family = [make_contract() for _ in range(6)]
    for member in family:
        assert _login_is_new(client, member)
        client.post(reverse("accounts-logout"))
    for member in family[1:]:
        assert not _login_is_new(client, member)
        client.post(reverse("accounts-logout"))
    assert _login_is_new(client, family[0])


def test_a_signed_cookie_with_malformed_items_keeps_the_good_one(client, contract):
    """Only ``pk.key`` items whose pk is digits and whose key is 32 hex digits are read: the others are
    skipped, never a server error, and the good one still names a known environment."""
    from django.core import signing

    good = signing.get_cookie_signer(salt=environments.COOKIE + environments.SALT).unsign(environment_cookie(contract))
    items = [f"x{contract.pk}.{'a' * 32}", f"{contract.pk}.{'g' * 32}", f"{contract.pk}", good]
    signer = signing.get_cookie_signer(salt=environments.COOKIE + environments.SALT)
    client.cookies[environments.COOKIE] = signer.sign(",".join(items))
    assert not _login_is_new(client, contract)


def test_an_expired_cookie_is_a_new_environment(client, contract, monkeypatch):
    from types import SimpleNamespace

    from django.core import signing

    client.cookies[environments.COOKIE] = environment_cookie(contract)
    later = time.time() + settings.IBANK_ENVIRONMENT_COOKIE_AGE + 1  # the signature's clock, past the cookie's age
    monkeypatch.setattr(signing, "time", SimpleNamespace(time=lambda: later))
    assert _login_is_new(client, contract)


def test_a_removed_environment_is_new_again(client, contract):
    client.cookies[environments.COOKIE] = environment_cookie(contract)
    assert not _login_is_new(client, contract)
    page = client.get(reverse("accounts-environments"))
    known = KnownEnvironment.objects.get(contract=contract)
    assert "Chrome（Windows）" in page.content.decode() and "現在ご利用中の環境" in page.content.decode()
    response = client.post(reverse("accounts-environment-remove", args=[known.pk]))
    assert response["Location"] == reverse("accounts-environments")
    assert AuditEntry.objects.filter(action="environment.remove", contract=contract).exists()
    client.get(response["Location"])  # the message, read
    # The same button sent again (a double click): the page it shows says the removal, made once.
    again = client.post(reverse("accounts-environment-remove", args=[known.pk]), follow=True)
    assert "ご利用環境を削除しました。" in again.content.decode()
    assert AuditEntry.objects.filter(action="environment.remove", contract=contract).count() == 1
    client.post(reverse("accounts-logout"))
    assert _login_is_new(client, contract)  # the cookie names a removed environment


def test_another_contracts_environment_cannot_be_removed(client, contract, stranger):
    theirs = KnownEnvironment.objects.create(contract=stranger, key="f" * 32, browser="Safari（iOS）")
    client.cookies[environments.COOKIE] = environment_cookie(contract)
    post_login(client, contract)
    client.post(reverse("accounts-environment-remove", args=[theirs.pk]))
    theirs.refresh_from_db()
    assert theirs.removed_at is None


def test_turning_off_known_login_notices_is_refused_during_a_hold_and_told(client, contract, fake_clock):
    post_login(client, contract)  # a new environment: held
    response = client.post(reverse("accounts-login-notices"), {}, follow=True)
    page = response.content.decode()
    assert "新しいご利用環境（ブラウザ）からのログインの後" in page
    # Said of the notices (in the message and beside the setting), besides the hold's banner at the top.
    assert page.count("ご利用環境からのログインのお知らせを停止できません") == 2
    assert Contract.objects.get(pk=contract.pk).notify_known_logins
    fake_clock.advance(settings.IBANK_NEW_ENVIRONMENT_HOLD)
    client.post(reverse("accounts-logout"))
    post_login(client, contract)  # the same browser, now known: no new hold
    response = client.post(reverse("accounts-login-notices"), {}, follow=True)
    assert "ご利用環境からのログインはお知らせしません" in response.content.decode()
    assert not Contract.objects.get(pk=contract.pk).notify_known_logins
    assert AuditEntry.objects.filter(action="login_notice.change", contract=contract).exists()
    assert Notice.objects.filter(contract_id=contract.pk, event="login_notice_changed").count() == 1
    client.post(reverse("accounts-login-notices"), {"notify_known_logins": "on"})
    assert Contract.objects.get(pk=contract.pk).notify_known_logins


def test_the_menu_shows_the_hold_in_force(client, contract):
    post_login(client, contract)
    menu = client.get(reverse("accounts-menu")).content.decode()
    assert "お取引の制限" in menu and "はじめてのお振込先" in menu


def test_a_known_environment_is_read_and_marked_seen_in_one_statement(client, contract, fake_clock):
    """Issue 19: the login recognises the browser with one UPDATE … RETURNING (its last use, its recorded
    browser), not a read and then a write."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    assert _login_is_new(client, contract)
    client.post(reverse("accounts-logout"))
    fake_clock.advance(60)
    with CaptureQueriesContext(connection) as queries:
        assert not _login_is_new(client, contract)
    touching = [q["sql"] for q in queries.captured_queries if "accounts_knownenvironment" in q["sql"]]
    assert len(touching) == 1 and touching[0].startswith("UPDATE"), touching
    known = KnownEnvironment.objects.get(contract=contract)
    assert known.last_seen == LoginRecord.objects.filter(contract=contract).latest("at", "pk").at


def test_a_browser_unseen_for_longer_than_the_cookie_lives_is_no_longer_listed(
    client, contract, fake_clock, django_user_model
):
    """Its cookie cannot be valid any more (it is written again at each login, with the row's last_seen), so
    the browser can never be recognised: ご利用環境 and the branch's contract page list only those that can."""
    from datetime import timedelta

    from accounts.environments import listed
    from ibank import clock

    age = timedelta(seconds=settings.IBANK_ENVIRONMENT_COOKIE_AGE)
    old = KnownEnvironment.objects.create(contract=contract, key="a" * 32, browser="Safari（iOS）")
    recent = KnownEnvironment.objects.create(contract=contract, key="b" * 32, browser="Firefox（Linux）")
    KnownEnvironment.objects.filter(pk=old.pk).update(last_seen=clock.now() - age - timedelta(minutes=1))
    KnownEnvironment.objects.filter(pk=recent.pk).update(last_seen=clock.now() - age + timedelta(days=1))
    assert [e.pk for e in listed(contract)] == [recent.pk]
    post_login(client, contract)
    html = client.get(reverse("accounts-environments")).content.decode()
    assert "Firefox（Linux）" in html and "Safari（iOS）" not in html
    from tests.helpers import as_staff

    clerk = django_user_model.objects.create_user("clerk", password="clerk-pass-123", is_staff=True, is_superuser=True)
    staff = as_staff(Client(), clerk)
    page = staff.get(reverse("admin:accounts_contract_change", args=[contract.pk])).content.decode()
    assert "Firefox（Linux）" in page and "Safari（iOS）" not in page


def test_a_browser_is_recorded_in_the_banks_language_and_shown_in_the_readers(contract):
    """The browser of a login made on the English pages is recorded as any other (the clerk and the notices read
    Japanese); a customer reading English sees every recorded browser in English, a Japanese reader in Japanese."""
    english = Client(HTTP_USER_AGENT="Wget/1.21", HTTP_ACCEPT_LANGUAGE="en")  # neither browser nor system known
    failing = Client(HTTP_USER_AGENT=CHROME_MAC, HTTP_ACCEPT_LANGUAGE="en")
    assert post_login(failing, contract.contract_id, "wrong-password").status_code == 200  # a failed attempt
    assert _login_is_new(failing, contract)
    assert _login_is_new(english, contract)
    recorded = set(KnownEnvironment.objects.values_list("browser", flat=True))
    assert recorded == {"不明なブラウザ", "Chrome（macOS）"}
    assert set(LoginRecord.objects.values_list("browser", flat=True)) == recorded

    for path in (reverse("accounts-environments"), reverse("accounts-login-history")):
        text = english.get(path).content.decode()
        assert "Unknown browser" in text and "Chrome (macOS)" in text, path
        assert "不明なブラウザ" not in text and "Chrome（macOS）" not in text, path
    japanese = Client(HTTP_USER_AGENT=CHROME_MAC, HTTP_ACCEPT_LANGUAGE="ja")
    _login_is_new(japanese, contract)
    for path in (reverse("accounts-environments"), reverse("accounts-login-history")):
        text = japanese.get(path).content.decode()
        assert "不明なブラウザ" in text and "Chrome（macOS）" in text and "Unknown browser" not in text, path


def test_daily_maintenance_forgets_environments_no_cookie_can_name(contract, fake_clock):
    """A browser that keeps no cookie leaves a row at every login; once unseen for longer than the cookie
    lives, no cookie can name it: the daily job deletes it (the logins stay in the login records)."""
    from datetime import timedelta
    from io import StringIO

    from django.core.management import call_command

    from ibank import clock

    age = timedelta(seconds=settings.IBANK_ENVIRONMENT_COOKIE_AGE)
    now = clock.now()
    rows = {
        "old": now - age - timedelta(minutes=1),
        "old removed": now - age - timedelta(days=3),
        "recent": now - age + timedelta(minutes=1),
    }
    for name, seen in rows.items():
        KnownEnvironment.objects.create(
            contract=contract,
            key=name,
            browser="Chrome（Windows）",
            first_seen=seen,
            last_seen=seen,
            removed_at=seen if "removed" in name else None,
        )
    out = StringIO()
    call_command("daily_maintenance", stdout=out)
    assert list(KnownEnvironment.objects.values_list("key", flat=True)) == ["recent"]
    assert "2 environment(s) no cookie can name deleted" in out.getvalue()
