"""Recompute every balance from the postings and check every entry (SPEC §5). Exits 1 on any difference."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Count, F, Sum

from accounts.models import Account
from ledger import checks
from ledger.models import JournalEntry, Posting


class Command(BaseCommand):
    help = "Check the ledger: balances equal their postings, entries sum to zero, the total is unchanged."

    def handle(self, *args, **options):
        problems = []
        with transaction.atomic():  # one consistent snapshot on PostgreSQL (repeatable read not needed: one pass)
            sums = dict(Posting.objects.values_list("account_id").annotate(total=Sum("amount")))
            total = 0
            for account_id, balance, purpose in Account.objects.values_list("id", "balance", "purpose"):
                total += balance
                if balance != sums.get(account_id, 0):
                    problems.append(
                        f"account {account_id}: balance {balance} but postings sum to {sums.get(account_id, 0)}"
                    )
                if purpose == Account.Purpose.CUSTOMER and balance < 0:
                    problems.append(f"account {account_id}: negative balance {balance}")
            entries = JournalEntry.objects.annotate(s=Sum("postings__amount"), n=Count("postings"))
            for entry_id, entry_sum, lines in entries.values_list("id", "s", "n"):
                if lines < 2 or (entry_sum or 0) != 0:
                    problems.append(f"entry {entry_id}: {lines} postings summing to {entry_sum}")
            # Each line keeps its entry's time (入出金明細 reads the lines by it).
            for posting_id, entry_id in Posting.objects.exclude(at=F("entry__at")).values_list("id", "entry_id")[:100]:
                problems.append(f"posting {posting_id}: its time differs from entry {entry_id}'s")
            # Every yen entered through an entry, so the total over all accounts never leaves zero.
            if total != 0:
                problems.append(f"the balances of all accounts sum to {total}, not 0")
            for check in checks.registered():  # the rooms that post entries check their own links to them
                problems.extend(check())
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(f"ledger check failed: {len(problems)} problem(s)")
        accounts = Account.objects.count()
        entries = JournalEntry.objects.count()
        self.stdout.write(f"ledger OK: {accounts} accounts, {entries} entries, total 0")
