"""What the branch roles (窓口担当, 役席: groups with permissions, never superusers) see and do in the admin."""

import re

import pytest
from django.urls import reverse

from accounts import holds
from accounts.models import Lock
from auditlog.models import AuditEntry
from branch.models import TokenResetRequest
from ibank import clock
from notices.models import Notice
from notices.outbox import notify
from tests.helpers import as_staff, is_locked, set_lock
from tests.payments.conftest import zengin_master  # noqa: F401 (a fixture)

ROLES = ["maker", "checker"]


@pytest.fixture(params=ROLES)
def role(request):
    return request.getfixturevalue(request.param)


def test_the_contract_page_shows_a_clerk_the_lock_history(client, role, token_contract):
    """The contract page lists its locks, open and lifted, to whoever reads the contract (issue 15: "the contract
    page lists open and past locks from the table"), not only to a superuser."""
    holds.begin(token_contract, Lock.Kind.CHANGE_HOLD, reason="email_change", actor=None)
    set_lock(token_contract, Lock.Kind.LOGIN)
    Lock.objects.filter(kind=Lock.Kind.LOGIN).update(lifted_at=clock.now(), lifted_by="staff:x")  # lifted: history
    page = as_staff(client, role).get(reverse("admin:accounts_contract_change", args=[token_contract.pk]))
    text = page.content.decode()
    assert page.status_code == 200 and "停止の履歴（解除済みを含む・新しい順に100件まで）" in text
    history = text[text.index("停止の履歴（解除済みを含む・新しい順に100件まで）") :]
    assert "登録内容の変更後の制限" in history and "ログイン停止" in history and "staff:x" in history
    assert 'name="_save"' not in text  # read, never saved here


def test_a_clerk_lists_undeliverable_notices_and_resends_them(client, role, contract):
    """SPEC §8: undeliverable notices are listed for staff, who can resend them — the roles' staff included."""
    notify(contract, "ib_suspended")
    notice = Notice.objects.get()
    Notice.objects.filter(pk=notice.pk).update(status=Notice.Status.FAILED, attempts=6, last_error="relay refused")
    staff = as_staff(client, role)
    changelist = reverse("admin:notices_notice_changelist")
    listed = staff.get(changelist, {"status__exact": "failed"})
    assert listed.status_code == 200 and "relay refused" in listed.content.decode()
    response = staff.post(changelist, {"action": "resend", "_selected_action": [str(notice.pk)]}, follow=True)
    assert "1件のお知らせを再送します。" in response.content.decode()
    notice.refresh_from_db()
    assert notice.status == Notice.Status.PENDING and notice.attempts == 0
    entry = AuditEntry.objects.get(action="notice.resend")
    assert entry.contract_id == contract.pk and entry.actor == f"staff:{role.username}"


def test_a_clerk_reads_the_pay_easy_payments_and_never_changes_one(client, role):
    staff = as_staff(client, role)
    assert staff.get(reverse("admin:transfers_payment_changelist")).status_code == 200
    assert staff.get(reverse("admin:transfers_payment_add")).status_code == 403


def test_what_the_roles_may_not_do_stays_refused(client, role, token_contract):
    """Reading notices gives no hand on the rest: the biller registry and the staff accounts stay a superuser's,
    and no record page saves."""
    staff = as_staff(client, role)
    assert staff.get(reverse("admin:transfers_biller_changelist")).status_code == 403
    assert staff.get(reverse("admin:accounts_user_changelist")).status_code == 403
    binding = reverse("admin:ibank_otp_tokenbinding_change", args=[token_contract.binding.pk])
    assert staff.post(binding, {"failures": "0"}).status_code == 403


def test_a_superusers_record_pages_are_read_only_too(client, django_user_model, token_contract):
    """Contract, token binding and reset request pages change nothing, not even when saved unchanged (a save would
    write back the counters the verifier keeps while the page was open)."""
    staff = django_user_model.objects.create_user("boss", password="boss-pass-1234", is_staff=True, is_superuser=True)
    as_staff(client, staff)
    for url in (
        reverse("admin:accounts_contract_change", args=[token_contract.pk]),
        reverse("admin:ibank_otp_tokenbinding_change", args=[token_contract.binding.pk]),
    ):
        page = client.get(url).content.decode()
        assert "を表示" in page and "を変更" not in page and 'name="_save"' not in page
        assert client.post(url, {}).status_code == 403


