"""A staff member's device is enrolled only with a 登録コード that somebody else issued (staff.enrollment):
the password alone, learnt by whoever, binds no authenticator."""

import base64
from datetime import timedelta
from io import StringIO

import pyotp
import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from accounts.models import StaffDevice, StaffEnrollmentCode, User
from auditlog.models import AuditEntry
from staff import enrollment, views
from staff.login import LOGIN_FAILED
from staff.services import STAFF_MAX_FAILURES
from tests.concurrency import run_concurrently

LOGIN = reverse("admin:login")
ENROLL = reverse("admin:staff-enroll")
PASSWORD = "newbie-pass-123"
KEY = bytes(range(20))


@pytest.fixture
def newbie(db):
    return User.objects.create_user("newbie", password=PASSWORD, is_staff=True)


@pytest.fixture
def chief(db):
    """A superuser with an enrolled device (who issues codes at the admin)."""
    user = User.objects.create_user("chief", password="chief-pass-123", is_staff=True, is_superuser=True)
    device = StaffDevice(user=user, name="chief", confirmed=True)
    device.set_key(KEY)
    device.save()
    return user


def log_in(client, username=None, password=PASSWORD, otp=""):
    form = {"username": username or "newbie", "password": password, "otp_token": otp, "next": "/admin/"}
    return client.post(LOGIN, form)


def chief_client(fake_clock) -> Client:
    client = Client()
    otp = pyotp.TOTP(base64.b32encode(KEY).decode()).at(fake_clock.t)
    assert log_in(client, "chief", "chief-pass-123", otp).status_code == 302
    return client


def issue(user) -> str:
    return enrollment.issue_code(actor=None, user=user, by=None, as_name="system:test")[0]


def failures(user) -> int:
    return User.objects.get(pk=user.pk).staff_failures


def test_the_password_alone_shows_no_qr_code_and_makes_no_device(client, newbie, fake_clock):
    assert log_in(client).status_code == 302
    for page in (client.get(ENROLL), client.get(ENROLL)):
        html = page.content.decode()
        assert page.status_code == 200 and 'name="enrollment_code"' in html
        assert "otpauth://" not in html and 'class="qr-code"' not in html
    assert not StaffDevice.objects.filter(user=newbie).exists()
    # Nor does the confirmation step answer without a device: the code step is asked again.
    response = client.post(ENROLL, {"otp_token": "123456"})
    assert 'name="enrollment_code"' in response.content.decode()
    assert client.get(reverse("admin:index"))["Location"].startswith(LOGIN)


def test_a_wrong_code_is_named_and_counted_and_five_lock_the_staff_member_out(client, newbie, fake_clock):
    right = issue(newbie)
    log_in(client)
    response = client.post(ENROLL, {"enrollment_code": "1234 5678 9012"})
    assert response.status_code == 200 and str(views.CODE_WRONG) in response.content.decode()
    assert "1234 5678 9012" not in response.content.decode()  # a secret is not shown back
    assert failures(newbie) == 1
    bad_format = client.post(ENROLL, {"enrollment_code": "12345"})
    assert str(views.CODE_FORMAT) in bad_format.content.decode() and failures(newbie) == 1  # not a guess
    for _ in range(STAFF_MAX_FAILURES - 1):
        response = client.post(ENROLL, {"enrollment_code": "000000000000"})
    # The fifth wrong code locks the staff member and ends the session.
    assert response["Location"] == LOGIN
    assert AuditEntry.objects.filter(action="admin.lock", actor="staff:newbie").count() == 1
    assert client.get(ENROLL, follow=True).redirect_chain[-1][0].startswith(LOGIN)
    assert str(LOGIN_FAILED) in log_in(client).content.decode()  # locked: the login's one answer
    reasons = AuditEntry.objects.filter(action="staff.enroll", actor="staff:newbie").values_list("reason", flat=True)
    assert sorted(reasons) == ["wrong_code"] * STAFF_MAX_FAILURES
    assert not StaffDevice.objects.filter(user=newbie).exists()
    # After the lock's 15 minutes the right code still works.
    fake_clock.advance(15 * 60 + 1)
    log_in(client)
    assert client.post(ENROLL, {"enrollment_code": right})["Location"] == ENROLL
    outcomes = AuditEntry.objects.filter(action="staff.enroll").order_by("id").values_list("outcome", flat=True)
    assert list(outcomes) == ["failed"] * STAFF_MAX_FAILURES + ["ok"]


