"""Hostile request headers at the pages that read them: the browser's name (User-Agent: ログイン履歴, the
login's notice and record), the address behind our proxy (X-Forwarded-For: the audit log, the login's count
per sender), the language (Accept-Language and its cookie) and the cookies (the known environment's, the
session's, CSRF's). Whatever a client or a proxy sends, the answer is never a server error, and a right
password still logs in.

A header reaches Django as WSGI's native string: its bytes read as Latin-1 (PEP 3333), so the values drawn here
are Latin-1 text — without the control characters RFC 9110 (5.5) forbids in a field value, which gunicorn
refuses with a 400 before Django is called (NUL, CR, LF and the others; a tab is allowed).
"""

import os

import pytest
from django.conf import settings as django_settings
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from accounts import environments
from tests.conftest import PASSWORD

pytestmark = pytest.mark.usefixtures("client_errors_not_kept")  # tests/conftest.py

EXAMPLES = int(os.environ.get("IBANK_FUZZ_EXAMPLES", "12"))
PROXY = "127.0.0.1"  # one of IBANK_TRUSTED_PROXIES: X-Forwarded-For is read as our proxy's

#: What gunicorn passes on (gunicorn.http.message.RFC9110_5_5_INVALID_AND_DANGEROUS is what it refuses).
latin1 = st.text(
    alphabet=st.characters(max_codepoint=255, exclude_characters=[*map(chr, range(0x20)), "\x7f"]) | st.just("\t"),
    max_size=60,
)
hostile_header = st.one_of(
    st.just(""),
    st.just("\t"),
    st.just("x" * 8_000),
    st.just(",,, ,"),
    st.just("unknown"),
    st.just("999.999.999.999"),
    st.just("fe80::1%eth0"),  # an IPv6 address with a zone: Python reads it, PostgreSQL's inet does not
    st.just("::ffff:192.0.2.1"),
    st.just("[2001:db8::1]:443"),
    st.just("2001:db8::1, 192.0.2.7"),
    st.just("ja;q=abc, en;q=9, *;q=-1"),
    st.just("zh-Hant-TW-x-private-1234567890"),
    st.just("Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) DoCoMo/2.0 KDDI-"),
    st.just('"><svg onload=alert(1)>'),
    st.just("%s%(x)s{0}"),
    latin1,
)


HEADERS = ("HTTP_USER_AGENT", "HTTP_X_FORWARDED_FOR", "HTTP_ACCEPT_LANGUAGE")
COOKIES = (environments.COOKIE, django_settings.LANGUAGE_COOKIE_NAME, django_settings.CSRF_COOKIE_NAME)

#: Each test draws a hostile value for every header and every cookie.
hostile = given(
    headers=st.fixed_dictionaries(dict.fromkeys(HEADERS, hostile_header)),
    cookies=st.fixed_dictionaries(dict.fromkeys(COOKIES, hostile_header)),
)
examples = hsettings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))


def _environ(headers: dict, cookies: dict, session_key: str | None = None) -> dict:
    """The request's environ from our proxy (a trusted one): the headers, and the cookies in one header."""
    if session_key:
        cookies = {**cookies, django_settings.SESSION_COOKIE_NAME: session_key}
    return {"REMOTE_ADDR": PROXY, **headers, "HTTP_COOKIE": "; ".join(f"{k}={v}" for k, v in cookies.items())}


@examples
@hostile
def test_hostile_headers_never_answer_a_server_error(settings, contract, headers, cookies):
    settings.IBANK_BEHIND_PROXY = True  # as in production: X-Forwarded-For from a trusted proxy is read
    client = Client(raise_request_exception=True)
    for url in ("/login/", "/m/"):
        assert client.get(url, **_environ(headers, cookies)).status_code == 200
    for url in ("/login/", "/m/"):
        form = {"contract_id": contract.contract_id, "password": PASSWORD}
        answer = client.post(url, form, **_environ(headers, cookies))
        assert answer.status_code == 302, answer.status_code  # logged in, whatever the headers said
        session_key = answer.cookies[settings.SESSION_COOKIE_NAME].value
        for page in ("/menu/", "/menu/logins/") if url == "/login/" else ("/m/menu/",):
            assert client.get(page, **_environ(headers, cookies, session_key)).status_code == 200, page
        logout = "/logout/" if url == "/login/" else "/m/logout/"
        assert client.post(logout, **_environ(headers, cookies, session_key)).status_code == 302


@examples
@hostile
def test_hostile_headers_at_the_staff_login_never_answer_a_server_error(settings, db, headers, cookies):
    """The admin's login reads them too (its audit entry, the count per sender): a refused login is its form
    again."""
    settings.IBANK_BEHIND_PROXY = True
    client = Client(raise_request_exception=True)
    assert client.get("/admin/login/", **_environ(headers, cookies)).status_code == 200
    form = {"username": "clerk", "password": "not-the-password", "otp_token": "123456"}
    assert client.post("/admin/login/", form, **_environ(headers, cookies)).status_code == 200
