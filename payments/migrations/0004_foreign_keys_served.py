"""Foreign keys whose own index another index, leading with the same column, already serves
(tests/ibank/test_indexes.py): every INSERT wrote it for nothing."""

from ibank.migration_operations import IndexMigration, RemoveForeignKeyIndex


class Migration(IndexMigration):
    dependencies = [("accounts", "0003_foreign_keys_served"), ("transfers", "0003_inquiry_indexes")]

    operations = [
        RemoveForeignKeyIndex("bill", "biller"),
        RemoveForeignKeyIndex("payee", "contract"),
        RemoveForeignKeyIndex("payment", "contract"),
        RemoveForeignKeyIndex("transfer", "contract"),
    ]
