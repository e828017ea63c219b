"""The README's walk-throughs on the demo data `make run` seeds, as a reader follows them: the logins, secrets,
card and token codes it prints, the payees and bills it names (issue 15: they behave as before)."""

import base64
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import Account, Contract, Lock
from otp import totp
from payments.models import Payment, Transfer
from tests.helpers import card_answer_as_sent, known_environment

PASSWORD = "demo1234"
TARO, HANAKO, ICHIRO = "1000000001", "1000000002", "1000000003"


@pytest.fixture
def printed(db):
    """What `make run` prints before it serves: the demo logins, the card, the token, the bills."""
    out = StringIO()
    call_command("load_zengin", only="0001", stdout=StringIO())  # make run loads every bank; みずほ is named
    call_command("demo_data", stdout=out)
    return out.getvalue()


def _login(client, contract_id, *, known=False, url="accounts-login"):
    if known:
        known_environment(client, Contract.objects.get(contract_id=contract_id))
    return client.post(reverse(url), {"contract_id": contract_id, "password": PASSWORD})


def _account(contract_id, number=None) -> Account:
    """The contract's first account (the 支払口座 the form offers first), or the one numbered ``number``."""
    accounts = Account.objects.customer().filter(contract__contract_id=contract_id).order_by("pk")
    return accounts.get(number=number) if number else accounts.first()


def _enter(client, contract_id, **payee):
    """振込's 入力 as the README types it: returns (response, transfer or None)."""
    data = {"from_account": _account(contract_id).pk, "payee_kind": "1", "amount": "1000", **payee}
    response = client.post(reverse("transfers-new"), data)
    if response.status_code != 302:
        return response, None
    return response, Transfer.objects.get(reference=response["Location"].split("/")[2])


def _confirm_and_authorize(client, transfer, answer):
    confirmed = client.post(reverse("transfers-confirm", args=[transfer.reference]))
    assert confirmed["Location"] == reverse("transfers-authorize", args=[transfer.reference])
    return client.post(reverse("transfers-authorize", args=[transfer.reference]), answer)


TO_HANAKO = {"bank_code": "1999", "branch_code": "012", "payee_number": "2345678", "payee_name": "さとう　はなこ"}


def test_a_transfer_to_hanako_on_a_first_login_from_this_browser(client, printed):
    """The README's "Try a transfer" 1 and "Against real-time phishing" 1: the first login from a browser is a new
    environment, the menu shows the hold, a payee paid before still goes through, and a new one at another
    bank is refused saying until when."""
    assert f"契約者ID {TARO}  ログインパスワード {PASSWORD}" in printed and "資金移動用パスワード 2468" in printed
    assert _login(client, TARO)["Location"] == reverse("accounts-menu")
    assert "お取引の制限" in client.get(reverse("accounts-menu")).content.decode()
    before = _account(HANAKO, "2345678").balance

    response, transfer = _enter(client, TARO, **TO_HANAKO)
    assert transfer is not None, response.context["form"].errors
    assert "ｻﾄｳ ﾊﾅｺ" in client.get(response["Location"]).content.decode()  # converted as the README says
    response = _confirm_and_authorize(client, transfer, {"transfer_password": "2468"})
    result = client.get(response["Location"]).content.decode()
    assert "お振込が完了しました。" in result and transfer.reference in result
    assert "この振込先を登録する" not in result  # 佐藤 花子 is a registered payee of his already (for /m/)
    assert _account(HANAKO, "2345678").balance == before + 1000

    response, refused = _enter(
        client, TARO, bank_code="0001", branch_code="001", payee_number="7654321", payee_name="ﾔﾏﾀﾞ ｼﾞﾛｳ"
    )
    page = response.content.decode()
    assert refused is None and "はじめてのお振込先へのお振込" in page and "まで）" in page


