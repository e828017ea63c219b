"""Staff login to the admin: one answer, lockout, audit, the staff's own encrypted OTP device."""

import base64

import pyotp
import pytest
from django.urls import reverse

from accounts.models import Contract, StaffDevice, User
from auditlog.models import AuditEntry
from ibank import crypto
from staff import enrollment
from staff.login import LOGIN_FAILED
from staff.services import STAFF_LOCK
from tests.conftest import PASSWORD
from tests.helpers import is_locked

LOGIN = reverse("admin:login")
ENROLL = reverse("admin:staff-enroll")
STAFF_PASSWORD = "clerk-pass-123"
KEY = bytes(range(20))


def code(fake_clock, key=KEY, offset=0):
    return pyotp.TOTP(base64.b32encode(key).decode()).at(fake_clock.t + 30 * offset)


@pytest.fixture
def clerk(db):
    user = User.objects.create_user("clerk", password=STAFF_PASSWORD, is_staff=True, is_superuser=True)
    device = StaffDevice(user=user, name="clerk", confirmed=True)
    device.set_key(KEY)
    device.save()
    return user


def post(client, username, password, otp=""):
    return client.post(LOGIN, {"username": username, "password": password, "otp_token": otp, "next": "/admin/"})


def test_password_and_code_on_one_form_open_the_admin(client, clerk, fake_clock):
    response = post(client, "clerk", STAFF_PASSWORD, code(fake_clock))
    assert response.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200
    assert AuditEntry.objects.filter(action="admin.login", outcome="ok", actor="staff:clerk").exists()


def test_every_failure_gets_the_same_answer(client, clerk, contract, fake_clock):
    cases = {
        "unknown": ("nobody", STAFF_PASSWORD, code(fake_clock)),
        "customer": (contract.contract_id, PASSWORD, ""),
        "wrong_password": ("clerk", "wrong-pass-1", code(fake_clock)),
        "wrong_otp": ("clerk", STAFF_PASSWORD, "000000"),
        "no_otp": ("clerk", STAFF_PASSWORD, ""),
    }
    pages = {}
    for name, (username, password, otp) in cases.items():
        response = post(client, username, password, otp)
        assert response.status_code == 200, name
        page = response.content.decode()
        assert str(LOGIN_FAILED) in page, name
        assert password not in page  # never echoed back
        assert not otp or f'value="{otp}"' not in page  # nor the code
        assert "otp_device" not in page and "Please enter your OTP" not in page
        pages[name] = page.replace(username, "")
    assert len({p.split('name="csrfmiddlewaretoken"')[0] for p in pages.values()}) == 1
    reasons = list(AuditEntry.objects.filter(action="admin.login", outcome="failed").values_list("reason", flat=True))
    assert sorted(reasons) == sorted(["unknown_user", "customer", "wrong_password", "wrong_otp", "wrong_otp"])


@pytest.mark.parametrize("change", [{"is_active": False}, {"is_staff": False}])
def test_a_staff_member_deactivated_or_no_longer_staff_is_refused_with_the_same_answer(
    client, clerk, fake_clock, change
):
    """A clerk who left the bank (deactivated) or moved away from the branch (no longer staff) keeps their
    password and device: the right password and code open nothing, answered like any failure, audited."""
    User.objects.filter(pk=clerk.pk).update(**change)
    response = post(client, "clerk", STAFF_PASSWORD, code(fake_clock))
    assert response.status_code == 200 and str(LOGIN_FAILED) in response.content.decode()
    assert client.get(reverse("admin:index")).status_code == 302
    entry = AuditEntry.objects.get(action="admin.login")
    assert (entry.outcome, entry.reason) == ("failed", "not_staff")


