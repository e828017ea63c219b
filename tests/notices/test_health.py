"""/healthz/notices/ for the monitoring: 200 while the workers take the notices in time, 503 with how many are
late and how long the oldest has waited once one is due past IBANK_NOTICE_LATE_SECONDS (no worker running)."""

from datetime import timedelta

import pytest

from notices.models import Notice

URL = "/healthz/notices/"


def _notice(at, status=Notice.Status.PENDING, **fields):
    return Notice.objects.create(
        event="ib_suspended", to="taro@example.jp", subject="s", body="b", status=status, next_attempt_at=at, **fields
    )


def test_no_notice_waiting_is_ok(client, db, django_assert_num_queries):
    with django_assert_num_queries(2):
        response = client.get(URL)
    assert (response.status_code, response.content) == (200, b"ok\n")
    assert "no-cache" in response["Cache-Control"] and "sessionid" not in response.cookies
    assert client.post(URL).status_code == 405


def test_notices_due_past_the_limit_and_not_taken_make_it_say_so(client, db, fake_clock):
    now = fake_clock.now()
    _notice(now - timedelta(minutes=5))  # due, within the limit (10 minutes)
    _notice(now + timedelta(minutes=30))  # waiting for its retry
    _notice(now - timedelta(hours=1), status=Notice.Status.FAILED)  # 送信失敗: the branch's list says so
    _notice(now - timedelta(hours=1), status=Notice.Status.SENT)
    _notice(now - timedelta(minutes=1), status=Notice.Status.SENDING, lease_until=now + timedelta(minutes=1))
    assert client.get(URL).status_code == 200
    _notice(now - timedelta(minutes=11))  # no worker took it
    _notice(now - timedelta(minutes=30), status=Notice.Status.SENDING, lease_until=now - timedelta(minutes=28))
    response = client.get(URL)
    assert response.status_code == 503
    assert response.content == b"late: 2 notices, the oldest due 1800 s ago\n"


@pytest.mark.parametrize("late_seconds, expected", [(3600, 200), (60, 503)])
def test_the_limit_is_a_setting(client, db, fake_clock, settings, late_seconds, expected):
    settings.IBANK_NOTICE_LATE_SECONDS = late_seconds
    _notice(fake_clock.now() - timedelta(minutes=5))
    assert client.get(URL).status_code == expected
