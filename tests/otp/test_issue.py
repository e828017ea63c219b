import datetime
import html
import re

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse

from auditlog.models import AuditEntry
from otp import tokenid, totp, views
from otp.models import SoftwareToken, TokenType
from tests.otp.qr_decode import decode_svg

ISSUE = reverse("otp-issue")
CREATE = reverse("otp-issue-create")
MOBILE = reverse("otp-issue-mobile")


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()


def test_login_page_links_to_issuance(client, db):
    html_ = client.get(reverse("accounts-login")).content.decode()
    assert f'<a href="{ISSUE}">ソフトウェアトークンの入手はこちら</a>' in html_


def test_issue_page_offers_both_types(client, db):
    html_ = client.get(ISSUE).content.decode()
    assert "<h1>トークン発行</h1>" in html_
    assert 'name="kind" value="mobile"' in html_ and 'name="kind" value="desktop"' in html_


def test_issuing_needs_a_post(client, db):
    assert client.get(CREATE).status_code == 405
    assert not SoftwareToken.objects.exists()


def test_mobile_token_page_shows_id_qr_and_uri_and_the_qr_encodes_exactly_the_uri(client, db):
    response = client.post(CREATE, {"kind": "mobile"})
    assert response["Location"] == MOBILE
    response = client.get(MOBILE)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    token = SoftwareToken.objects.get()
    assert token.status == SoftwareToken.Status.ISSUED
    assert tokenid.parse(token.token_id).startswith("SMBL")
    page = response.content.decode()
    assert token.token_id in page
    uri = html.unescape(re.search(r'<code id="otpauth-uri">([^<]+)</code>', page).group(1))
    assert uri == totp.provisioning_uri(token.key(), account=token.token_id, issuer="ibank")
    assert uri.startswith(f"otpauth://totp/ibank:{token.token_id}?secret=")
    assert "&issuer=ibank&algorithm=SHA1&digits=6&period=30" in uri
    svg = re.search(r"<svg.*?</svg>", page, re.S).group(0)
    assert decode_svg(svg) == uri
    assert "style=" not in svg
    entry = AuditEntry.objects.get(action="token.issue")
    assert entry.detail["token_id"] == token.token_id and totp.b32(token.key()) not in str(entry.detail)


def test_desktop_provisioning_page_carries_the_key_once(client, db):
    response = client.post(CREATE, {"kind": "desktop"})
    token = SoftwareToken.objects.get()
    assert token.token_id.startswith("SDSK")
    page = response.content.decode()
    assert f'data-token-id="{token.token_id}"' in page
    assert f'data-secret="{totp.b32(token.key())}"' in page
    assert "no-store" in response["Cache-Control"]
    # the token page itself never carries a key
    assert "data-secret" not in client.get(reverse("otp-desktop")).content.decode()


def test_unknown_kind_is_refused_with_a_message(client, db):
    response = client.post(CREATE, {"kind": "hardware"}, follow=True)
    assert str(views.UNKNOWN_KIND) in response.content.decode()
    assert not SoftwareToken.objects.exists()


@override_settings(IBANK_TOKEN_ISSUE_LIMIT=3)
def test_issuance_is_rate_limited_per_client_address(client, db):
    for _ in range(3):
        assert client.post(CREATE, {"kind": "mobile"}).status_code == 302
    response = client.post(CREATE, {"kind": "mobile"})
    assert response.status_code == 429
    assert str(views.ISSUE_LIMITED) in response.content.decode()
    assert SoftwareToken.objects.count() == 3
    # another address is not affected
    assert client.post(CREATE, {"kind": "mobile"}, REMOTE_ADDR="192.0.2.7").status_code == 302


@override_settings(IBANK_TOKEN_ISSUE_LIMIT=3)
def test_an_ipv6_sender_is_limited_as_its_64(client, db):
    """A single host may take any address of its /64: they are one sender."""
    for n in range(3):
        assert client.post(CREATE, {"kind": "mobile"}, REMOTE_ADDR=f"2001:db8:5:6::{n + 1}").status_code == 302
    assert client.post(CREATE, {"kind": "mobile"}, REMOTE_ADDR="2001:db8:5:6::99").status_code == 429
    assert client.post(CREATE, {"kind": "mobile"}, REMOTE_ADDR="2001:db8:5:7::1").status_code == 302


def test_closed_type_offers_no_button_and_refuses_issuing(client, db):
    TokenType.objects.policy("desktop")
    TokenType.objects.filter(kind="desktop").update(issuing_open=False, usable_until=datetime.date(2099, 3, 31))
    page = client.get(ISSUE).content.decode()
    assert 'value="desktop"' not in page
    assert "デスクトップ型トークンの新規発行は終了しました。発行済みのトークンは" in page
    response = client.post(CREATE, {"kind": "desktop"}, follow=True)
    assert "デスクトップ型トークンの新規発行は終了しました。" in response.content.decode()
    assert not SoftwareToken.objects.exists()


def test_issue_until_date_closes_issuing(client, db, fake_clock):
    TokenType.objects.policy("mobile")
    TokenType.objects.filter(kind="mobile").update(issue_until=datetime.date(2020, 1, 1))
    client.post(CREATE, {"kind": "mobile"})
    assert not SoftwareToken.objects.exists()


