"""The LIKE indexes (``varchar_pattern_ops``) PostgreSQL had beside our indexed text columns, every app's: nothing
looks up by prefix (tests/ibank/test_indexes.py), so each INSERT wrote them for nothing."""

from ibank.migration_operations import IndexMigration, RemovePatternIndex


class Migration(IndexMigration):
    dependencies = [
        ("accounts", "0003_foreign_keys_served"),
        ("auditlog", "0002_action_index"),
        ("ibank_otp", "0001_squashed"),
        ("ledger", "0003_foreign_keys_served"),
        ("transfers", "0004_foreign_keys_served"),
        ("zengin", "0002_foreign_keys_served"),
    ]

    operations = [
        RemovePatternIndex("accounts.user", "username"),
        RemovePatternIndex("accounts.contract", "contract_id"),
        RemovePatternIndex("accounts.knownenvironment", "key"),
        RemovePatternIndex("auditlog.auditseal", "sha256"),
        RemovePatternIndex("ibank_otp.tokentype", "kind"),
        RemovePatternIndex("ibank_otp.tokentype", "prefix"),
        RemovePatternIndex("ibank_otp.softwaretoken", "token_id"),
        RemovePatternIndex("ibank_otp.softwaretoken", "token_type"),
        RemovePatternIndex("ledger.journalentry", "reference"),
        RemovePatternIndex("zengin.bank", "code"),
        RemovePatternIndex("zengin.bank", "initial"),
        RemovePatternIndex("zengin.masterversion", "source"),
        RemovePatternIndex("transfers.transfer", "reference"),
        RemovePatternIndex("transfers.payment", "reference"),
        RemovePatternIndex("transfers.biller", "number"),
    ]
