import asyncio
import socket

import pytest

from tests.helpers import as_staff
from tests.payments.conftest import zengin_master  # noqa: F401 (an autouse fixture: the banks)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """An aiosmtpd handler keeping what arrived (a real SMTP server on the loopback)."""

    def __init__(self, delay: float = 0, refuse: str = ""):
        self.messages = []
        self.delay = delay
        self.refuse = refuse  # the answer to every recipient (e.g. "550 5.1.1 User unknown"), if any

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse:
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        self.messages.append(envelope.content.decode("utf-8", "replace"))
        return "250 OK"


@pytest.fixture
def smtp_port():
    return free_port()


@pytest.fixture
def smtp_settings(settings, smtp_port):
    """Notices go through Django's SMTP backend to 127.0.0.1:<smtp_port> (nothing listens there yet)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", smtp_port, 2
    settings.EMAIL_USE_TLS = False
    return settings


@pytest.fixture
def start_smtp(smtp_port):
    """Start a real SMTP server on the port; stopped after the test."""
    from aiosmtpd.controller import Controller

    started = []

    def start(delay: float = 0, refuse: str = "") -> Inbox:
        inbox = Inbox(delay, refuse)
        controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
        controller.start()
        started.append(controller)
        return inbox

    yield start
    for controller in started:
        controller.stop()


@pytest.fixture
def staff_client(client, django_user_model):
    """A staff member in the admin (password and their own OTP, as the admin's login leaves the session)."""
    user = django_user_model.objects.create_user("clerk", password="clerk-pass-123", is_staff=True, is_superuser=True)
    return as_staff(client, user)
