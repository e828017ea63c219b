from django.urls import reverse

LOGIN = reverse("accounts-login")


def test_japanese_is_the_default(client, db):
    html = client.get(LOGIN).content.decode()
    assert '<html lang="ja">' in html
    assert "契約者ID（利用者番号）" in html


def test_english_catalogue_translates_the_login_page(client, db):
    html = client.get(LOGIN, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en">' in html
    assert "Contract ID (user number)" in html
    assert "Login password" in html
    assert ">Log in</button>" in html
    assert "契約者ID" not in html


def test_english_error_message_and_menu(client, contract):
    response = client.post(LOGIN, {"contract_id": "5555555555", "password": "Wrong123"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "The contract ID (user number) or login password is incorrect." in response.content.decode()
    client.post(LOGIN, {"contract_id": contract.contract_id, "password": "Passw0rd"}, HTTP_ACCEPT_LANGUAGE="en")
    html = client.get(reverse("accounts-menu"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Previous logins" in html and "¥100,000" in html
    # The paying account's balance is written as every other amount on the page (it was "100,000円").
    html = client.get(reverse("transfers-new"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"Ordinary {contract.account.number} ¥100,000</option>" in html and "円" not in html
    html = client.get(reverse("transfers-history", args=[contract.account.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert '<option value="today">Today</option>' in html.content.decode()


def test_language_switch_is_a_post_and_sticks(client, db):
    response = client.post(reverse("set_language"), {"language": "en", "next": LOGIN})
    assert response.status_code == 302
    assert "Log in" in client.get(LOGIN).content.decode()


def test_english_catalogue_is_complete_and_keeps_placeholders():
    import re
    from pathlib import Path

    po = (Path(__file__).resolve().parents[2] / "locale/en/LC_MESSAGES/django.po").read_text(encoding="utf-8")
    assert "#, fuzzy" not in po
    entries = re.findall(r'\nmsgid ((?:".*"\n)+)msgstr ((?:".*"\n?)+)', po)
    assert len(entries) > 200

    def text(block):
        import json

        return "".join(json.loads(line) for line in block.strip().split("\n"))

    for msgid, msgstr in ((text(a), text(b)) for a, b in entries):
        assert msgstr, f"untranslated: {msgid}"
        assert set(re.findall(r"%\(\w+\)s|\{\w+\}", msgid)) == set(re.findall(r"%\(\w+\)s|\{\w+\}", msgstr)), msgid


def test_token_flow_page_in_english(client, db):
    html = client.get(reverse("otp-register"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Register or exchange a one-time password token" in html
    assert "Guide to this page" in html and ">Next</button>" in html


def test_labels_take_the_languages_own_punctuation(client, contract):
    """「現在のメールアドレス：」 in Japanese, "Current e-mail address: " in English — not the full-width colon (or
    space, or brackets) around an English word, which the footer of every English page carried."""
    from tests.payments.helpers import login

    login(client, contract)
    ja = client.get(reverse("transfers-email")).content.decode()
    assert "現在のメールアドレス：" in ja and "インターネットバンキングヘルプデスク：" in ja
    for url in (reverse("transfers-email"), reverse("transfers-history", args=[contract.account.pk])):
        en = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "：" not in en and "　" not in en and "～" not in en, url
    assert "Internet banking help desk: " in en and f"{contract.account.number} Balance: " in en
    assert "Weekdays 9:00–17:00 (" in en and "平日 9:00～17:00（" in ja
    # Brackets around a translated word are English ones too.
    ja = client.get(reverse("accounts-environments")).content.decode()
    en = client.get(reverse("accounts-environments"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "</strong>（現在ご利用中の環境）" in ja and "</strong> (this browser)" in en
