"""Records the admin shows and never changes or deletes, not even for a superuser: money moved (振込), accounts,
contracts, tokens and their bindings, and the audit log. A branch changes a contract only through its operations
(with a reason, audited); a record deleted here would leave the books and the log without what they name."""

import pytest
from django.urls import reverse

from auditlog.models import AuditEntry
from tests.helpers import refuses_deletion
from tests.payments.conftest import zengin_master  # noqa: F401 (autouse: the other bank a transfer names)
from tests.payments.helpers import confirmed_other_bank


def _transfer(contract):
    return confirmed_other_bank(contract, 5_000)[0]


def _audit_entry(contract):
    _transfer(contract)  # its 入力 and 確認 are audited
    return AuditEntry.objects.filter(contract=contract)[0]


RECORDS = {
    "transfers_transfer": _transfer,
    "accounts_account": lambda contract: contract.account,
    "accounts_contract": lambda contract: contract,
    "ibank_otp_softwaretoken": lambda contract: contract.binding.software_token,
    "ibank_otp_tokenbinding": lambda contract: contract.binding,
    "auditlog_auditentry": _audit_entry,
}


@pytest.mark.parametrize("name", RECORDS)
def test_a_record_is_neither_changed_nor_deleted(client, admin_superuser, token_contract, name):
    row = RECORDS[name](token_contract)
    change = reverse(f"admin:{name}_change", args=[row.pk])
    assert 'name="_save"' not in client.get(change).content.decode()
    assert client.post(change, {"_save": "1"}).status_code == 403
    refuses_deletion(client, name, row)
