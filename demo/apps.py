from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data for `make run` and a newcomer's walk-throughs: never loaded in production."""

    name = "demo"
    verbose_name = "デモデータ"
