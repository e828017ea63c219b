import pytest
from django.test import Client
from django.urls import reverse

from ibank.middleware import BAD_CHARSET_MESSAGE

POST_URLS = ["accounts-login", "otp-register", "otp-stop", "otp-issue-create", "transfers-new", "accounts-logout"]


@pytest.mark.parametrize("charset", ["utf-16", "bogus", "shift_jis", "latin-1", '"iso-8859-1"'])
@pytest.mark.parametrize("name", POST_URLS)
def test_a_non_utf8_form_gets_400_with_a_message_not_500(db, name, charset):
    client = Client(enforce_csrf_checks=True)
    client.get(reverse("accounts-login"))
    token = client.cookies["csrftoken"].value
    response = client.generic(  # raw bytes: the test client would encode a str itself
        "POST",
        reverse(name),
        f"contract_id=1234567890&password=abcdef12&csrfmiddlewaretoken={token}".encode(),
        content_type=f"application/x-www-form-urlencoded; charset={charset}",
    )
    assert response.status_code == 400
    assert str(BAD_CHARSET_MESSAGE) in response.content.decode()


def test_utf8_forms_still_work(db):
    client = Client(enforce_csrf_checks=True)
    client.get(reverse("accounts-login"))
    token = client.cookies["csrftoken"].value
    response = client.post(
        reverse("accounts-login"),
        f"contract_id=1234567890&password=abcdef12&csrfmiddlewaretoken={token}",
        content_type="application/x-www-form-urlencoded; charset=UTF-8",
    )
    assert response.status_code == 200 and "正しくありません" in response.content.decode()


def test_error_pages_speak_to_the_customer(client, db):
    from django.test import Client

    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "ページが見つかりません" in response.content.decode() and "ログイン画面に戻る" in response.content.decode()
    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/login/", {"contract_id": "1234567890", "password": "Passw0rd"})
    assert response.status_code == 403
    assert "画面の有効期限が切れました" in response.content.decode()


def test_the_server_error_page_renders_without_a_request(db):
    from django.template.loader import render_to_string

    html = render_to_string("500.html")
    assert "ただいまご利用いただけません" in html and 'lang="ja"' in html
