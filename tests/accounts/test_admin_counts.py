"""The admin's lists of tables that only grow (the audit log, notices, payments, bills) count up to a cap; the
others count exactly, as Django does."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ibank.admin import CappedCountPaginator
from notices.outbox import notify
from tests.accounts.test_admin import staff, staff_client  # noqa: F401 (fixtures)


@pytest.mark.parametrize("name", ["notices_notice", "transfers_bill"])  # the audit log: test_audit_admin
def test_a_growing_table_is_counted_up_to_the_cap(staff_client, make_contract, billers, monkeypatch, name):  # noqa: F811
    monkeypatch.setattr(CappedCountPaginator, "CAP", 1)
    contract = make_contract()
    for _ in range(2):
        notify(contract, "ib_suspended")  # two notices (and the fixture's two bills)
    with CaptureQueriesContext(connection) as queries:
        page = staff_client.get(reverse(f"admin:{name}_changelist"))
    assert page.status_code == 200 and "1件以上" in page.content.decode()
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    assert counts and all("LIMIT 2" in q.upper() for q in counts), counts


def test_the_payments_list_is_capped_too(staff_client):  # noqa: F811
    from payments.admin import PaymentAdmin

    assert PaymentAdmin.paginator is CappedCountPaginator
    assert staff_client.get(reverse("admin:transfers_payment_changelist")).status_code == 200


def test_other_lists_count_exactly(staff_client, make_contract):  # noqa: F811
    for _ in range(3):
        make_contract()
    page = staff_client.get(reverse("admin:accounts_contract_changelist")).content.decode()
    assert "件以上" not in page and "3 IB契約" in page
