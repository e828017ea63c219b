from django.apps import AppConfig


class AuditlogConfig(AppConfig):
    """The audit log (SPEC §8): append-only entries, sealed in batches, verified by a command."""

    name = "auditlog"
    verbose_name = "監査ログ"
