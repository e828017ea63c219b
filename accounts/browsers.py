"""What a customer reads of a browser: its family and OS from the User-Agent (never the raw string, which is
the customer's own to read), recorded in the bank's source language and shown in the reader's.

A record reads 「Chrome（Windows）」, 「不明なブラウザ（Linux）」 or 「携帯電話」 whatever language the page of
the login was in (the clerk and the notices read it so); :func:`label` gives it as "Chrome (Windows)",
"Unknown browser (Linux)" or "Feature phone" to a reader of English.
"""

import re

from django.utils.translation import gettext, gettext_noop

_BROWSERS = [
    ("Edge", r"Edg(?:e|A|iOS)?/"),
    ("Opera", r"OPR/|Opera"),
    ("Samsung Internet", r"SamsungBrowser/"),
    ("Firefox", r"Firefox/|FxiOS/"),
    ("Chrome", r"Chrome/|CriOS/|Chromium/"),
    ("Safari", r"Safari/"),
]
_SYSTEMS = [
    ("iOS", r"iPhone|iPad|iPod"),
    ("Android", r"Android"),
    ("Windows", r"Windows"),
    ("macOS", r"Macintosh|Mac OS X"),
    ("ChromeOS", r"CrOS"),
    ("Linux", r"Linux|X11"),
]
# Recorded untranslated (the message ids); translated when shown.
FEATURE_PHONE = gettext_noop("携帯電話")
UNKNOWN = gettext_noop("不明なブラウザ")
_WITH_SYSTEM = gettext_noop("%(browser)s（%(system)s）")
_RECORDED = re.compile(r"(?P<browser>[^（]+)（(?P<system>[^）]+)）")


def describe(request) -> str:
    """The record of the request's browser: 「Chrome（Windows）」, 「Safari（iOS）」…"""
    return describe_agent(request.META.get("HTTP_USER_AGENT", ""))


def describe_agent(agent: str) -> str:
    """:func:`describe` for a User-Agent string (a failed login's, as the audit log kept it)."""
    if re.search(r"DoCoMo|KDDI|SoftBank|Vodafone|UP\.Browser", agent):
        return FEATURE_PHONE
    browser = next((name for name, pattern in _BROWSERS if re.search(pattern, agent)), UNKNOWN)
    system = next((name for name, pattern in _SYSTEMS if re.search(pattern, agent)), None)
    return _WITH_SYSTEM % {"browser": browser, "system": system} if system else browser


def label(recorded: str) -> str:
    """A record of :func:`describe_agent` in the active language (a family or OS name is no word to translate)."""
    parts = _RECORDED.fullmatch(recorded)
    if parts is None:
        return gettext(recorded) if recorded in (FEATURE_PHONE, UNKNOWN) else recorded
    browser = gettext(UNKNOWN) if parts["browser"] == UNKNOWN else parts["browser"]
    return gettext(_WITH_SYSTEM) % {"browser": browser, "system": parts["system"]}
