"""Foreign keys whose own index another index, leading with the same column, already serves
(tests/ibank/test_indexes.py): every INSERT wrote it for nothing."""

from ibank.migration_operations import IndexMigration, RemoveForeignKeyIndex


class Migration(IndexMigration):
    dependencies = [("accounts", "0003_foreign_keys_served"), ("ledger", "0002_post_prepares_its_statements")]

    operations = [
        RemoveForeignKeyIndex("posting", "account"),
    ]