def test_the_second_login_from_the_same_browser_is_not_held_again(client, printed):
    """The README's "Against real-time phishing" 2: log out and in again from the same browser: it is known now."""
    _login(client, TARO)
    contract = Contract.objects.get(contract_id=TARO)
    holds = Lock.objects.filter(contract=contract).count()
    assert holds >= 1
    client.post(reverse("accounts-logout"))
    assert _login(client, TARO)["Location"] == reverse("accounts-menu")
    assert Lock.objects.filter(contract=contract).count() == holds


def test_hanakos_card_as_printed_authorizes_her_transfer(client, printed):
    """The demo logins: 1000000002 authorizes with the お客様カード whose grid `make run` prints."""
    rows = re.findall(r"^\s+([1-4])((?:\s+\d){5})$", printed, re.MULTILINE)
    grid = {
        f"{column}{row}": digit for row, digits in rows for column, digit in zip("ABCDE", digits.split(), strict=True)
    }
    assert len(grid) == 20
    _login(client, HANAKO, known=True)
    # 佐藤 花子 pays 山田 太郎's account at the same bank, a payee she has never paid: her browser is known and
    # nothing holds her contract, so it goes through.
    taro = _account(TARO)
    payee = {"bank_code": "1999", "branch_code": taro.branch_code, "payee_number": taro.number}
    response, transfer = _enter(client, HANAKO, **payee, payee_name=taro.holder_kana)
    assert transfer is not None, response.context["form"].errors
    client.post(reverse("transfers-confirm", args=[transfer.reference]))
    page = client.get(reverse("transfers-authorize", args=[transfer.reference])).content.decode()
    response = client.post(reverse("transfers-authorize", args=[transfer.reference]), card_answer_as_sent(page, grid))
    assert response["Location"] == reverse("transfers-result", args=[transfer.reference])
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.DONE


def test_ichiros_token_as_printed_is_asked_at_login_and_authorizes(client, printed, fake_clock):
    """The demo logins: 1000000003's token, added to an authenticator from the printed otpauth:// URI, is
    asked at login and authorizes the transfer ("Try a transfer" 4)."""
    secret = re.search(r"otpauth://totp/ibank:SMBL\d{8}\?secret=([A-Z2-7]+)", printed).group(1)
    key = base64.b32decode(secret)
    assert _login(client, ICHIRO, known=True)["Location"] == reverse("accounts-login-otp")
    response = client.post(reverse("accounts-login-otp"), {"otp": totp.totp(key, fake_clock.epoch())})
    assert response["Location"] == reverse("accounts-menu")
    response, transfer = _enter(client, ICHIRO, **TO_HANAKO)
    assert transfer is not None, response.context["form"].errors
    fake_clock.advance(30)  # the next code: each is used once
    response = _confirm_and_authorize(client, transfer, {"otp": totp.totp(key, fake_clock.epoch())})
    assert response["Location"] == reverse("transfers-result", args=[transfer.reference])


@pytest.mark.parametrize(
    ("biller", "numbers", "what", "amount"),
    [
        ("58001", {"customer_number": "12345678901234", "confirmation_number": "1234"}, "電気料金（11月分）", 8_640),
        (
            "78901",
            {"customer_number": "1234567890123456", "confirmation_number": "123456", "payment_category": "101"},
            "固定資産税（第3期）",
            45_600,
        ),
    ],
)
def test_the_bills_the_readme_names_are_paid(client, printed, biller, numbers, what, amount):
    """The README's "Try a transfer" 10, from a browser the contract knows (a new one would hold Pay-easy)."""
    assert numbers["customer_number"] in printed and f"{amount:,}円 [未払い]" in printed
    _login(client, TARO, known=True)
    before = _account(TARO).balance
    assert client.post(reverse("payeasy-new"), {"biller_number": biller}).status_code == 302
    response = client.post(reverse("payeasy-numbers"), {"from_account": _account(TARO).pk, **numbers})
    assert response.status_code == 302, response.context["form"].errors
    reference = response["Location"].split("/")[2]
    page = client.get(response["Location"]).content.decode()
    assert what in page and f"{amount:,}円" in page
    client.post(reverse("payeasy-confirm", args=[reference]))
    response = client.post(reverse("payeasy-authorize", args=[reference]), {"transfer_password": "2468"})
    result = client.get(response["Location"]).content.decode()
    assert "お支払いが完了しました。" in result and reference in result
    assert Payment.objects.get(reference=reference).status == Payment.Status.DONE
    assert _account(TARO).balance == before - amount


