import pytest
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY

from accounts.models import Contract, StaffDevice
from auditlog.models import AuditEntry
from otp.models import TokenBinding
from payments import payeasy
from tests.helpers import is_locked, set_lock

STAFF_KEY = bytes(range(20))


@pytest.fixture
def staff(django_user_model):
    user = django_user_model.objects.create_user("clerk", password="clerk-pass-123", is_staff=True, is_superuser=True)
    user.device = StaffDevice(user=user, name="clerk", confirmed=True)
    user.device.set_key(STAFF_KEY)
    user.device.save()
    return user


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = staff.device.persistent_id
    session.save()
    return client


def test_admin_needs_the_staff_otp_too(client, staff):
    client.force_login(staff)  # password only, no OTP
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]


def test_admin_with_staff_otp_opens(staff_client):
    assert staff_client.get(reverse("admin:index")).status_code == 200


def test_secrets_are_never_shown_on_any_admin_page_of_a_contract(staff_client, make_contract, make_token):
    import base64

    from branch import services as branch_services
    from tests.conftest import CARD

    card_contract = make_contract(method=Contract.Method.CARD)
    binding, key = make_token(card_contract)
    from auditlog import audit

    audit.record(None, "ib.suspend", ok=True, contract=card_contract)
    staff = type(card_contract.user).objects.get(username="clerk")
    branch_services.token_reset_request(actor=None, staff=staff, contract=card_contract, reason="故障", reference="R-1")
    stored = Contract.objects.values_list("card_cells", "transfer_password", flat=False).get(pk=card_contract.pk)
    account = card_contract.accounts.get()
    urls = [
        reverse("admin:accounts_contract_changelist"),
        reverse("admin:accounts_contract_change", args=[card_contract.pk]),
        reverse("admin:branch-operate", args=[card_contract.pk]),
        reverse("admin:accounts_account_changelist"),
        reverse("admin:accounts_account_change", args=[account.pk]),
        reverse("admin:ibank_otp_softwaretoken_changelist"),
        reverse("admin:ibank_otp_softwaretoken_change", args=[binding.software_token_id]),
        reverse("admin:ibank_otp_tokenbinding_changelist"),
        reverse("admin:ibank_otp_tokenbinding_change", args=[binding.pk]),
        reverse("admin:auditlog_auditentry_changelist"),
        reverse("admin:branch_tokenresetrequest_changelist"),
        reverse("admin:accounts_staffdevice_changelist"),
        reverse("admin:accounts_user_changelist"),
    ]
    forbidden = [
        key.hex(),
        base64.b32encode(key).decode(),
        binding.software_token.secret,
        stored[0],
        CARD,
        card_contract.user.password,
        "argon2",
    ]
    for url in urls:
        response = staff_client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        for secret in forbidden:
            assert secret not in html, (url, secret[:12])