def test_five_failures_lock_staff_for_15_minutes(client, clerk, fake_clock):
    for _ in range(3):
        post(client, "clerk", "wrong-pass-1")
    for _ in range(2):
        post(client, "clerk", STAFF_PASSWORD, "000000")
    assert AuditEntry.objects.filter(action="admin.lock", actor="staff:clerk").count() == 1
    response = post(client, "clerk", STAFF_PASSWORD, code(fake_clock))  # right, but locked
    assert str(LOGIN_FAILED) in response.content.decode()
    assert AuditEntry.objects.filter(action="admin.login", reason="locked").count() == 1
    fake_clock.advance(15 * 60 + 1)
    assert post(client, "clerk", STAFF_PASSWORD, code(fake_clock))["Location"] == "/admin/"


def test_a_customers_wrong_passwords_at_the_admin_count_toward_the_customer_lock(client, contract):
    for _ in range(5):
        post(client, contract.contract_id, "Wrong123")
    contract.refresh_from_db()
    assert is_locked(contract, "login")
    assert AuditEntry.objects.filter(action="login.lock", contract=contract).count() == 1


def test_a_crafted_otp_device_field_is_a_form_error_not_a_500(client, clerk):
    response = client.post(
        LOGIN,
        {"username": "clerk", "password": STAFF_PASSWORD, "otp_device": "no.such/1", "otp_token": "123456"},
    )
    assert response.status_code == 200 and str(LOGIN_FAILED) in response.content.decode()


def test_a_code_opens_the_admin_once(client, clerk, fake_clock):
    otp = code(fake_clock)
    assert post(client, "clerk", STAFF_PASSWORD, otp).status_code == 302
    client.post(reverse("admin:logout"))
    assert post(client, "clerk", STAFF_PASSWORD, otp).status_code == 200


# -- the seed -------------------------------------------------------------------------


def test_staff_seeds_are_encrypted_at_rest_and_never_shown(client, clerk, fake_clock):
    device = StaffDevice.objects.get(user=clerk)
    assert KEY.hex() not in device.key and crypto.decrypt(device.key) == KEY.hex()
    post(client, "clerk", STAFF_PASSWORD, code(fake_clock))
    b32 = base64.b32encode(KEY).decode()
    for url in [
        reverse("admin:accounts_staffdevice_changelist"),
        reverse("admin:accounts_staffdevice_change", args=[device.pk]),
    ]:
        html = client.get(url).content.decode()
        assert KEY.hex() not in html and b32 not in html and device.key not in html
    # Nobody adds a device for someone else: only the owner enrolls, at their own login.
    assert client.get(reverse("admin:accounts_staffdevice_add")).status_code == 403


# -- enrollment ------------------------------------------------------------------------


def test_a_new_staff_member_enrolls_their_own_device_once(client, db, fake_clock):
    newbie = User.objects.create_user("newbie", password=STAFF_PASSWORD, is_staff=True, is_superuser=True)
    code, _row = enrollment.issue_code(actor=None, user=newbie, by=None, as_name="system:test")
    response = post(client, "newbie", STAFF_PASSWORD)
    assert response.status_code == 302
    assert client.get(reverse("admin:index"))["Location"].startswith(LOGIN)  # not verified
    response = client.get(LOGIN)
    assert response["Location"] == reverse("admin:staff-enroll")
    # The password alone shows no QR code: the 登録コード handed over in person comes first.
    assert client.post(reverse("admin:staff-enroll"), {"enrollment_code": code})["Location"] == ENROLL
    page = client.get(reverse("admin:staff-enroll")).content.decode()
    assert "otpauth://totp/" in page and 'class="qr-code"' in page
    device = StaffDevice.objects.get(user__username="newbie", confirmed=False)
    again = client.get(reverse("admin:staff-enroll")).content.decode()
    assert "otpauth://" not in again and 'class="qr-code"' not in again  # shown once
    wrong = client.post(reverse("admin:staff-enroll"), {"otp_token": "000000"})
    assert wrong.status_code == 200
    otp = pyotp.TOTP(base64.b32encode(device.bin_key()).decode()).at(fake_clock.t)
    assert client.post(reverse("admin:staff-enroll"), {"otp_token": otp})["Location"] == reverse("admin:index")
    assert client.get(reverse("admin:index")).status_code == 200
    assert StaffDevice.objects.get(pk=device.pk).confirmed
    # Enrolled: the password alone no longer opens anything, and there is nothing left to enroll.
    client.post(reverse("admin:logout"))
    assert str(LOGIN_FAILED) in post(client, "newbie", STAFF_PASSWORD).content.decode()
    assert AuditEntry.objects.filter(action="staff.enroll", outcome="ok", actor="staff:newbie").exists()