def test_operations_are_offered_to_the_staff_who_may_do_them(client, maker, checker, token_contract):
    """A 窓口担当 is offered the operations (and the unlocks of the locks in force); a 役席, who approves and
    operates nothing, sees no 手続き button, and the page says why instead of offering what would be refused."""
    set_lock(token_contract, Lock.Kind.LOGIN)
    contract_page = reverse("admin:accounts_contract_change", args=[token_contract.pk])
    operate = reverse("admin:branch-operate", args=[token_contract.pk])

    as_staff(client, maker)
    assert "手続きを行う" in client.get(contract_page).content.decode()
    offered = re.findall(r'<option value="([a-z_]+)"', client.get(operate).content.decode())
    assert {"token_reset_request", "report_lost", "unlock_login", "cancel"} <= set(offered)

    as_staff(client, checker)
    assert "手続きを行う" not in client.get(contract_page).content.decode()
    page = client.get(operate).content.decode()
    assert "この操作を行う権限がありません。" in page and "<form" not in page.split('id="content-main"')[1]
    response = client.post(operate, {"operation": "unlock_login", "reason": "本人確認済"})
    assert response.status_code == 200 and is_locked(token_contract, Lock.Kind.LOGIN)


# What each of the branch's permissions lets a staff member do (the permissions' own names say it: 紛失届・ロック解除・
# IB解約 and the changes on a written form are operate_contract; entering a token reset is request_token_reset).
PERMISSION_OF = {"token_reset_request": "request_token_reset"}


@pytest.mark.parametrize("permission", ["request_token_reset", "operate_contract"])
def test_each_operation_asks_for_its_own_permission(client, django_user_model, token_contract, permission):
    """A staff member holding one branch permission alone is offered exactly the operations it allows, and an
    operation it does not allow, posted all the same, is refused and changes nothing."""
    from django.contrib.auth.models import Permission

    from branch.forms import OPERATIONS

    for kind in (Lock.Kind.LOGIN, Lock.Kind.OTP, Lock.Kind.TRANSACTION, Lock.Kind.TOKEN_SETUP):
        set_lock(token_contract, kind)
    staff = django_user_model.objects.create_user("single", password="single-pass-123", is_staff=True)
    staff.user_permissions.add(
        Permission.objects.get(codename=permission, content_type__app_label="branch"),
        Permission.objects.get(codename="view_contract"),
    )
    staff = django_user_model.objects.get(pk=staff.pk)
    operate = reverse("admin:branch-operate", args=[token_contract.pk])
    as_staff(client, staff)
    page = client.get(operate).content.decode()
    operations = page[page.index('name="operation"') : page.index("</select>", page.index('name="operation"'))]
    offered = set(re.findall(r'<option value="([a-z_]+)"', operations))
    in_force = {"unlock_login", "unlock_otp", "unlock_transaction", "unlock_token_setup"}
    expected = {
        key
        for key, _label in OPERATIONS
        if PERMISSION_OF.get(key, "operate_contract") == permission and (key in in_force or "unlock_" not in key)
    }
    assert offered == expected and offered
    refused_op = "cancel" if permission == "request_token_reset" else "token_reset_request"
    before = AuditEntry.objects.count()
    response = client.post(operate, {"operation": refused_op, "reason": "本人確認済", "reference": "F-1"})
    assert response.status_code == 200 and "この操作を行う権限がありません。" in response.content.decode()
    assert AuditEntry.objects.count() == before and TokenResetRequest.objects.count() == 0
    token_contract.refresh_from_db()
    assert token_contract.cancelled_at is None


@pytest.mark.parametrize(
    "typed",
    ["ヤマダ", "やまだ　たろう", "ﾔﾏﾀﾞ ﾀﾛｳ", "山田 タロウ", "１２３４５６７８９０", "７６５４３２１", "1234567890"],
)
def test_a_clerk_finds_a_customer_as_the_ime_types(client, maker, make_contract, typed):
    """Names are recorded in Zengin kana (ﾔﾏﾀﾞ ﾀﾛｳ) and numbers in ASCII; a clerk types カナ, かな or full-width
    digits. The contract list and the account list find the customer either way, and nobody else."""
    from accounts.models import Account, Contract

    yamada = make_contract("1234567890")
    Contract.objects.filter(pk=yamada.pk).update(name="山田 太郎")
    Account.objects.filter(contract=yamada).update(holder_kana="ﾔﾏﾀﾞ ﾀﾛｳ", number="7654321")
    make_contract("1234567891")  # テスト 太郎…, ﾃｽﾄ ﾀﾛｳ…: another ﾀﾛｳ, another number
    as_staff(client, maker)
    page = client.get(reverse("admin:accounts_contract_changelist"), {"q": typed}).content.decode()
    assert "1234567890" in page and "1234567891" not in page
    if typed != "山田 タロウ":  # the account list has no contract name
        accounts = client.get(reverse("admin:accounts_account_changelist"), {"q": typed}).content.decode()
        assert "7654321" in accounts and "ﾃｽﾄ" not in accounts


def test_the_lock_history_shows_the_latest_hundred(client, maker, token_contract):
    """A customer whose browser keeps no cookie begins a hold at every login, and rows are never deleted: the
    contract page shows the latest hundred, newest first, not years of them."""
    from datetime import timedelta

    start = clock.now() - timedelta(days=200)
    Lock.objects.bulk_create(
        Lock(
            contract=token_contract,
            kind=Lock.Kind.ENVIRONMENT_HOLD,
            reason=f"hold {n}",
            set_at=start + timedelta(days=n),
            set_by="customer",
            until=start + timedelta(days=n, hours=1),
            lifted_at=start + timedelta(days=n, hours=1),
            lifted_by="expired",
        )
        for n in range(120)
    )
    page = as_staff(client, maker).get(reverse("admin:accounts_contract_change", args=[token_contract.pk]))
    text = page.content.decode()
    assert text.count('field-reason"') == 100
    assert "hold 119" in text and "hold 20<" in text and "hold 19<" not in text