def test_audit_log_is_read_only_in_the_admin(staff_client, contract):
    entry = AuditEntry.objects.create(action="login", outcome="ok", actor="x")
    assert staff_client.get(reverse("admin:auditlog_auditentry_changelist")).status_code == 200
    response = staff_client.post(reverse("admin:auditlog_auditentry_delete", args=[entry.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_audit_log_is_append_only_in_code(db):
    from django.core.exceptions import PermissionDenied

    entry = AuditEntry.objects.create(action="login", outcome="ok", actor="x")
    with pytest.raises(PermissionDenied):
        entry.save()
    with pytest.raises(PermissionDenied):
        entry.delete()
    with pytest.raises(PermissionDenied):
        AuditEntry.objects.filter(pk=entry.pk).update(action="changed")
    with pytest.raises(PermissionDenied):
        AuditEntry.objects.all().delete()


def _operate(client, contract, operation, reason="本人確認済", reference=""):
    return client.post(
        reverse("admin:branch-operate", args=[contract.pk]),
        {"operation": operation, "reason": reason, "reference": reference},
    )


def test_unlocks_in_the_admin_take_a_reason_and_lift_only_their_kind(staff_client, token_contract):
    from ibank import clock

    now = clock.now()
    from django.utils import timezone

    Contract.objects.filter(pk=token_contract.pk).update(login_failures=5, payeasy_failures=10)
    for kind in ("login", "transaction", "ib_suspension"):
        set_lock(token_contract, kind, at=now)
    set_lock(token_contract, "payeasy", until=payeasy._block_until(timezone.localdate(now)))
    TokenBinding.objects.filter(pk=token_contract.binding.pk).update(failures=5)
    set_lock(token_contract, "otp")
    response = _operate(staff_client, token_contract, "unlock_login", reason="")
    assert response.status_code == 200 and "理由" in response.content.decode()  # no reason, nothing done
    assert is_locked(token_contract, "login")
    page = staff_client.get(reverse("admin:accounts_contract_change", args=[token_contract.pk])).content.decode()
    assert "収納サービス利用停止（本日）" in page
    for operation in ["unlock_login", "unlock_otp", "unlock_ib_suspension", "unlock_payeasy"]:
        assert _operate(staff_client, token_contract, operation).status_code == 302
    contract = Contract.objects.get(pk=token_contract.pk)
    assert not is_locked(contract, "login") and not is_locked(contract, "ib_suspension")
    assert not is_locked(contract, "payeasy") and contract.payeasy_failures == 0
    assert is_locked(contract, "transaction")  # not asked for: stays
    assert not is_locked(token_contract, "otp")
    entries = AuditEntry.objects.filter(
        contract=contract, action__in=["login.unlock", "otp.unlock", "ib_suspension.unlock", "payeasy.unlock"]
    )
    assert entries.count() == 4 and {e.actor for e in entries} == {"staff:clerk"}
    assert {e.detail["staff_reason"] for e in entries} == {"本人確認済"}


def test_the_contract_page_cannot_edit_state_directly(staff_client, contract):
    url = reverse("admin:accounts_contract_change", args=[contract.pk])
    page = staff_client.get(url).content.decode()
    assert 'name="email"' not in page and 'name="transaction_method"' not in page
    # The page's own form as sent (its inlines' management data included, so that the admin saves it), with
    # the contract's state added by hand.
    import re

    sent = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    assert any(name.endswith("-TOTAL_FORMS") for name in sent)
    assert 'name="_save"' not in page  # nothing here is saved, not even unchanged: operations change a contract
    sent.update(email="attacker@example.com", daily_transfer_limit="10000000")
    response = staff_client.post(url, sent)
    assert response.status_code == 403
    contract.refresh_from_db()
    assert contract.email != "attacker@example.com" and contract.daily_transfer_limit == 500_000


def test_customer_users_are_not_editable_in_the_admin(staff_client, contract):
    response = staff_client.get(reverse("admin:accounts_user_change", args=[contract.user.pk]))
    assert response.status_code in (302, 404)  # not found among the staff accounts
    assert contract.user.username not in staff_client.get(reverse("admin:accounts_user_changelist")).content.decode()


def test_the_contract_list_shows_token_status_and_locks_and_finds_by_token_id(staff_client, token_contract):

    set_lock(token_contract, "login")
    page = staff_client.get(
        reverse("admin:accounts_contract_changelist"), {"q": token_contract.binding.software_token.token_id}
    ).content.decode()
    assert token_contract.contract_id in page and "利用中" in page and "ログイン停止" in page


def test_audit_actions_are_a_closed_list_shown_in_japanese(staff_client, contract):
    from auditlog import audit

    with pytest.raises(ValueError, match="unknown audit action"):
        audit.record(None, "made.up", ok=True)
    audit.record(None, "ib.suspend", ok=True, contract=contract)
    page = staff_client.get(reverse("admin:auditlog_auditentry_changelist")).content.decode()
    assert "IB取引中止" in page and "ib.suspend</td>" not in page


def _visible_labels(html: str) -> list[str]:
    """Column headers, form labels and read-only field labels of an admin page."""
    import re

    texts = re.findall(r'<th scope="col"[^>]*>((?:(?!</th>).)*)</th>', html, re.S)
    texts += re.findall(r"<label[^>]*>(.*?)</label>", html, re.S)
    cleaned = [re.sub(r"<[^>]+>", "", t).strip().rstrip(":：") for t in texts]
    return [t for t in cleaned if t]


def test_every_admin_page_speaks_japanese_and_shows_jst(staff_client, make_contract, make_token, billers):
    import datetime

    from django.utils import timezone

    from auditlog import audit
    from ibank.admin import admin_site

    contract = make_contract()
    make_token(contract)
    entry = audit.record(None, "ib.suspend", ok=True, contract=contract)
    english, seen = [], 0
    for model in admin_site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        urls = [reverse("admin:{}_{}_changelist".format(*info)), reverse("admin:{}_{}_add".format(*info))]
        obj = model._default_manager.order_by("pk").first()
        if obj is not None:
            urls.append(reverse("admin:{}_{}_change".format(*info), args=[obj.pk]))
        for url in urls:
            response = staff_client.get(url)
            if response.status_code != 200:
                continue
            for label in _visible_labels(response.content.decode()):
                seen += 1
                if label.isascii() and label not in {"ID", "IP"}:
                    english.append((url, label))
    assert seen > 150 and not english, (seen, english)
    # Times in JST: the entry's title and the list both show the local (JST) time, not UTC.
    local, utc = timezone.localtime(entry.at), entry.at.astimezone(datetime.UTC)
    page = staff_client.get(reverse("admin:auditlog_auditentry_change", args=[entry.pk])).content.decode()
    assert f"{local:%Y-%m-%d %H:%M}" in page and f"{utc:%Y-%m-%d %H:%M}" not in page  # the title
    assert f"{local:%Y年%-m月%-d日 %H:%M}" in page  # the field
    changelist = staff_client.get(reverse("admin:auditlog_auditentry_changelist")).content.decode()
    assert f"{local:%Y年%-m月%-d日 %H:%M}" in changelist


def test_the_contract_page_shows_the_method_in_use_and_the_contracts_own(staff_client, token_contract):
    """A token holder's transactions are authorized by the OTP: the page says so, beside the contract's own."""
    page = staff_client.get(reverse("admin:accounts_contract_change", args=[token_contract.pk])).content.decode()
    assert "現在のお取引の認証方法" in page and "ワンタイムパスワード" in page
    assert "契約の取引認証方式（トークンのないとき）" in page and "資金移動用パスワード" in page
    assert "（未登録）" not in page


def test_the_contract_page_says_a_card_contract_has_no_transfer_password(staff_client, make_contract):
    card = make_contract(method="card")
    page = staff_client.get(reverse("admin:accounts_contract_change", args=[card.pk])).content.decode()
    assert "お客様カード（資金移動用パスワード：未登録）" in page  # switching to it needs one issued first


def test_amounts_in_the_admin_are_written_with_separators_and_yen(staff_client, make_contract, billers):
    """A clerk reads 10000000 and 1000000 alike: every amount the admin lists is written 1,000,000円."""
    contract = make_contract(balance=12_345_678)
    page = staff_client.get(reverse("admin:accounts_contract_change", args=[contract.pk])).content.decode()
    assert "1日あたりの振込限度額" in page and "500,000円" in page and "12,345,678円" in page
    assert "12345678" not in page and "500000" not in page
    accounts = staff_client.get(reverse("admin:accounts_account_changelist")).content.decode()
    assert "12,345,678円" in accounts and "12345678" not in accounts
    account = staff_client.get(reverse("admin:accounts_account_change", args=[contract.account.pk])).content.decode()
    assert "12,345,678円" in account and "12345678" not in account
    bills = staff_client.get(reverse("admin:transfers_bill_changelist")).content.decode()
    assert "45,600円" in bills and ">45600<" not in bills


def test_a_payments_and_a_paid_bills_pages_write_the_amount_in_yen(staff_client, contract, billers):
    """The detail pages too (they are read-only: the amount is history); an unpaid bill's stays an input."""
    from django.test import Client

    from payments.models import Bill
    from tests.payments.helpers import login
    from tests.payments.test_payeasy import PRIVATE_NUMBERS, pay

    customer = Client()
    login(customer, contract)
    _response, payment = pay(customer, contract, "58001", **PRIVATE_NUMBERS)
    assert payment.is_executed
    bill = Bill.objects.get(paid_reference=payment.reference)
    for url in (
        reverse("admin:transfers_payment_change", args=[payment.pk]),
        reverse("admin:transfers_bill_change", args=[bill.pk]),
    ):
        page = staff_client.get(url).content.decode()
        assert "8,640円" in page and ">8640<" not in page and 'name="amount"' not in page, url
    unpaid = Bill.objects.exclude(pk=bill.pk).get()
    page = staff_client.get(reverse("admin:transfers_bill_change", args=[unpaid.pk])).content.decode()
    assert 'name="amount" value="45600"' in page


def test_the_method_change_offers_the_two_methods_by_name(staff_client, make_contract):
    card = make_contract(method=Contract.Method.CARD)
    Contract.objects.filter(pk=card.pk).update(transaction_method=Contract.Method.TRANSFER_PASSWORD)
    url = reverse("admin:branch-operate", args=[card.pk])
    page = staff_client.get(url).content.decode()
    assert '<option value="password">資金移動用パスワード</option>' in page
    assert '<option value="card">お客様カード</option>' in page
    data = {"operation": "change_transaction_method", "reason": "届出", "reference": "C-9"}
    response = staff_client.post(url, data)  # nothing chosen: the field says so, nothing changes
    assert response.status_code == 200 and "変更後の取引認証方式を選択してください。" in response.content.decode()
    assert staff_client.post(url, {**data, "method": "card"}).status_code == 302
    assert Contract.objects.get(pk=card.pk).transaction_method == Contract.Method.CARD


def test_the_operation_page_offers_only_the_unlocks_of_locks_in_force(staff_client, token_contract):
    """A clerk picks from what can be done: the locks in force are listed, and only their unlocks offered; a
    page left open while a colleague lifted the lock is told there is nothing left to lift."""
    import re

    url = reverse("admin:branch-operate", args=[token_contract.pk])
    page = staff_client.get(url).content.decode()
    offered = set(re.findall(r'<option value="([a-z_]+)"', page))
    assert "停止中：なし" in page and not {o for o in offered if o.startswith("unlock_")}
    assert {"token_reset_request", "report_lost", "cancel", "change_email"} <= offered
    set_lock(token_contract, "login")
    set_lock(token_contract, "otp")
    page = staff_client.get(url).content.decode()
    offered = set(re.findall(r'<option value="([a-z_]+)"', page))
    shown = re.search(r"停止中：([^<]*)</p>", page).group(1)
    assert sorted(shown.split("、")) == sorted(["ログイン停止", "ワンタイムパスワード停止"])
    assert {o for o in offered if o.startswith("unlock_")} == {"unlock_login", "unlock_otp"}
    assert _operate(staff_client, token_contract, "unlock_login").status_code == 302
    stale = _operate(staff_client, token_contract, "unlock_login")  # from the page read before the lift
    assert stale.status_code == 200 and "解除する停止がありません。" in stale.content.decode()
    assert is_locked(token_contract, "otp")


def test_a_token_types_change_is_audited_with_old_and_new_values(staff_client):
    """The end of a token type's use stops every token of it: the audit log says what it was and what it became."""
    from otp.models import TokenType

    TokenType.objects.policy("mobile")
    url = reverse("admin:ibank_otp_tokentype_change", args=["mobile"])
    response = staff_client.post(url, {"issuing_open": "on", "issue_until": "", "usable_until": "2027-03-31"})
    assert response.status_code == 302
    assert str(TokenType.objects.get(kind="mobile").usable_until) == "2027-03-31"
    entry = AuditEntry.objects.get(action="token_type.change")
    assert entry.detail["kind"] == "mobile" and entry.detail["changed"] == {"usable_until": [None, "2027-03-31"]}


def test_the_operation_page_says_when_the_contract_is_cancelled(staff_client, contract):
    from django.utils import timezone

    Contract.objects.filter(pk=contract.pk).update(cancelled_at=timezone.now())
    page = staff_client.get(reverse("admin:branch-operate", args=[contract.pk])).content.decode()
    assert "停止中：解約" in page


def test_the_contract_page_shows_the_limit_in_force_and_a_raise_waiting(staff_client, contract):
    """A raise by password waits for 0:00 tomorrow and is folded into the contract's limit by the daily job at
    03:15: the clerk sees it waiting, then in force from midnight, not the limit before it."""
    from datetime import timedelta

    from accounts import limits

    limits.limit_change(actor=None, contract=contract, new_limit=100_000, at_once=True)
    limits.limit_change(actor=None, contract=contract, new_limit=150_000, at_once=False)
    url = reverse("admin:accounts_contract_change", args=[contract.pk])
    tomorrow = limits.today() + timedelta(days=1)
    page = staff_client.get(url).content.decode()
    assert f'<div class="readonly">100,000円（{tomorrow:%Y/%m/%d} 0:00から 150,000円 に変更予定）</div>' in page
    Contract.objects.filter(pk=contract.pk).update(pending_daily_limit_from=limits.today())  # past its 0:00
    page = staff_client.get(url).content.decode()
    assert '<div class="readonly">150,000円</div>' in page and "変更予定" not in page
