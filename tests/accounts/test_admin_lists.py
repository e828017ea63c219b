"""Every list in the admin reads its rows in a fixed number of statements: a clerk's page of 100 customers,
accounts or notices is not 100 statements more (a nullable key is not followed by Django on its own, and a
column that counts or reads per row is one statement a row)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import StaffDevice
from notices.outbox import notify
from payments.models import Bill, Biller
from tests.accounts.test_admin import staff, staff_client  # noqa: F401 (fixtures)
from tests.helpers import set_lock


def _statements(client, name: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse(f"admin:{name}_changelist"))
    assert response.status_code == 200
    return len(queries), response.content.decode()


def _rows(make_contract, django_user_model, first: int, count: int):
    """``count`` more of every kind a list shows: contracts (one with a lock) with their accounts and a
    notice, billers with an unpaid and a paid bill, staff devices."""
    from datetime import date

    for n in range(first, first + count):
        contract = make_contract()
        set_lock(contract, "login" if n % 2 else "transaction")
        notify(contract, "ib_suspended")
        biller = Biller.objects.create(number=f"{58100 + n}", name=f"収納{n}", kana="ｼﾕｳﾉｳ", kind="private")
        for paid in (None, "2026-11-01T00:00:00+09:00"):
            Bill.objects.create(
                biller=biller,
                customer_number=f"{n:013d}{paid is None:d}",
                confirmation_number=str(1000 + (paid is None)),
                description="x",
                amount=100,
                due_date=date(2027, 1, 1),
                paid_at=paid,
            )
        user = django_user_model.objects.create_user(f"clerk{n}", password="x-pass-12345", is_staff=True)
        StaffDevice.objects.create(user=user, name=f"clerk{n}", confirmed=True)


@pytest.mark.parametrize(
    "name", ["accounts_contract", "accounts_account", "notices_notice", "transfers_biller", "accounts_staffdevice"]
)
def test_a_list_costs_the_same_statements_for_three_rows_or_nine(staff_client, make_contract, django_user_model, name):  # noqa: F811
    _rows(make_contract, django_user_model, 0, 3)
    _statements(staff_client, name)  # the session's first write after the login is not the list's
    few, _html = _statements(staff_client, name)
    _rows(make_contract, django_user_model, 3, 6)
    many, html = _statements(staff_client, name)
    assert many == few, name
    if name == "accounts_contract":  # the locks read with the rows are the ones shown
        assert html.count('<td class="field-locks">ログイン停止</td>') == 4
        assert html.count('<td class="field-locks">取引認証停止</td>') == 5
    if name == "transfers_biller":
        assert html.count('<td class="field-unpaid">1</td>') == 9


def test_the_notices_filter_names_each_notice_without_reading_every_notice(staff_client, contract):  # noqa: F811
    notify(contract, "ib_suspended")
    with CaptureQueriesContext(connection) as queries:
        html = staff_client.get(reverse("admin:notices_notice_changelist")).content.decode()
    assert not [q["sql"] for q in queries if "DISTINCT" in q["sql"].upper()]
    assert "?event=login" in html and "ログインのお知らせ" in html  # by its subject, from the list of notices
    response = staff_client.get(reverse("admin:notices_notice_changelist") + "?event=ib_suspended")
    assert response.content.decode().count('<th class="field-created_at') == 1
    response = staff_client.get(reverse("admin:notices_notice_changelist") + "?event=login")
    assert response.content.decode().count('<th class="field-created_at') == 0
