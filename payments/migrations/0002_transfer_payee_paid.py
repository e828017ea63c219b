from django.db import models

from ibank.migration_operations import IndexMigration, indexes

PAYEE = ["contract", "bank_code", "branch_code", "payee_kind", "payee_number", "executed_at"]


class Migration(IndexMigration):
    dependencies = [("transfers", "0001_squashed")]

    # When the contract first paid a payee (payments.new_payees, at every 入力): one range, in order, instead of
    # every transfer of the contract filtered and sorted.
    operations = indexes("transfer", models.Index(fields=PAYEE, name="transfer_payee_paid"))
