from django.apps import AppConfig


class NoticesConfig(AppConfig):
    """E-mail notices to customers (SPEC §8): rows written in the event's transaction, sent by a task worker."""

    name = "notices"
    verbose_name = "お知らせメール"