def test_a_code_is_used_once_and_its_double_submission_is_no_wrong_guess(client, newbie, fake_clock):
    code = issue(newbie)
    log_in(client)
    assert client.post(ENROLL, {"enrollment_code": code})["Location"] == ENROLL
    assert client.post(ENROLL, {"enrollment_code": code})["Location"] == ENROLL  # a double click
    assert failures(newbie) == 0
    reasons = list(AuditEntry.objects.filter(action="staff.enroll").order_by("id").values_list("reason", flat=True))
    assert reasons == ["", "reused_code"]
    html = client.get(ENROLL).content.decode()
    assert "otpauth://totp/" in html  # the QR code of the first submission, shown once
    assert StaffDevice.objects.filter(user=newbie, confirmed=False).count() == 1
    # Restarting drops the device; the used code cannot start it again.
    client.post(ENROLL, {"restart": "1"})
    assert not StaffDevice.objects.filter(user=newbie).exists()
    assert AuditEntry.objects.filter(action="staff.enroll").latest("id").reason == "restarted"
    response = client.post(ENROLL, {"enrollment_code": code})
    assert response["Location"] == ENROLL and not StaffDevice.objects.filter(user=newbie).exists()
    assert 'name="enrollment_code"' in client.get(ENROLL).content.decode()


def test_an_expired_or_replaced_code_is_refused_without_counting(client, newbie, fake_clock):
    first = issue(newbie)
    second = issue(newbie)  # 再発行: the first one ends
    log_in(client)
    response = client.post(ENROLL, {"enrollment_code": first})
    assert str(views.CODE_ENDED) in response.content.decode()
    fake_clock.advance(timedelta(hours=24).total_seconds())
    log_in(client)  # 24 hours later, to the second: a new session
    response = client.post(ENROLL, {"enrollment_code": second})
    assert str(views.CODE_ENDED) in response.content.decode()
    assert failures(newbie) == 0 and not StaffDevice.objects.filter(user=newbie).exists()
    assert sorted(StaffEnrollmentCode.objects.values_list("end", flat=True)) == ["", "replaced"]


def test_no_code_for_a_customer_or_an_inactive_staff_member(newbie, contract):
    """A customer's login (not staff) and a staff member whose account is disabled get no 登録コード."""
    User.objects.filter(pk=contract.user_id).update(is_staff=True)  # even one marked staff by mistake
    inactive = User.objects.create_user("gone", password=PASSWORD, is_staff=True, is_active=False)
    for user in (User.objects.get(pk=contract.user_id), inactive):
        with pytest.raises(enrollment.NotIssuable, match=str(enrollment.NOT_STAFF)):
            issue(user)
    assert not StaffEnrollmentCode.objects.exists() and not AuditEntry.objects.filter(action="staff.enrollment_code")
    issue(newbie)  # an active staff member's is issued


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_codes_issued_at_once_leave_one_open_and_no_error():
    """Eight issues for one staff member at once (a double click at the admin, the operator's command): each
    succeeds and replaces the one before; one code stays open, none fails on the one-open-code constraint."""
    newbie = User.objects.create_user("newbie", password=PASSWORD, is_staff=True)
    results = run_concurrently(lambda _i: issue(newbie), 8)
    assert all(isinstance(code, str) for code in results), results
    ends = sorted(StaffEnrollmentCode.objects.filter(user=newbie).values_list("end", flat=True))
    assert ends == [""] + ["replaced"] * 7


def test_a_second_code_entered_drops_the_device_the_first_began(newbie, fake_clock):
    """The first code's device was never confirmed (its QR code shown to a session that went away); a code
    issued again starts a new one, and the first device, whose key that session saw, is gone."""
    first = Client()
    log_in(first)
    first.post(ENROLL, {"enrollment_code": issue(newbie)})
    (begun,) = StaffDevice.objects.filter(user=newbie)
    second = Client()
    log_in(second)
    assert second.post(ENROLL, {"enrollment_code": issue(newbie)})["Location"] == ENROLL
    (device,) = StaffDevice.objects.filter(user=newbie)
    assert device.pk != begun.pk and not device.confirmed