def test_customer_accounts_cannot_enroll(client, contract):
    client.force_login(Contract.objects.get(pk=contract.pk).user)
    assert client.get(reverse("admin:staff-enroll"))["Location"] == reverse("admin:index")


def test_an_empty_field_is_named_beside_it(client, clerk):
    """A field left empty is said at the field (once it was only marked aria-invalid, with nothing to read)."""
    response = post(client, "", STAFF_PASSWORD)
    page = response.content.decode()
    assert response.status_code == 200
    assert '<ul class="errorlist" id="id_username_error">' in page
    assert 'aria-describedby="id_username_error"' in page


def test_a_double_submitted_code_is_not_counted_as_a_wrong_one(client, clerk, fake_clock):
    """A double click sends the right code twice: the second is refused (each code opens once) but is no wrong
    guess — five double clicks must not lock a clerk out."""
    otp = code(fake_clock)
    assert post(client, "clerk", STAFF_PASSWORD, otp).status_code == 302
    client.post(reverse("admin:logout"))
    again = post(client, "clerk", STAFF_PASSWORD, otp)
    assert again.status_code == 200 and str(LOGIN_FAILED) in again.content.decode()
    assert User.objects.get(pk=clerk.pk).staff_failures == 0
    assert AuditEntry.objects.filter(action="admin.login", reason="reused_otp").count() == 1
    assert not AuditEntry.objects.filter(action="admin.login", reason="wrong_otp").exists()


def test_a_right_code_that_comes_after_a_lock_is_refused_and_the_lock_stays(client, clerk, fake_clock, monkeypatch):
    """Guesses race: while this right code was being checked, other requests' wrong ones locked the clerk. It
    must not get in, nor lift the lock (as for customers)."""
    original = StaffDevice.check_code

    def locked_meanwhile(self, token):
        User.objects.filter(pk=clerk.pk).update(staff_locked_until=fake_clock.now() + STAFF_LOCK)
        return original(self, token)

    monkeypatch.setattr(StaffDevice, "check_code", locked_meanwhile)
    response = post(client, "clerk", STAFF_PASSWORD, code(fake_clock))
    assert response.status_code == 200 and str(LOGIN_FAILED) in response.content.decode()
    assert User.objects.get(pk=clerk.pk).staff_locked_until is not None
    assert AuditEntry.objects.filter(action="admin.login", reason="locked").count() == 1
    assert not AuditEntry.objects.filter(action="admin.login", outcome="ok").exists()


def test_the_login_pressed_again_from_the_session_it_logged_in_goes_to_the_admin(client, clerk, fake_clock):
    """A double click whose second press is sent with the session the first logged in: the admin's index, not
    「ログインできませんでした」 for a login that succeeded; the code is not evaluated again."""
    otp = code(fake_clock)
    assert post(client, "clerk", STAFF_PASSWORD, otp).status_code == 302
    again = post(client, "clerk", STAFF_PASSWORD, otp)
    assert again.status_code == 302 and again["Location"] == reverse("admin:index")
    assert client.get(reverse("admin:index")).status_code == 200
    assert not AuditEntry.objects.filter(action="admin.login", outcome="failed").exists()
    other = post(client, "somebody", "x", otp)  # another name from this session: a login of its own, refused
    assert other.status_code == 200 and str(LOGIN_FAILED) in other.content.decode()


