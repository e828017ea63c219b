"""/m/'s ログインパスワード変更 and 資金移動用パスワード変更: the browser's rules on the phone's plain pages; a token
holder, whose code cannot be typed on a feature phone, is sent to a PC or smartphone."""

from django.test import Client
from django.urls import reverse

from accounts.models import Contract
from tests.conftest import PASSWORD, TRANSFER_PASSWORD
from tests.helpers import post_login
from tests.mobile.test_mobile import MENU, mobile_login

PASSWORD_PAGE = reverse("mobile-password")
TRANSFER_PASSWORD_PAGE = reverse("mobile-transfer-password")


def test_the_transfer_password_is_changed_on_the_phone(client, contract):
    mobile_login(client, contract, PASSWORD)
    assert TRANSFER_PASSWORD_PAGE in client.get(MENU).content.decode()
    page = client.get(TRANSFER_PASSWORD_PAGE)
    assert len(page.content) < 5_000 and 'name="transfer_password"' in page.content.decode()
    bad = client.post(TRANSFER_PASSWORD_PAGE, {"new_transfer_password": "1111", "transfer_password": TRANSFER_PASSWORD})
    assert "同じ数字だけ、または連続した数字だけ" in bad.content.decode()
    new = {"new_transfer_password": "240817", "new_transfer_password_again": "240817"}
    response = client.post(TRANSFER_PASSWORD_PAGE, {**new, "transfer_password": TRANSFER_PASSWORD})
    assert response["Location"] == MENU
    assert Contract.objects.get(pk=contract.pk).check_transfer_password("240817")


def test_a_token_holder_is_sent_to_a_pc_or_smartphone(otp_customer):
    phone = Client()
    mobile_login(phone, otp_customer, PASSWORD)
    menu = phone.get(MENU).content.decode()  # offers neither change (the gate refuses both on this channel)
    assert PASSWORD_PAGE not in menu and TRANSFER_PASSWORD_PAGE not in menu
    page = phone.get(PASSWORD_PAGE).content.decode()
    assert "パソコンまたはスマートフォンからご利用ください" in page and 'name="new_password"' not in page
    data = {"current_password": PASSWORD, "new_password": "Sakura2027", "new_password_again": "Sakura2027"}
    assert phone.post(PASSWORD_PAGE, data).status_code == 200
    assert post_login(Client(), otp_customer, PASSWORD).status_code == 302  # unchanged: the old one logs in


def test_a_card_contract_is_offered_the_login_password_only(make_contract):
    card = make_contract(method=Contract.Method.CARD)
    phone = Client()
    mobile_login(phone, card, PASSWORD)
    menu = phone.get(MENU).content.decode()
    assert PASSWORD_PAGE in menu and TRANSFER_PASSWORD_PAGE not in menu
    page = phone.get(TRANSFER_PASSWORD_PAGE).content.decode()
    assert "資金移動用パスワードはございません" in page and 'name="new_transfer_password"' not in page