def test_a_clerk_finds_a_transfer_by_its_reference_as_the_customer_reads_it(
    client,
    role,
    make_contract,
    zengin_master,  # noqa: F811 (a fixture)
):
    """A customer on the phone reads out a 受付番号: the clerk finds it by its index (half- or full-width), or
    the customer's transfers by 契約者ID, and reads it; nothing there changes a transfer."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.payments.helpers import prepared_same_bank

    customer, payee = make_contract(), make_contract()
    transfer = prepared_same_bank(customer, payee, 12_345)
    other = prepared_same_bank(payee, customer, 500)
    staff = as_staff(client, role)
    changelist = reverse("admin:transfers_transfer_changelist")
    full_width = transfer.reference.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    with CaptureQueriesContext(connection) as queries:
        page = staff.get(changelist, {"q": full_width}).content.decode()
    assert transfer.reference in page and other.reference not in page and "12,345円" in page
    assert not [q["sql"] for q in queries if " LIKE " in q["sql"].upper()]  # by the index, not a scan
    page = staff.get(changelist, {"q": customer.contract_id}).content.decode()
    assert transfer.reference in page and other.reference not in page
    detail = reverse("admin:transfers_transfer_change", args=[transfer.pk])
    assert "入力中" in staff.get(detail).content.decode()
    assert staff.post(detail, {"amount": "1"}).status_code == 403
    assert staff.get(reverse("admin:transfers_transfer_add")).status_code == 403


def test_a_staff_members_rights_are_a_role_ticked_never_permissions_one_by_one(client, django_user_model, maker):
    """The superuser's page of a staff member offers the roles as boxes, no permission to grant alone (a right
    outside the roles would escape their two-person rules), and the dates as read, not typed."""
    from django.contrib.auth.models import Group

    staff = django_user_model.objects.create_user("boss", password="boss-pass-1234", is_staff=True, is_superuser=True)
    as_staff(client, staff)
    url = reverse("admin:accounts_user_change", args=[maker.pk])
    page = client.get(url).content.decode()
    assert 'type="checkbox" name="groups"' in page
    assert 'name="user_permissions"' not in page and 'name="last_login_0"' not in page
    checker = Group.objects.get(name="役席")
    data = {"username": maker.username, "is_active": "on", "is_staff": "on", "groups": [checker.pk]}
    assert client.post(url, data)["Location"] == reverse("admin:accounts_user_changelist")
    assert list(django_user_model.objects.get(pk=maker.pk).groups.values_list("name", flat=True)) == ["役席"]


def test_a_role_beyond_any_key_is_refused_at_its_field(client, django_user_model, maker):
    """A number no key can be (a crafted request) is an unknown role, said at the roles' field; on SQLite it
    reached the database and was a server error."""
    staff = django_user_model.objects.create_user("boss", password="boss-pass-1234", is_staff=True, is_superuser=True)
    as_staff(client, staff)
    url = reverse("admin:accounts_user_change", args=[maker.pk])
    data = {"username": maker.username, "is_active": "on", "is_staff": "on", "groups": ["9" * 23]}
    response = client.post(url, data)
    assert response.status_code == 200
    assert "9" * 23 + " は候補にありません" in response.content.decode()
    assert list(django_user_model.objects.get(pk=maker.pk).groups.values_list("name", flat=True)) == ["窓口担当"]


def test_every_admin_form_that_ticks_several_rows_refuses_a_number_beyond_any_key(rf, django_user_model):
    """Django sends a multiple choice's values to an ``IN`` lookup that it does not guard: each such field of
    the admin must be one that refuses a number no key can be, as the roles' field does (staff.admin). A field
    added later without it fails here, before a crafted request finds it."""
    from django import forms

    from ibank.admin import admin_site
    from staff.admin import RolesField

    request = rf.get("/")
    request.user = django_user_model.objects.create_superuser("root", password="root-pass-1234")
    unguarded = []
    for model, model_admin in admin_site._registry.items():
        first = model.objects.first()
        forms_shown = [None] if model_admin.has_add_permission(request) else []
        forms_shown += [first] if first is not None and model_admin.has_change_permission(request, first) else []
        for obj in forms_shown:  # the add and the change form, where the admin shows them
            form = model_admin.get_form(request, obj)
            for name, field in form.base_fields.items():
                if isinstance(field, forms.ModelMultipleChoiceField) and not isinstance(field, RolesField):
                    unguarded.append(f"{model._meta.label}.{name}")
    assert not unguarded
