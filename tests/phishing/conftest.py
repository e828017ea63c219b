from tests.branch.conftest import maker  # noqa: F401 (a clerk of the 窓口担当 role)
from tests.notices.conftest import smtp_port, smtp_settings, start_smtp  # noqa: F401 (a real SMTP server)
from tests.payments.conftest import zengin_master  # noqa: F401 (an autouse fixture: the banks)
