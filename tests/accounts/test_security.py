from django.conf import settings
from django.contrib.auth.hashers import get_hasher, identify_hasher
from django.test import Client
from django.urls import reverse

from accounts.models import User
from ibank.middleware import CONTENT_SECURITY_POLICY
from tests.conftest import PASSWORD

LOGIN = reverse("accounts-login")


def test_post_without_csrf_token_is_refused(contract):
    client = Client(enforce_csrf_checks=True)
    response = client.post(LOGIN, {"contract_id": contract.contract_id, "password": PASSWORD})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_post_with_csrf_token_is_accepted(contract):
    client = Client(enforce_csrf_checks=True)
    client.get(LOGIN)
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    response = client.post(
        LOGIN, {"contract_id": contract.contract_id, "password": PASSWORD, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302


def test_passwords_are_argon2id_with_owasp_parameters(contract):
    user = User.objects.get(pk=contract.user_id)
    assert identify_hasher(user.password).algorithm == "argon2"
    assert user.password.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    hasher = get_hasher()
    assert (hasher.memory_cost, hasher.time_cost, hasher.parallelism) == (19456, 2, 1)
    assert PASSWORD not in user.password


def test_transfer_password_is_hashed(contract):
    assert contract.transfer_password.startswith("argon2$argon2id$")
    assert contract.check_transfer_password("13579")
    assert not contract.check_transfer_password("97531")


def test_old_parameter_hash_is_upgraded_at_login(client, contract):
    from django.contrib.auth.hashers import Argon2PasswordHasher

    user = User.objects.get(pk=contract.user_id)
    user.password = Argon2PasswordHasher().encode(PASSWORD, Argon2PasswordHasher().salt())
    user.save()
    assert "m=102400" in user.password
    client.post(LOGIN, {"contract_id": contract.contract_id, "password": PASSWORD})
    user.refresh_from_db()
    assert "m=19456,t=2,p=1" in user.password


def test_security_headers(client, db):
    response = client.get(LOGIN)
    assert response["X-Frame-Options"] == "DENY"
    csp = response["Content-Security-Policy"]
    assert csp == CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"


def test_pages_have_no_inline_script_or_style(client, contract):
    for html in [client.get(LOGIN).content.decode()]:
        assert "<script>" not in html and "style=" not in html and "<style" not in html
    client.post(LOGIN, {"contract_id": contract.contract_id, "password": PASSWORD})
    html = client.get(reverse("accounts-menu")).content.decode()
    assert "<script>" not in html and "style=" not in html and "<style" not in html


def test_authenticated_pages_are_never_cached(client, contract):
    client.post(LOGIN, {"contract_id": contract.contract_id, "password": PASSWORD})
    response = client.get(reverse("accounts-menu"))
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_session_and_csrf_cookies_are_httponly(client, contract):
    client.get(LOGIN)
    assert client.cookies[settings.CSRF_COOKIE_NAME]["httponly"]
    client.post(LOGIN, {"contract_id": contract.contract_id, "password": PASSWORD})
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
