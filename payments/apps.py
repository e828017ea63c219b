from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    """Payments (振込, Pay-easy, payees, 照会, 入出金明細). The app label stays "transfers", the name this room
    had when its tables were made: tables and migration history keep their names."""

    name = "payments"
    label = "transfers"
    verbose_name = "お取引（振込・収納サービス）"
