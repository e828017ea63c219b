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


def test_the_login_notice_gives_its_advice_once_and_other_notices_the_footers():
    """The login notice says what to do when the login was not the customer's (IB取引中止); the footer's
    shorter advice after it would tell the same reader something else."""
    import types

    from django.template.loader import render_to_string
    from django.utils import timezone

    common = {"contract": types.SimpleNamespace(name="テスト"), "HELPDESK_PHONE": "0120", "HELPDESK_HOURS": "9-17"}
    record = types.SimpleNamespace(at=timezone.now(), channel_label="パソコン", browser="Chrome / Windows")
    login = render_to_string("emails/login.txt", {**common, "record": record, "new_environment": True})
    footer_advice = "このメールに心当たりのない場合は"
    assert login.count("心当たり") == 1 and "IB取引中止" in login and footer_advice not in login
    assert "ログイン画面などへのリンクをご案内することはありません" in login
    other = render_to_string("emails/ib_suspended.txt", common)
    assert footer_advice in other
