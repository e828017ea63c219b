from django.conf import settings

from . import helpdesk


def bank(request):
    return {
        "BANK_NAME": settings.BANK_NAME,
        "HELPDESK_PHONE": settings.BANK_HELPDESK_PHONE,
        "HELPDESK_HOURS": helpdesk.HOURS,
    }
