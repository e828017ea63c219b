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
