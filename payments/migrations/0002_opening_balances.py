from django.db import migrations


def open_balances(apps, schema_editor):
    """Balances that existed before the ledger become opening deposits, so that check_ledger holds."""
    Account = apps.get_model("accounts", "Account")
    JournalEntry = apps.get_model("transfers", "JournalEntry")
    Posting = apps.get_model("transfers", "Posting")
    cash = Account.objects.get(purpose="cash")
    for account in Account.objects.filter(purpose="customer").exclude(balance=0):
        if Posting.objects.filter(account=account).exists():
            continue
        cash.balance -= account.balance
        entry = JournalEntry.objects.create(kind="deposit")
        Posting.objects.create(
            entry=entry, account=cash, amount=-account.balance, balance_after=cash.balance, memo="deposit"
        )
        Posting.objects.create(
            entry=entry, account=account, amount=account.balance, balance_after=account.balance, memo="deposit"
        )
    Account.objects.filter(pk=cash.pk).update(balance=cash.balance)


class Migration(migrations.Migration):
    dependencies = [("transfers", "0001_initial"), ("accounts", "0003_internal_accounts")]

    operations = [migrations.RunPython(open_balances, migrations.RunPython.noop)]