def test_feature_phones_as_the_readme_tells(client, printed):
    """The README's "Try a transfer" 11: /m/ logs 1000000003 in with ID and password only and sends it to a PC for
    transactions; 1000000001 pays its registered 佐藤 花子 there with its 資金移動用パスワード."""
    assert _login(client, ICHIRO, url="mobile-login")["Location"] == reverse("mobile-menu")
    refused = client.get(reverse("mobile-transfer"))
    assert refused.status_code == 403 and "パソコンまたはスマートフォンからご利用ください" in refused.content.decode()
    client.post(reverse("mobile-logout"))

    assert _login(client, TARO, url="mobile-login")["Location"] == reverse("mobile-menu")
    payees = client.get(reverse("mobile-transfer")).content.decode()
    assert "ｻﾄｳ ﾊﾅｺ" in payees
    payee = Contract.objects.get(contract_id=TARO).payees.get()
    response = client.post(
        reverse("mobile-transfer-input", args=[payee.pk]), {"from_account": _account(TARO).pk, "amount": "1000"}
    )
    assert response.status_code == 302, response.context["form"].errors
    reference = response["Location"].split("/")[3]
    client.post(response["Location"])
    response = client.post(reverse("mobile-transfer-authorize", args=[reference]), {"transfer_password": "2468"})
    assert "お振込が完了しました。" in client.get(response["Location"]).content.decode()


def test_madoguchi_lifts_the_hold_as_the_readme_says_and_the_browser_is_known_from_then_on(client, printed, fake_clock):
    """The README's token story: "lift the hold as `madoguchi` in the admin (the contract → 手続きを行う →
    「新しい環境からのログイン後の制限を解除する」, with a reason); your browser is known from then on", with
    madoguchi's password and the code of the demo device whose otpauth:// URI `make run` prints."""
    from django.test import Client

    _login(client, TARO)
    contract = Contract.objects.get(contract_id=TARO)
    assert Lock.objects.filter(contract=contract, kind=Lock.Kind.ENVIRONMENT_HOLD, lifted_at=None).exists()

    staff = Client()
    secret = re.search(r"otpauth://totp/ibank:madoguchi\?secret=([A-Z2-7]+)", printed).group(1)
    code = totp.totp(base64.b32decode(secret), fake_clock.epoch())
    assert "madoguchi / madoguchi-demo-1234" in printed
    form = {"username": "madoguchi", "password": "madoguchi-demo-1234", "otp_token": code, "next": "/admin/"}
    assert staff.post(reverse("admin:login"), form)["Location"] == "/admin/"
    operate = reverse("admin:branch-operate", args=[contract.pk])
    assert "新しい環境からのログイン後の制限を解除する" in staff.get(operate).content.decode()
    assert staff.post(operate, {"operation": "unlock_env_hold", "reason": "本人確認済"}).status_code == 302
    assert not Lock.objects.filter(contract=contract, kind=Lock.Kind.ENVIRONMENT_HOLD, lifted_at=None).exists()

    # The customer's browser: a new payee at another bank goes on to 確認 now, and its next login holds nothing.
    response, transfer = _enter(
        client, TARO, bank_code="0001", branch_code="001", payee_number="7654321", payee_name="ﾔﾏﾀﾞ ｼﾞﾛｳ"
    )
    assert transfer is not None, response.context["form"].errors
    client.post(reverse("accounts-logout"))
    _login(client, TARO)
    assert not Lock.objects.filter(contract=contract, kind=Lock.Kind.ENVIRONMENT_HOLD, lifted_at=None).exists()
