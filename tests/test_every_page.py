"""Every customer page, as a customer meets it on a phone (issue 11): walked through the real flows in
Chromium at 375 px, each page checked at 320 and 375 px for sideways scrolling and by axe-core for
serious or critical accessibility violations; then the main pages again in English.

The server's clock and the browser's are one fake clock, moved 30 s between OTP steps.
"""

import datetime
import re

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from ibank import business_days, clock
from otp import totp
from otp.models import SoftwareToken
from tests.conftest import PASSWORD, TRANSFER_PASSWORD
from tests.helpers import authorize_with_otp, enter_transfer, fill_login, result_status, set_lock
from tests.pages import Walker
from tests.payments.conftest import zengin_master  # noqa: F401 (an autouse fixture: the banks)

pytestmark = pytest.mark.django_db(transaction=True)


#: The pages (URL names) each walk below checks, asserted at its end. With the pages walked elsewhere and
#: what is no page, every URL the resolver knows (test_every_url_is_walked_or_is_no_page): a page added
#: without a walk fails that test.
WALKS = {
    "journey": {
        "accounts-environments",
        "accounts-login",
        "accounts-login-history",
        "accounts-menu",
        "accounts-password",
        "accounts-suspend",
        "accounts-transfer-password",
        "otp-desktop",
        "otp-exchange-new",
        "otp-exchange-old",
        "otp-guide",
        "otp-issue",
        "otp-issue-mobile",
        "otp-register",
        "otp-register-token",
        "otp-result",
        "otp-stop",
        "otp-stop-otp",
        "passkeys",
        "payeasy-authorize",
        "payeasy-confirm",
        "payeasy-new",
        "payeasy-numbers",
        "payeasy-result",
        "transfers-authorize",
        "transfers-banks",
        "transfers-branches",
        "transfers-confirm",
        "transfers-email",
        "transfers-email-authorize",
        "transfers-history",
        "transfers-inquiry",
        "transfers-limit",
        "transfers-limit-authorize",
        "transfers-new",
        "transfers-payee-delete",
        "transfers-payees",
        "transfers-reservation-cancel",
        "transfers-result",
    },
    "english": {
        "accounts-login-otp",
        "accounts-menu",
        "accounts-password",
        "accounts-transfer-password",
        "otp-guide",
        "otp-issue",
        "payeasy-new",
        "transfers-history",
        "transfers-limit",
        "transfers-new",
    },
    "dead ends": {
        "accounts-login",
        "accounts-login-otp",
        "accounts-menu",
        "accounts-transfer-password",
        "mobile-login",
        "mobile-menu",
        "mobile-password",
        "mobile-transfer",
        "mobile-transfer-password",
        "payeasy-new",
        "transfers-new",
    },
    "phone and between steps": {
        "mobile-history",
        "mobile-transfer-input",
        "mobile-transfer-confirm",
        "mobile-transfer-authorize",
        "mobile-transfer-result",
        "mobile-payeasy-new",
        "mobile-payeasy-numbers",
        "mobile-payeasy-confirm",
        "mobile-payeasy-authorize",
        "mobile-payeasy-result",
        "transfers-edit",
        "passkeys-authorize",
    },
}
#: Walked by a test of its own (a passkey needs the browser's virtual authenticator).
WALKED_ELSEWHERE = {"passkeys-login": "tests/phishing/test_passkeys_browser.py"}
#: What shows no page of its own: a POST that redirects, a JSON answer, the root's redirect, the health checks.
NO_PAGE = {
    "accounts-environment-remove",
    "accounts-login-notices",
    "accounts-logout",
    "django.views.generic.base.RedirectView",
    "health",
    "health-notices",
    "mobile-logout",
    "mobile-payeasy-cancel",
    "otp-cancel",
    "otp-desktop-status",
    "otp-issue-create",
    "passkeys-begin",
    "passkeys-complete",
    "passkeys-remove",
    "payeasy-cancel",
    "set_language",
    "transfers-cancel",
    "transfers-limit-cancel",
    "transfers-save-payee",
}


def browser_time(page, t):
    page.clock.set_fixed_time(datetime.datetime.fromtimestamp(t, tz=datetime.UTC))