def test_unregistered_tokens_expire(client, db, fake_clock):
    client.post(CREATE, {"kind": "mobile"})
    token = SoftwareToken.objects.get()
    assert token.is_registrable()
    fake_clock.advance(30 * 86400 - 60)
    assert token.is_registrable()
    fake_clock.advance(120)
    assert not token.is_registrable()


def test_purge_deletes_only_expired_unregistered_tokens(db, fake_clock, contract, make_token):
    from io import StringIO

    from django.core.management import call_command

    from otp.services import token_issue

    token_issue(kind="mobile")  # never registered: expires
    bound, _ = make_token(contract)
    fake_clock.advance(31 * 86400)
    fresh, _ = token_issue(kind="mobile")
    out = StringIO()
    call_command("purge_expired_tokens", stdout=out)
    assert "1 expired" in out.getvalue()
    assert set(SoftwareToken.objects.values_list("pk", flat=True)) == {bound.software_token_id, fresh.pk}
    assert AuditEntry.objects.get(action="token.purge").detail == {"count": 1}


def _shown(response):
    page = response.content.decode()
    token_id = re.search(r'id="token-id">([^<]+)<', page)
    secret = re.search(r'<code id="secret">([^<]+)</code>', page)
    return token_id and token_id.group(1), secret and secret.group(1)


def test_a_reload_of_the_mobile_token_page_shows_the_same_token_as_the_page_says(client, db, fake_clock):
    client.post(CREATE, {"kind": "mobile"})
    first = client.get(MOBILE)
    assert "再読み込みしても同じトークンが表示されます" in first.content.decode()
    fake_clock.advance(10 * 60)  # the window's last second
    again = client.get(MOBILE)
    assert _shown(again) == _shown(first) and _shown(first)[1]
    assert SoftwareToken.objects.count() == 1
    # After the window (ten minutes): the ID only, never the key again, and what to do.
    fake_clock.advance(1)
    late = client.get(MOBILE).content.decode()
    token = SoftwareToken.objects.get()
    assert token.token_id in late and totp.b32(token.key()) not in late and 'id="secret"' not in late
    assert "表示期限を過ぎた" in late


def test_issuing_again_voids_the_token_shown_before_and_says_so(client, db):
    client.post(CREATE, {"kind": "mobile"})
    first = SoftwareToken.objects.get()
    client.post(CREATE, {"kind": "mobile"})
    page = client.get(MOBILE).content.decode()
    first.refresh_from_db()
    assert first.status == SoftwareToken.Status.RETIRED and not first.is_registrable()
    assert f"先に発行したトークン（トークンID {first.token_id}）は無効になりました" in page
    second = SoftwareToken.objects.exclude(pk=first.pk).get()
    assert _shown(client.get(MOBILE))[0] == second.token_id


def test_the_desktop_status_needs_the_tokens_key(client, contract, make_token):
    import hashlib
    import hmac

    from otp.views import STATUS_DOMAIN

    status_url = reverse("otp-desktop-status")

    def proof(token_id, key):
        return hmac.new(key, (STATUS_DOMAIN + token_id).encode(), hashlib.sha1).hexdigest()

    def state(token_id, key):
        return client.get(status_url, {"token_id": token_id, "proof": proof(token_id, key)}).json()["state"]

    binding, key = make_token(contract, kind="desktop")
    token_id = binding.software_token.token_id
    assert state(token_id, key) == "registered"
    assert state(token_id, b"x" * 20) == "unknown"  # the ID alone tells nothing
    assert state("SDSK99999999", key) == "unknown"
    assert state("SDSK\x009999999", key) == "unknown"  # no token ID's form (on PostgreSQL it was a server error)
    binding.delete()
    SoftwareToken.objects.filter(token_id=token_id).update(status=SoftwareToken.Status.RETIRED)
    assert state(token_id, key) == "void"


def test_the_desktop_type_warns_on_a_smartphone(client, db):
    iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"
    warning = "デスクトップ型はパソコン用のため、スマートフォンではモバイル型をご利用ください"
    assert warning in client.get(ISSUE, HTTP_USER_AGENT=iphone).content.decode()
    assert warning in client.get(reverse("otp-desktop"), HTTP_USER_AGENT=iphone).content.decode()
    assert (
        warning not in client.get(ISSUE, HTTP_USER_AGENT="Mozilla/5.0 (Windows NT 10.0; Win64; x64)").content.decode()
    )
    assert "「① モバイル型」はスマートフォン用です" in client.get(ISSUE).content.decode()


def test_a_token_type_is_usable_through_its_last_day_and_not_after(db, fake_clock):
    """「利用期限」 is a day: the token works all of it (Japan's day), and not the next."""
    from django.utils import timezone

    from ibank import clock

    kind = TokenType.objects.get(kind="mobile")
    kind.usable_until = timezone.localdate(clock.now())
    assert kind.is_usable()
    kind.usable_until -= datetime.timedelta(days=1)
    assert not kind.is_usable()


def test_an_issued_token_is_registrable_up_to_its_deadline_and_not_after(db, fake_clock):
    from ibank import clock
    from otp.services import token_issue

    token, _key = token_issue(kind="mobile")
    token.expires_at = clock.now()
    assert token.is_registrable()
    fake_clock.advance(1)
    assert not token.is_registrable()