def test_only_a_digest_of_the_code_is_kept(newbie):
    code = issue(newbie)
    row = StaffEnrollmentCode.objects.get(user=newbie)
    assert code not in row.digest and row.digest == StaffEnrollmentCode.digest_of(code)
    entry = AuditEntry.objects.get(action="staff.enrollment_code")
    assert code not in str(entry.detail) and entry.detail["staff"] == "newbie"


def test_nobody_issues_their_own_code(chief):
    with pytest.raises(enrollment.NotIssuable):
        enrollment.issue_code(actor=None, user=chief, by=chief)
    StaffDevice.objects.filter(user=chief).delete()
    now = chief.date_joined
    with pytest.raises(IntegrityError), transaction.atomic():  # the database refuses it too
        StaffEnrollmentCode.objects.create(user=chief, issued_by=chief, digest="x", issued_at=now, expires_at=now)


def test_a_superuser_issues_a_code_at_the_admin_and_sees_it_once(newbie, chief, fake_clock):
    client = chief_client(fake_clock)
    url = reverse("admin:staff-enrollment-code", args=[newbie.pk])
    assert url in client.get(reverse("admin:accounts_user_change", args=[newbie.pk])).content.decode()
    assert "enrollment-code" not in client.get(url).content.decode()  # a GET issues nothing
    assert not StaffEnrollmentCode.objects.exists()
    html = client.post(url).content.decode()
    code = html.split('<p class="enrollment-code"><strong>')[1].split("<")[0].replace(" ", "")
    row = StaffEnrollmentCode.objects.get(user=newbie)
    assert row.issued_by == chief and row.digest == StaffEnrollmentCode.digest_of(code)
    assert AuditEntry.objects.filter(action="staff.enrollment_code", actor="staff:chief").count() == 1
    # The code enrolls the new staff member's own device.
    newbie_client = Client()
    log_in(newbie_client)
    assert newbie_client.post(ENROLL, {"enrollment_code": code})["Location"] == ENROLL
    device = StaffDevice.objects.get(user=newbie)
    otp = pyotp.TOTP(base64.b32encode(device.bin_key()).decode()).at(fake_clock.t)
    assert newbie_client.post(ENROLL, {"otp_token": otp})["Location"] == reverse("admin:index")
    # The issued codes are listed for superusers, never with the code or its digest.
    for page in ("admin:accounts_staffenrollmentcode_changelist", "admin:accounts_staffenrollmentcode_change"):
        html = client.get(reverse(page, args=[row.pk] if page.endswith("change") else [])).content.decode()
        assert "newbie" in html and code not in html and row.digest not in html
    # Enrolled now: no code is issued while that device stands (a lost phone's device is deleted first).
    refused = client.post(url).content.decode()
    assert str(enrollment.HAS_DEVICE) in refused and StaffEnrollmentCode.objects.count() == 1
    # Nor for oneself.
    own = client.post(reverse("admin:staff-enrollment-code", args=[chief.pk])).content.decode()
    assert str(enrollment.OWN_CODE) in own


def test_a_staff_member_who_is_no_superuser_issues_no_code(newbie, fake_clock):
    clerk = User.objects.create_user("clerk", password="clerk-pass-123", is_staff=True)
    device = StaffDevice(user=clerk, name="clerk", confirmed=True)
    device.set_key(KEY)
    device.save()
    client = Client()
    otp = pyotp.TOTP(base64.b32encode(KEY).decode()).at(fake_clock.t)
    assert log_in(client, "clerk", "clerk-pass-123", otp).status_code == 302
    refused = client.post(reverse("admin:staff-enrollment-code", args=[newbie.pk]))
    assert refused.status_code == 403
    assert not StaffEnrollmentCode.objects.exists()
    # The refusal is a page of the bank's own, in Japanese, back to the admin (not Django's bare 403 Forbidden).
    page = refused.content.decode()
    assert "この操作を行う権限がありません" in page and f'href="{reverse("admin:index")}"' in page