def test_every_customer_page_fits_a_phone_and_passes_axe(page, live_server, make_contract, fake_clock, billers):
    browser_time(page, fake_clock.t)
    page.set_viewport_size({"width": 375, "height": 800})
    base = live_server.url
    walk = Walker(page, base)
    customer = make_contract(balance=1_000_000)
    payee = make_contract(balance=0)

    # -- anonymous pages and the token's issue ------------------------------------------
    walk.visit("/login/", "login")
    walk.press("ソフトウェアキーボード", "login with the software keyboard open")
    walk.visit("/otp/guide/", "guide")
    walk.visit("/token/", "token issue index")
    walk.press("モバイル型トークンを発行する", "mobile token issued")
    mobile_id = page.locator("#token-id").inner_text()
    mobile_key = SoftwareToken.objects.get(token_id=mobile_id).key()
    page.goto(base + "/token/")
    page.get_by_role("button", name="デスクトップ型トークンを発行する").click()
    expect(page.locator(".desktop-token .token-code")).to_have_text(re.compile(r"^[0-9]{6}$"))
    walk.check("desktop token")
    desktop_id = page.locator(".desktop-token .token-id").inner_text()
    desktop_key = SoftwareToken.objects.get(token_id=desktop_id).key()
    walk.visit("/nowhere/", "404")

    # -- 利用登録 -------------------------------------------------------------------------
    walk.visit("/otp/register/", "register: 利用者認証")
    walk.press("次へ", "register: 利用者認証 with errors")
    fill_login(page, customer)
    walk.press("次へ", "register: token")
    page.get_by_label("トークンID").fill(mobile_id)
    page.get_by_label("ワンタイムパスワード").fill(totp.totp(mobile_key, fake_clock.t))
    page.get_by_label("認証しない").check()
    page.get_by_label("資金移動用パスワード").fill(TRANSFER_PASSWORD)
    page.get_by_role("button", name="登録").click()
    expect(page.get_by_text("ワンタイムパスワードの利用登録が完了しました。")).to_be_visible()
    walk.check("register: result")

    # -- login, menu, 振込 with the OTP, three days later (the registration's hold has ended) --
    fake_clock.advance(settings.IBANK_CREDENTIAL_CHANGE_HOLD + 30)
    page.goto(base + "/login/")
    walk.press("ログイン", "login with errors", exact=True)
    fill_login(page, customer)
    page.get_by_role("button", name="ログイン", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("メニュー")
    walk.check("menu")
    page.get_by_role("link", name="ログイン履歴").click()
    walk.check("login history")
    walk.visit("/menu/environments/", "known environments")
    walk.visit("/menu/passkeys/", "passkeys")
    page.goto(base + "/menu/")
    page.get_by_role("link", name="振込", exact=True).click()
    walk.check("transfer: 入力")
    walk.press("確認画面へ", "transfer: 入力 with errors")
    page.get_by_role("link", name="金融機関・支店を名前から検索する").click()
    walk.check("bank search")
    walk.visit(f"/transfer/banks/{settings.IBANK_BANK_CODE}/", "branch search")
    page.goto(base + "/transfer/")
    enter_transfer(page, bank=settings.IBANK_BANK_CODE, number=payee.account.number, amount="1000")
    walk.check("transfer: 確認")
    walk.press("確認", "transfer: 認証", exact=True)
    authorize_with_otp(page, mobile_key, fake_clock.t)
    expect(result_status(page)).to_have_text("お振込が完了しました。")
    walk.check("transfer: 結果")
    page.get_by_role("button", name="この振込先を登録する").click()
    walk.visit("/payees/", "payees")
    page.get_by_role("link", name="削除").first.click()
    walk.check("payee: delete")
    walk.visit(f"/accounts/{customer.account.pk}/history/", "入出金明細")

    # -- 振込予約, 予約照会, 取消 (issue 18) -----------------------------------------------------
    fake_clock.advance(30)
    day = business_days.next_business_day(timezone.localdate(clock.now()))
    page.goto(base + "/transfer/")
    enter_transfer(page, bank=settings.IBANK_BANK_CODE, number=payee.account.number, amount="2000", on=day)
    walk.check("reservation: 確認")
    page.get_by_role("button", name="確認", exact=True).click()
    authorize_with_otp(page, mobile_key, fake_clock.t)
    expect(result_status(page)).to_have_text("振込予約を受け付けました。振込指定日にお振込します。")
    walk.check("reservation: 結果")
    walk.visit("/transfer/inquiry/", "振込照会")
    page.get_by_role("link", name="予約照会").click()
    walk.check("予約照会")
    page.locator("table.inquiry a").first.click()
    page.get_by_role("link", name="この予約を取り消す").click()
    walk.check("reservation: 取消")
    page.get_by_role("button", name="取消", exact=True).click()
    expect(page.locator("p.result")).to_have_text("この振込予約は取り消されました。お振込は行われません。")
    walk.check("reservation: 取消済")

    # -- 収納サービス ------------------------------------------------------------------------
    fake_clock.advance(30)
    walk.visit("/payeasy/", "payeasy: 収納機関番号")
    page.get_by_label("収納機関番号").fill("78901")
    walk.press("次へ", "payeasy: numbers")
    page.get_by_label("納付番号").fill("1234567890123456")
    page.get_by_label("確認番号").fill("123456")
    page.get_by_label("納付区分").fill("101")
    walk.press("確認画面へ", "payeasy: 確認")
    walk.press("確認", "payeasy: 認証", exact=True)
    authorize_with_otp(page, mobile_key, fake_clock.t)
    expect(result_status(page)).to_have_text("お支払いが完了しました。")
    walk.check("payeasy: 結果")

    # -- 限度額, メールアドレス, ログインパスワード, IB取引中止 (not submitted) --------------------------------------
    walk.visit("/limit/", "limit")
    page.get_by_label("変更後の振込限度額（円）").fill("100000")
    walk.press("変更する", "limit lowered")
    page.get_by_label("変更後の振込限度額（円）").fill("150000")
    walk.press("変更する", "limit: 認証")
    walk.visit("/email/", "email")
    page.get_by_label("新しいメールアドレス").fill("new@example.jp")
    page.get_by_role("button", name=re.compile("次へ|確認")).first.click()
    walk.check("email: 認証")
    walk.visit("/menu/password/", "password change")
    page.get_by_label("現在のログインパスワード").fill("wrong-format!")
    walk.press("変更する", "password change with errors")
    walk.visit("/menu/transfer-password/", "transfer password change")
    page.get_by_label("新しい資金移動用パスワード", exact=True).fill("1234")
    walk.press("変更する", "transfer password change with errors")
    walk.visit("/menu/suspend/", "IB取引中止")
    page.goto(base + "/menu/")
    walk.press("ログアウト", "logged out")

    # -- 交換 (mobile → desktop), then 利用停止 ---------------------------------------------------
    fake_clock.advance(30)
    browser_time(page, fake_clock.t)
    page.goto(base + "/otp/register/")
    fill_login(page, customer)
    walk.press("次へ", "exchange: old token's code")
    page.get_by_label("ワンタイムパスワード").fill(totp.totp(mobile_key, fake_clock.t))
    walk.press("次へ", "exchange: new token")
    page.get_by_label("トークンID").fill(desktop_id)
    page.get_by_label("ワンタイムパスワード").fill(totp.totp(desktop_key, fake_clock.t))
    page.get_by_role("button", name="登録").click()
    expect(page.get_by_text("ワンタイムパスワードの交換が完了しました。")).to_be_visible()
    walk.check("exchange: result")
    fake_clock.advance(30)
    walk.visit("/otp/stop/", "stop: 利用者認証")
    fill_login(page, customer)
    walk.press("次へ", "stop: code")
    page.get_by_label("ワンタイムパスワード").fill(totp.totp(desktop_key, fake_clock.t))
    walk.press("停止", "stop: result")

    assert len(walk.checked) >= 42, walk.checked
    assert WALKS["journey"] <= walk.views, WALKS["journey"] - walk.views
    assert not walk.problems, "\n".join(walk.problems)


def _token_customer(make_contract):
    """A customer with a mobile token registered (and login-time OTP): its key."""
    from otp.models import TokenBinding
    from otp.services import token_issue

    customer = make_contract(balance=50_000)
    token, key = token_issue(kind="mobile")
    SoftwareToken.objects.filter(pk=token.pk).update(status=SoftwareToken.Status.ACTIVE)
    TokenBinding.objects.bind(customer, token)
    return customer, key


def test_a_login_with_the_otp_and_the_pages_in_english(page, live_server, make_contract, fake_clock):
    browser_time(page, fake_clock.t)
    page.set_viewport_size({"width": 375, "height": 800})
    base = live_server.url
    walk = Walker(page, base)
    token_customer, key = _token_customer(make_contract)
    fake_clock.advance(30)
    page.goto(base + "/login/")
    fill_login(page, token_customer)
    walk.press("ログイン", "login: OTP", exact=True)
    walk.press("確認", "login: OTP with errors")
    page.get_by_label(re.compile("^ワンタイムパスワード")).fill(totp.totp(key, fake_clock.t))
    page.get_by_role("button", name="確認").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("メニュー")
    page.get_by_role("button", name="English").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Menu")
    walk.check("menu (English)")
    walk.visit(f"/accounts/{token_customer.account.pk}/history/", "入出金明細 (English)")
    walk.visit("/transfer/", "transfer (English)")
    walk.visit("/payeasy/", "payeasy (English)")
    walk.visit("/limit/", "limit (English)")
    walk.visit("/menu/password/", "password change (English)")
    walk.visit("/menu/transfer-password/", "transfer password change (English)")
    walk.visit("/otp/guide/", "guide (English)")
    walk.visit("/token/", "token issue index (English)")

    walk.visit("/token/mobile/", "mobile token page after its window (English)")

    assert len(walk.checked) >= 12, walk.checked
    assert WALKS["english"] <= walk.views, WALKS["english"] - walk.views
    assert not walk.problems, "\n".join(walk.problems)


def test_the_dead_ends_as_the_customer_meets_them(page, live_server, make_contract, fake_clock):
    """The locks: the login's, the OTP's, the transactions', Pay-easy's; on /m/ too; and a card contract's page
    of a change it cannot make."""
    browser_time(page, fake_clock.t)
    page.set_viewport_size({"width": 375, "height": 800})
    base = live_server.url
    walk = Walker(page, base)
    token_customer, _key = _token_customer(make_contract)
    from accounts.models import Contract
    from otp.models import TokenBinding

    locked = make_contract()
    page.goto(base + "/login/")
    for _ in range(5):
        page.get_by_label("契約者ID（利用者番号）").fill(locked.contract_id)
        page.get_by_label("ログインパスワード").fill("Wrong123")
        with page.expect_navigation():  # the next try is typed into the page this one brings back
            page.get_by_role("button", name="ログイン", exact=True).click()
    expect(page.locator(".form-errors")).to_contain_text("ログインを停止しています")
    walk.check("login locked")
    TokenBinding.objects.filter(contract=token_customer).update(failures=5)
    set_lock(token_customer, "otp")
    fill_login(page, token_customer)
    page.get_by_role("button", name="ログイン", exact=True).click()
    expect(page.locator(".form-errors")).to_contain_text("ワンタイムパスワードによる認証を停止しています")
    walk.check("login: OTP locked")
    blocked = make_contract()
    Contract.objects.filter(pk=blocked.pk).update(transaction_failures=5)
    set_lock(blocked, "transaction")
    set_lock(blocked, "payeasy", until=clock.now() + datetime.timedelta(hours=1))
    page.goto(base + "/login/")
    fill_login(page, blocked)
    walk.press("ログイン", "menu with transactions locked", exact=True)
    # The day's Pay-easy block is said at once, though the gate's first answer is the locked transactions.
    page.goto(base + "/payeasy/")
    expect(page.get_by_text("本日は収納サービスをご利用いただけません")).to_be_visible()
    walk.check("payeasy blocked")
    page.goto(base + "/transfer/")  # the locked method is told before a 振込 is typed
    expect(page.get_by_text("お取引（振込・収納サービス等）を停止しています")).to_be_visible()
    walk.check("transfer: transactions locked")
    walk.visit("/m/", "mobile: login")
    page.get_by_label("契約者ID（利用者番号）").fill(blocked.contract_id)
    page.get_by_label("ログインパスワード").fill(PASSWORD)
    walk.press("ログイン", "mobile: menu")
    walk.visit("/m/password/", "mobile: password change")
    walk.visit("/m/transfer-password/", "mobile: transfer password change, transactions locked")
    expect(page.get_by_text("お取引（振込・収納サービス等）を停止しています")).to_be_visible()
    walk.visit("/m/transfer/", "mobile: transfer, transactions locked")
    expect(page.get_by_text("お取引（振込・収納サービス等）を停止しています")).to_be_visible()

    # An お客様カード's contract reaching 資金移動用パスワード変更 by its address: told it has none
    card = make_contract(method=Contract.Method.CARD)
    page.goto(base + "/login/")
    fill_login(page, card)
    walk.press("ログイン", "menu of a card contract", exact=True)
    walk.visit("/menu/transfer-password/", "transfer password change of a card contract")
    expect(page.get_by_text("資金移動用パスワードはございません")).to_be_visible()

    assert len(walk.checked) >= 12, walk.checked
    assert WALKS["dead ends"] <= walk.views, WALKS["dead ends"] - walk.views
    assert not walk.problems, "\n".join(walk.problems)


def _confirm_and_authorize_on_the_phone(walk, page, what: str) -> None:
    walk.press("確認画面へ", f"mobile: {what} 確認")
    walk.press("確認", f"mobile: {what} 認証", exact=True)
    page.get_by_label("資金移動用パスワード").fill(TRANSFER_PASSWORD)
    walk.press("実行", f"mobile: {what} 結果")


def test_the_feature_phones_pages_and_the_pages_between_steps(page, live_server, make_contract, fake_clock, billers):
    """/m/'s 振込 and 収納サービス from the first step to the result, and 入出金明細; then, in the browser, a 振込
    corrected from its 確認 (訂正) and the passkey's 登録 page."""
    from accounts import environments
    from tests.helpers import environment_cookie, paid_before, payee_of

    browser_time(page, fake_clock.t)
    page.set_viewport_size({"width": 375, "height": 800})
    base = live_server.url
    walk = Walker(page, base)
    customer, receiver = make_contract(balance=100_000), make_contract(balance=0)
    payee_of(customer, receiver.account)
    paid_before(customer, receiver)
    # the customer's own phone, known before: no hold on what follows
    page.context.add_cookies([{"name": environments.COOKIE, "value": environment_cookie(customer), "url": base}])

    page.goto(base + "/m/")
    page.get_by_label("契約者ID（利用者番号）").fill(customer.contract_id)
    page.get_by_label("ログインパスワード").fill(PASSWORD)
    walk.press("ログイン", "mobile: menu")
    walk.visit(f"/m/history/{customer.account.pk}/", "mobile: 入出金明細")
    walk.visit("/m/transfer/", "mobile: 振込先")
    page.get_by_role("link", name=re.compile(receiver.account.holder_kana)).click()
    walk.check("mobile: 振込 入力")
    walk.press("確認画面へ", "mobile: 振込 入力 with errors")
    page.get_by_label("振込金額").fill("5000")
    _confirm_and_authorize_on_the_phone(walk, page, "振込")
    expect(page.get_by_text("お振込が完了しました。")).to_be_visible()

    walk.visit("/m/payeasy/", "mobile: 収納機関番号")
    page.get_by_label("収納機関番号").fill("58001")
    walk.press("次へ", "mobile: 収納サービス numbers")
    page.get_by_label("お客様番号").fill("12345678901234")
    page.get_by_label("確認番号").fill("1234")
    _confirm_and_authorize_on_the_phone(walk, page, "収納サービス")
    expect(page.get_by_text("お支払いが完了しました。")).to_be_visible()

    page.goto(base + "/login/")
    fill_login(page, customer)
    page.get_by_role("button", name="ログイン", exact=True).click()
    page.goto(base + "/transfer/")
    account = receiver.account
    enter_transfer(
        page,
        number=account.number,
        amount="3000",
        name=account.holder_kana,
        bank=settings.IBANK_BANK_CODE,
        branch=account.branch_code,
    )
    walk.check("transfer: 確認")
    page.get_by_role("link", name="戻る", exact=True).click()
    walk.check("transfer: 入力 corrected (訂正)")
    walk.visit("/menu/passkeys/authorize/", "passkey: 登録 authorized by the 資金移動用パスワード")

    assert WALKS["phone and between steps"] <= walk.views, WALKS["phone and between steps"] - walk.views
    assert not walk.problems, "\n".join(walk.problems)


@pytest.mark.django_db(transaction=False)
def test_every_url_is_walked_or_is_no_page():
    from tests.helpers import url_names

    walked = set().union(*WALKS.values(), WALKED_ELSEWHERE)
    assert url_names() - walked - NO_PAGE == set()
    assert walked & NO_PAGE == set()
