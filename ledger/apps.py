from django.apps import AppConfig


class LedgerConfig(AppConfig):
    """The books: journal entries and their postings, and ``books.post``, the one money engine."""

    name = "ledger"
    verbose_name = "元帳"
