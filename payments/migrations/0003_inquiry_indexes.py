from django.db import migrations, models
from django.db.models.functions import Coalesce

from ibank.migration_operations import AddIndexConcurrentlyOnPostgreSQL


class Migration(migrations.Migration):
    atomic = False  # CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ("transfers", "0002_transfer_payee_paid"),
    ]

    # 照会 (payments.inquiry): a contract's transfers by when they were accepted (executed, or reserved), of
    # every status or of one, and its payments in a period: each one range in order, stopped at the page's
    # size, instead of every row of the contract filtered and sorted.
    operations = [
        AddIndexConcurrentlyOnPostgreSQL(
            model_name="transfer",
            index=models.Index(
                models.F("contract"), Coalesce("executed_at", "reserved_at"), models.F("id"), name="transfer_accepted"
            ),
        ),
        AddIndexConcurrentlyOnPostgreSQL(
            model_name="transfer",
            index=models.Index(
                models.F("contract"),
                models.F("status"),
                Coalesce("executed_at", "reserved_at"),
                models.F("id"),
                name="transfer_status_accepted",
            ),
        ),
        AddIndexConcurrentlyOnPostgreSQL(
            model_name="payment",
            index=models.Index(fields=["contract", "status", "executed_at", "id"], name="payment_contract_done"),
        ),
    ]
