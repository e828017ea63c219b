import datetime
import html
import re

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse

from accounts.models import AuditEntry
from otp import tokenid, totp, views
from otp.models import SoftwareToken, TokenType
from tests.otp.qr_decode import decode_svg

ISSUE = reverse("otp-issue")
CREATE = reverse("otp-issue-create")


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
        assert client.post(CREATE, {"kind": "mobile"}).status_code == 200
    response = client.post(CREATE, {"kind": "mobile"})
    assert response.status_code == 429
    assert str(views.ISSUE_LIMITED) in response.content.decode()
    assert SoftwareToken.objects.count() == 3
    # another address is not affected
    assert client.post(CREATE, {"kind": "mobile"}, REMOTE_ADDR="192.0.2.7").status_code == 200


def test_closed_type_offers_no_button_and_refuses_issuing(client, db):
    TokenType.objects.policy("desktop")
    TokenType.objects.filter(kind="desktop").update(issuing_open=False, usable_until=datetime.date(2099, 3, 31))
    page = client.get(ISSUE).content.decode()
    assert 'value="desktop"' not in page
    assert "デスクトップ型トークンの新規発行は終了しました。" in page
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
