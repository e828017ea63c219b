"""The biller registry kept by staff in the admin (SPEC §5's 収納サービス): a 収納機関 registered with its bills
gets its clearing account, every change is audited, and a paid bill stays as it was paid."""

from datetime import timedelta

import pytest
from django.urls import reverse

from accounts.models import Account
from auditlog.models import AuditEntry
from payments.models import Bill, Biller
from payments.services import today


def _bill_form(prefix: str, **values) -> dict:
    due = (today() + timedelta(days=30)).isoformat()
    row = {"customer_number": "11112222", "confirmation_number": "9876", "payment_category": "",
           "description": "水道料金（12月分）", "amount": "3,300", "due_date": due, **values}  # fmt: skip
    return {f"{prefix}{name}": value for name, value in row.items()}


def _changes() -> list[dict]:
    return [e.detail for e in AuditEntry.objects.filter(action="biller.change", actor="staff:chief").order_by("pk")]


def test_a_biller_registered_with_a_bill_gets_its_account_and_both_are_audited(client, admin_superuser):
    form = {
        "number": "58099",
        "name": "さくら水道局",
        "kana": "ｻｸﾗｽｲﾄﾞｳｷﾖｸ",
        "kind": "private",
        "is_active": "on",
        "bills-TOTAL_FORMS": "1",
        "bills-INITIAL_FORMS": "0",
        "bills-MIN_NUM_FORMS": "0",
        "bills-MAX_NUM_FORMS": "1000",
        **_bill_form("bills-0-"),
        "_save": "1",
    }
    response = client.post(reverse("admin:transfers_biller_add"), form)
    assert response.status_code == 302, response.context["errors"]
    biller = Biller.objects.get(number="58099")
    assert biller.account.purpose == Account.Purpose.BILLER and biller.account.number == "8580990"
    [bill] = Bill.objects.filter(biller=biller)
    assert (bill.customer_number, bill.amount, bill.is_paid) == ("11112222", 3_300, False)
    changes = _changes()
    assert changes[0]["biller"] == "58099" and "name" in changes[0]["changed"]
    assert changes[1] == {"biller": "58099", "bill": bill.pk}


@pytest.mark.parametrize("typed", ["9000", "9,000", "９，０００円"])
def test_a_bills_amount_changed_by_staff_is_audited(client, admin_superuser, billers, typed):
    """The amount as a clerk types it (commas, full-width digits, 円), as customers may type theirs."""
    bill = billers["electricity"]
    form = {**_bill_form("", customer_number=bill.customer_number, amount=typed), "biller": bill.biller_id}
    response = client.post(reverse("admin:transfers_bill_change", args=[bill.pk]), {**form, "_save": "1"})
    assert response.status_code == 302, response.context["errors"]
    assert Bill.objects.get(pk=bill.pk).amount == 9_000
    assert _changes() == [{"biller": "58001", "bill": bill.pk}]


@pytest.mark.parametrize(("typed", "message"), [("0", "1 以上"), ("-5", "1 以上"), ("9千", "整数を入力してください。")])
def test_a_wrong_amount_is_named_beside_its_field_and_kept(client, admin_superuser, billers, typed, message):
    bill = billers["electricity"]
    form = {**_bill_form("", customer_number=bill.customer_number, amount=typed), "biller": bill.biller_id}
    response = client.post(reverse("admin:transfers_bill_change", args=[bill.pk]), {**form, "_save": "1"})
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["amount"] and message in errors["amount"][0]
    assert f'value="{typed}"' in response.content.decode()
    assert Bill.objects.get(pk=bill.pk).amount == 8_640 and not _changes()


def test_a_paid_bill_cannot_be_changed(client, admin_superuser, billers):
    bill = billers["electricity"]
    Bill.objects.filter(pk=bill.pk).update(paid_at=bill.created_at, paid_reference="26112600000001")
    form = {**_bill_form("", customer_number=bill.customer_number, amount="1"), "biller": bill.biller_id}
    client.post(reverse("admin:transfers_bill_change", args=[bill.pk]), {**form, "_save": "1"})
    assert Bill.objects.get(pk=bill.pk).amount == 8_640


@pytest.mark.parametrize("kind", ["biller", "bill"])
def test_neither_a_biller_nor_a_bill_is_ever_deleted(client, admin_superuser, billers, kind):
    """A bill is what a customer paid or may pay, a biller what its bills and payments name: kept, even by a
    superuser (a biller leaving is made inactive)."""
    from tests.helpers import refuses_deletion

    bill = billers["electricity"]
    refuses_deletion(client, f"transfers_{kind}", bill.biller if kind == "biller" else bill)
