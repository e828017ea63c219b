from django.test import override_settings
from django.urls import reverse

from accounts.middleware import EXPIRED_MESSAGE, TIMEOUT_MESSAGE
from tests.helpers import login

MENU = reverse("accounts-menu")


def test_idle_for_599_seconds_keeps_the_session(client, contract, fake_clock):
    login(client, contract)
    fake_clock.advance(599)
    assert client.get(MENU).status_code == 200


def test_idle_for_600_seconds_ends_the_session(client, contract, fake_clock):
    login(client, contract)
    fake_clock.advance(600)
    response = client.get(MENU, follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("accounts-login"))
    assert str(TIMEOUT_MESSAGE) in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_activity_moves_the_idle_deadline(client, contract, fake_clock):
    login(client, contract)
    for _ in range(5):
        fake_clock.advance(500)
        assert client.get(MENU).status_code == 200


def test_absolute_limit_ends_an_active_session(client, contract, fake_clock):
    login(client, contract)
    absolute = 12 * 3600
    elapsed = 0
    while elapsed + 599 < absolute:  # active every 599 s: the idle rule never fires
        fake_clock.advance(599)
        elapsed += 599
        assert client.get(MENU).status_code == 200
    fake_clock.advance(absolute - elapsed - 1)
    assert client.get(MENU).status_code == 200  # one second before 12 h
    fake_clock.advance(1)
    response = client.get(MENU, follow=True)
    assert str(EXPIRED_MESSAGE) in response.content.decode()
    assert "_auth_user_id" not in client.session


@override_settings(IBANK_SESSION_IDLE_SECONDS=120)
def test_idle_timeout_is_configurable(client, contract, fake_clock):
    login(client, contract)
    fake_clock.advance(120)
    assert client.get(MENU).status_code == 302


def _writes(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return [
        q["sql"]
        for q in ctx.captured_queries
        if not q["sql"].lstrip().upper().startswith(("SELECT", "SAVEPOINT", "RELEASE"))
    ]


def test_reading_a_page_writes_nothing_within_a_minute_of_the_stamp(client, contract, fake_clock):
    login(client, contract)
    fake_clock.advance(59)
    assert _writes(client, MENU) == []
    fake_clock.advance(1)
    assert any("django_session" in sql for sql in _writes(client, MENU))  # the stamp moves, once a minute at most


def test_idle_ends_between_nine_and_ten_minutes_after_the_last_request(client, contract, fake_clock):
    login(client, contract)
    fake_clock.advance(59)
    assert client.get(MENU).status_code == 200  # not stamped: the stamp is 59 s older than this request
    fake_clock.advance(540)  # 599 s since the stamp, 540 s since the last request
    assert client.get(MENU).status_code == 200
    fake_clock.advance(600)
    assert client.get(MENU).status_code == 302
