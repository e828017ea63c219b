"""The notices' texts (templates/emails): what every one of them must hold to."""

from pathlib import Path

import pytest
from django.conf import settings

from notices.outbox import SUBJECTS

EMAILS = Path(settings.BASE_DIR) / "templates" / "emails"


@pytest.mark.parametrize("event", sorted(SUBJECTS))
def test_no_notice_carries_a_link(event):
    """Phishing mails link to a login page; the bank's never do, and every footer says so (notices.outbox).
    A template cannot make a link: it has no site address, no {% url %} and no scheme."""
    text = (EMAILS / f"{event}.txt").read_text()
    for link in ("{% url", "://", "SITE_URL", "www."):
        assert link not in text, (event, link)
    assert '{% include "emails/_footer.txt" %}' in text, event


def test_the_footer_says_that_the_banks_mails_have_no_links():
    footer = (EMAILS / "_footer.txt").read_text()
    assert "ログイン画面などへのリンクをご案内することはありません" in footer
    assert "://" not in footer
