import pytest
from django.test import RequestFactory

from ibank.actor import client_ip


@pytest.mark.parametrize(
    ("hops", "forwarded", "expected"),
    [
        (1, "203.0.113.9", "203.0.113.9"),
        # The client sent a fake first entry; our one proxy appended the real address.
        (1, "1.2.3.4, 203.0.113.9", "203.0.113.9"),
        (2, "1.2.3.4, 203.0.113.9, 10.0.0.5", "203.0.113.9"),
        # Fewer entries than proxies: it did not come through them all.
        (2, "203.0.113.9", "127.0.0.1"),
        (1, "not-an-address", "127.0.0.1"),
        (1, "", "127.0.0.1"),
    ],
)
def test_only_the_configured_proxy_hops_are_trusted(settings, hops, forwarded, expected):
    settings.IBANK_BEHIND_PROXY = True
    settings.IBANK_PROXY_HOPS = hops
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR="127.0.0.1")
    assert client_ip(request) == expected


def test_without_a_proxy_forwarded_for_is_ignored(settings):
    settings.IBANK_BEHIND_PROXY = False
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR="1.2.3.4", REMOTE_ADDR="198.51.100.7")
    assert client_ip(request) == "198.51.100.7"


def test_a_client_reaching_the_server_directly_cannot_choose_its_address(settings):
    settings.IBANK_BEHIND_PROXY = True
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR="1.2.3.4", REMOTE_ADDR="198.51.100.7")
    assert client_ip(request) == "198.51.100.7"
