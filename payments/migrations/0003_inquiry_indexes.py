from django.db import models
from django.db.models import F
from django.db.models.functions import Coalesce

from ibank.migration_operations import IndexMigration, indexes

#: payments.models.ACCEPTED_AT, as the model had it when this migration was written
ACCEPTED_AT = Coalesce("executed_at", "reserved_at")


class Migration(IndexMigration):
    dependencies = [("transfers", "0002_transfer_payee_paid")]

    # 照会 (payments.inquiry): a contract's transfers by when they were accepted (executed, or reserved), of
    # every status or of one, and its payments in a period: each one range in order, stopped at the page's
    # size, instead of every row of the contract filtered and sorted.
    operations = [
        *indexes(
            "transfer",
            models.Index(F("contract"), ACCEPTED_AT, F("id"), name="transfer_accepted"),
            models.Index(F("contract"), F("status"), ACCEPTED_AT, F("id"), name="transfer_status_accepted"),
        ),
        *indexes("payment", models.Index(fields=["contract", "status", "executed_at", "id"], name="payment_contract_done")),
    ]