def test_a_sender_past_the_failed_logins_count_is_refused_unread(client, clerk, fake_clock, settings):
    """Usernames tried from one address pause that address's logins to the admin too (accounts.senders):
    the clerk's right password and code from there get the one answer, unread; from another address they
    log in."""
    from django.test import Client

    settings.IBANK_LOGIN_FAILURES_PER_ADDRESS = 3
    for name in ("admin", "root", "madoguchi"):
        client.post(LOGIN, {"username": name, "password": STAFF_PASSWORD, "otp_token": ""}, REMOTE_ADDR="203.0.113.5")
    form = {"username": "clerk", "password": STAFF_PASSWORD, "otp_token": code(fake_clock), "next": "/admin/"}
    response = Client().post(LOGIN, form, REMOTE_ADDR="203.0.113.5")
    assert response.status_code == 200 and str(LOGIN_FAILED) in response.content.decode()
    assert AuditEntry.objects.filter(action="admin.login", reason="address_paused").count() == 1
    assert User.objects.get(pk=clerk.pk).staff_failures == 0  # nothing counted toward the clerk's lock
    assert Client().post(LOGIN, form, REMOTE_ADDR="203.0.113.6").status_code == 302


def test_right_logins_and_a_code_sent_twice_are_no_failures_of_the_sender(clerk, fake_clock, settings):
    """Each try counts toward its sender before it is evaluated (accounts.senders) and is given back when it
    proves right: a branch's clerks logging in from one address, and their double clicks, never pause it."""
    from django.test import Client

    settings.IBANK_LOGIN_FAILURES_PER_ADDRESS = 2
    for _ in range(3):
        form = {"username": "clerk", "password": STAFF_PASSWORD, "otp_token": code(fake_clock), "next": "/admin/"}
        assert Client().post(LOGIN, form, REMOTE_ADDR="203.0.113.5").status_code == 302
        assert Client().post(LOGIN, form, REMOTE_ADDR="203.0.113.5").status_code == 200  # the code, used
        fake_clock.advance(30)
    assert AuditEntry.objects.filter(action="admin.login", reason="reused_otp").count() == 3
    assert not AuditEntry.objects.filter(reason="address_paused").exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_burst_of_guesses_evaluates_no_more_than_the_limit():
    """12 concurrent wrong passwords, and the right password with its code, one failure before the lock: one
    more wrong password is counted, the lock is set once, and the others are answered as locked without being
    counted (as for customers); the right one is let in only before the lock (and then resets the count)."""
    import time

    from django.test import Client

    from staff.services import STAFF_MAX_FAILURES
    from tests.concurrency import run_concurrently

    user = User.objects.create_user("clerk", password=STAFF_PASSWORD, is_staff=True, is_superuser=True)
    device = StaffDevice(user=user, name="clerk", confirmed=True)
    device.set_key(KEY)
    device.save()
    User.objects.filter(pk=user.pk).update(staff_failures=STAFF_MAX_FAILURES - 1)
    right = pyotp.TOTP(base64.b32encode(KEY).decode()).at(time.time())

    def attempt(i):
        form = ("clerk", STAFF_PASSWORD, right) if i == 12 else ("clerk", f"wrong-pass-{i}", "")
        return post(Client(), *form).status_code

    results = run_concurrently(attempt, 13)
    assert set(results) <= {200, 302}, results
    reasons = list(AuditEntry.objects.filter(action="admin.login").values_list("reason", flat=True))
    assert len(reasons) == 13
    let_in = reasons.count("")
    assert let_in == results.count(302) <= 1
    # The one guess left before the lock; or, when the right one came first and reset the count, five.
    wrong = reasons.count("wrong_password")
    assert wrong == (STAFF_MAX_FAILURES if let_in else 1), reasons
    assert reasons.count("locked") == 13 - wrong - let_in  # answered as locked, not counted
    assert AuditEntry.objects.filter(action="admin.lock").count() == 1
    assert User.objects.get(pk=user.pk).staff_locked_until is not None
