from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    """Payments (振込, Pay-easy, payees, 照会, 入出金明細). The app label stays "transfers", the name this room
    had when its tables were made: tables and migration history keep their names."""

    name = "payments"
    label = "transfers"
    verbose_name = "お取引（振込・収納サービス）"

    def ready(self):
        from ledger import checks

        from .models import Payment, Transfer

        def executed_without_entry() -> list[str]:
            problems = []
            for model, statuses in ((Transfer, Transfer.EXECUTED), (Payment, [Payment.Status.DONE])):
                rows = model.objects.filter(status__in=statuses, entry__isnull=True)
                name = model._meta.model_name
                problems += [
                    f"{name} {ref}: executed without a ledger entry" for ref in rows.values_list("reference", flat=True)
                ]
            return problems

        checks.register(executed_without_entry)

        from accounts import steps

        from .drafts import awaiting_authorization

        steps.register_awaiting(awaiting_authorization)
