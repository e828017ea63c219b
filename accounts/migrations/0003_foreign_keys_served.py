"""Foreign keys whose own index another index, leading with the same column, already serves
(tests/ibank/test_indexes.py): every INSERT wrote it for nothing."""

from ibank.migration_operations import IndexMigration, RemoveForeignKeyIndex


class Migration(IndexMigration):
    dependencies = [("accounts", "0002_loginrecord_contract_at")]

    operations = [
        RemoveForeignKeyIndex("dailyusage", "contract"),
        RemoveForeignKeyIndex("knownenvironment", "contract"),
        RemoveForeignKeyIndex("loginrecord", "contract"),
    ]
