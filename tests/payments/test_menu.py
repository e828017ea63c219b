from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.helpers import set_lock
from tests.payments.helpers import login


def test_menu_reads_the_binding_once_and_writes_nothing(client, make_contract, make_token, fake_clock):
    customer = make_contract()
    make_token(customer, login_otp=False)
    login(client, customer)
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(reverse("accounts-menu")).content.decode()
    sqls = [q["sql"] for q in ctx.captured_queries]
    assert "お取引の認証方法：ワンタイムパスワード" in page
    assert sum("ibank_otp_tokenbinding" in sql for sql in sqls) == 1
    assert all(sql.lstrip().upper().startswith("SELECT") for sql in sqls), sqls


def test_the_menu_tells_a_locked_token_and_locked_transactions(client, make_contract, make_token):
    from django.conf import settings

    from accounts.models import Contract
    from otp.models import TokenBinding

    customer = make_contract()
    binding, _key = make_token(customer, login_otp=False)
    login(client, customer)
    TokenBinding.objects.filter(pk=binding.pk).update(failures=5)
    set_lock(binding.contract, "otp")
    page = client.get(reverse("accounts-menu")).content.decode()
    assert "お取引の認証方法：ワンタイムパスワード" not in page
    assert "停止中（誤りが規定回数に達しました）" in page
    assert "ワンタイムパスワードによる認証を停止しています" in page and settings.BANK_HELPDESK_PHONE in page

    no_token = make_contract()
    Contract.objects.filter(pk=no_token.pk).update(transaction_failures=5)
    set_lock(no_token, "transaction")
    login(client, no_token)
    page = client.get(reverse("accounts-menu")).content.decode()
    assert "お取引の認証方法" not in page
    assert "お取引（振込・収納サービス等）を停止しています" in page and settings.BANK_HELPDESK_PHONE in page
    # at the top, among the restrictions, ahead of the links it concerns
    restrictions = page.index("お取引の制限")
    assert restrictions < page.index("お取引（振込・収納サービス等）を停止しています") < page.index(">振込</a>")


def test_english_pages_show_english_dates(client, make_contract):
    from django.conf import settings
    from django.test import Client
    from django.utils import timezone

    from accounts.models import LoginRecord

    customer = make_contract()
    login(Client(), customer)  # a login before this one, from another browser
    login(client, customer)
    previous = LoginRecord.objects.filter(contract=customer).order_by("pk").first()
    local = timezone.localtime(previous.at)
    japanese = client.get(reverse("accounts-menu")).content.decode()
    assert f"{local.year}年{local.month}月{local.day}日" in japanese
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(reverse("accounts-menu")).content.decode()
    assert f"{local.day} {local:%b} {local.year}, {local:%H:%M}" in english
    assert "年" not in english.split("<main", 1)[1].split("</main>", 1)[0]
    assert "</time> (PC)</li>" in english and "（PC）" not in english  # no full-width brackets in English
    assert "</time>（パソコン）</li>" in japanese


def test_a_locked_method_is_told_before_a_transfer_is_typed(client, make_contract, make_token):
    """With the method locked, 振込 and Pay-easy say so at once (and whom to call) instead of taking a whole
    振込 only to refuse it at 認証; the phone's IB the same."""
    from django.conf import settings

    from tests.mobile.test_mobile import mobile_login

    no_token = make_contract()
    set_lock(no_token, "transaction")
    login(client, no_token)
    for url in (reverse("transfers-new"), reverse("payeasy-new"), reverse("mobile-transfer")):
        if url.startswith("/m/"):
            mobile_login(client, no_token)
        response = client.get(url)
        page = response.content.decode()
        assert response.status_code == 200, url
        assert "お取引（振込・収納サービス等）を停止しています" in page and settings.BANK_HELPDESK_PHONE in page, url
        assert 'name="amount"' not in page and 'name="biller_number"' not in page, url
    menu = client.get(reverse("mobile-menu")).content.decode()  # the phone's menu says it instead of the links
    assert "お取引（振込・収納サービス等）を停止しています" in menu and reverse("mobile-transfer") not in menu
    token_holder = make_contract()
    make_token(token_holder, login_otp=False)
    set_lock(token_holder, "otp")
    login(client, token_holder)
    response = client.get(reverse("transfers-new"))
    assert response.status_code == 200 and "ワンタイムパスワードによる認証を停止しています" in response.content.decode()