def test_the_operator_issues_the_first_code_on_the_server(newbie, client, fake_clock):
    out = StringIO()
    call_command("staff_enrollment_code", "newbie", stdout=out)
    code = out.getvalue().split(": ")[1].split(" (")[0].replace(" ", "")
    assert len(code) == 12 and StaffEnrollmentCode.objects.get(user=newbie).issued_by is None
    assert AuditEntry.objects.filter(action="staff.enrollment_code", actor="system:staff_enrollment_code").exists()
    log_in(client)
    assert client.post(ENROLL, {"enrollment_code": code})["Location"] == ENROLL
    with pytest.raises(CommandError):
        call_command("staff_enrollment_code", "nobody", stdout=StringIO())


def test_a_code_works_until_its_24_hours_are_over(client, newbie, fake_clock):
    code = issue(newbie)
    fake_clock.advance(timedelta(hours=24, seconds=-5).total_seconds())
    log_in(client)
    typed = "-".join([code[:4], code[4:8], code[8:]]).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert client.post(ENROLL, {"enrollment_code": typed})["Location"] == ENROLL  # as an IME types it


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_burst_of_codes_evaluates_no_more_guesses_than_the_limit():
    """12 concurrent wrong codes, and the right one, from sessions with the phished password, one failure
    before the lock: exactly one more wrong code is evaluated, the lock is set once, and the right code in the
    burst is refused once the lock is set (or let in only before it)."""
    newbie = User.objects.create_user("newbie", password=PASSWORD, is_staff=True)
    right = issue(newbie)
    clients = [Client() for _ in range(13)]
    for each in clients:
        assert log_in(each).status_code == 302
    User.objects.filter(pk=newbie.pk).update(staff_failures=STAFF_MAX_FAILURES - 1)

    def attempt(i):
        return clients[i].post(ENROLL, {"enrollment_code": right if i == 12 else f"{i:012d}"}).status_code

    results = run_concurrently(attempt, 13)
    assert set(results) <= {200, 302}, results
    reasons = list(AuditEntry.objects.filter(action="staff.enroll").values_list("reason", flat=True))
    assert len(reasons) == 13
    assert reasons.count("wrong_code") == 1  # the one guess left before the lock
    assert AuditEntry.objects.filter(action="admin.lock").count() == 1
    assert User.objects.get(pk=newbie.pk).staff_locked_until is not None
    used = StaffEnrollmentCode.objects.get(user=newbie).end == StaffEnrollmentCode.End.USED
    assert reasons.count("") == int(used) and reasons.count("locked") == 12 - int(used)


def test_the_device_steps_are_the_session_s_that_entered_the_code(newbie, fake_clock):
    """Another session with the same password (whoever learnt it) can neither see the QR code, nor restart
    the owner's enrolment, nor try codes against the new device: it is asked for a 登録コード of its own."""
    owner, other = Client(), Client()
    code = issue(newbie)
    log_in(owner)
    log_in(other)
    assert owner.post(ENROLL, {"enrollment_code": code})["Location"] == ENROLL
    device = StaffDevice.objects.get(user=newbie, confirmed=False)
    for response in (other.get(ENROLL), other.post(ENROLL, {"restart": "1"})):
        html = response.content.decode()
        assert 'name="enrollment_code"' in html and "otpauth://" not in html and 'name="otp_token"' not in html
    assert StaffDevice.objects.filter(pk=device.pk).exists()  # not restarted by the other session
    right = pyotp.TOTP(base64.b32encode(device.bin_key()).decode()).at(fake_clock.t)
    response = other.post(ENROLL, {"otp_token": right})
    assert 'name="enrollment_code"' in response.content.decode()
    assert not StaffDevice.objects.get(pk=device.pk).confirmed  # not evaluated for the other session
    assert "otpauth://totp/" in owner.get(ENROLL).content.decode()
    assert owner.post(ENROLL, {"otp_token": right})["Location"] == reverse("admin:index")


def test_wrong_codes_of_the_new_device_count_toward_the_staff_lock(client, newbie, fake_clock):
    log_in(client)
    client.post(ENROLL, {"enrollment_code": issue(newbie)})
    for n in range(1, STAFF_MAX_FAILURES + 1):
        response = client.post(ENROLL, {"otp_token": "000000"})
        if n < STAFF_MAX_FAILURES:
            assert str(views.ENROLL_WRONG) in response.content.decode() and failures(newbie) == n
    assert response["Location"] == LOGIN
    assert AuditEntry.objects.filter(action="admin.lock", actor="staff:newbie").count() == 1
    assert not StaffDevice.objects.filter(user=newbie, confirmed=True).exists()
