"""Failed logins counted per sender (accounts.senders): one password tried across many 契約者ID from one address
pauses that address's logins, and only its; a paused try is neither evaluated nor counted toward an ID's lock;
the pause ends with its window."""

import time

import pytest
from django.test import Client
from django.urls import reverse

from accounts import senders
from accounts.forms import INVALID_CREDENTIALS
from accounts.models import Contract
from auditlog.models import AuditEntry
from tests.conftest import PASSWORD

LOGIN = reverse("accounts-login")
LIMIT = 3


@pytest.fixture
def low_limit(settings):
    settings.IBANK_LOGIN_FAILURES_PER_ADDRESS = LIMIT
    settings.IBANK_LOGIN_ADDRESS_WINDOW = 60
    return settings


def _post(address, contract_id, password, url=LOGIN):
    return Client().post(url, {"contract_id": contract_id, "password": password}, REMOTE_ADDR=address)


def _spray(address):
    """One password tried on LIMIT IDs that exist nowhere: each told the usual wrong-pair message."""
    for n in range(LIMIT):
        assert str(INVALID_CREDENTIALS) in _post(address, f"99999990{n:02d}", "Spray2026").content.decode()


def test_a_password_tried_across_ids_pauses_that_address_and_only_it(contract, low_limit):
    _spray("203.0.113.5")
    response = _post("203.0.113.5", contract.contract_id, PASSWORD)  # the right pair: refused unread
    assert response.status_code == 200 and str(senders.PAUSED) in response.content.decode()
    paused = AuditEntry.objects.get(reason="address_paused")
    assert (paused.action, paused.outcome, paused.ip) == ("login.password", "failed", "203.0.113.5")
    mobile = _post("203.0.113.5", contract.contract_id, PASSWORD, url=reverse("mobile-login"))
    assert str(senders.PAUSED) in mobile.content.decode()  # the phone's login is the same door
    assert _post("203.0.113.6", contract.contract_id, PASSWORD).status_code == 302  # another sender logs in


@pytest.mark.parametrize("blank", ["contract_id", "password"])
def test_a_form_sent_with_a_field_left_empty_is_no_try(contract, low_limit, blank):
    """Nothing was tried: the field is named, and however often it is sent the sender's logins go on."""
    for _ in range(LIMIT + 1):
        data = {"contract_id": contract.contract_id, "password": PASSWORD, blank: ""}
        response = Client().post(LOGIN, data, REMOTE_ADDR="203.0.113.5")
        assert response.status_code == 200 and "を入力してください。" in response.content.decode()
    assert _post("203.0.113.5", contract.contract_id, PASSWORD).status_code == 302


def test_a_paused_try_counts_nothing_toward_the_ids_lock(contract, low_limit):
    """Nor does it write more than one entry a window: refused unread, a try costs a few milliseconds, and an
    entry each would let one sender fill the append-only log."""
    _spray("203.0.113.5")
    for _ in range(6):  # more wrong passwords than the ID's lock allows
        assert str(senders.PAUSED) in _post("203.0.113.5", contract.contract_id, "Wrong2026").content.decode()
    contract = Contract.objects.get(pk=contract.pk)
    assert contract.login_failures == 0
    assert not AuditEntry.objects.filter(action="login.lock").exists()
    assert AuditEntry.objects.filter(reason="address_paused").count() == 1
    assert _post("198.51.100.7", contract.contract_id, PASSWORD).status_code == 302


def test_an_ipv6_sender_is_its_64(contract, low_limit):
    _spray("2001:db8:1:2::10")
    assert str(senders.PAUSED) in _post("2001:db8:1:2::beef", contract.contract_id, PASSWORD).content.decode()
    assert _post("2001:db8:1:3::10", contract.contract_id, PASSWORD).status_code == 302


def test_an_ipv4_client_through_an_ipv6_socket_is_its_own_ipv4_sender(contract, low_limit):
    """A server listening on [::] sees IPv4 clients as ::ffff:a.b.c.d, all within one /64: each is its own
    sender, and the same as when seen as a.b.c.d."""
    _spray("::ffff:203.0.113.5")
    assert _post("::ffff:203.0.113.6", contract.contract_id, PASSWORD).status_code == 302
    assert str(senders.PAUSED) in _post("203.0.113.5", contract.contract_id, PASSWORD).content.decode()


def test_a_network_many_customers_share_is_never_a_sender(contract, low_limit):
    """IBANK_LOGIN_SHARED_NETWORKS (a carrier's gateways for /m/'s feature phones): never paused; each ID's
    own lock still counts every guess from there."""
    low_limit.IBANK_LOGIN_SHARED_NETWORKS = ["198.51.100.0/24"]
    _spray("198.51.100.20")
    _post("198.51.100.20", contract.contract_id, "Wrong2026")
    assert Contract.objects.get(pk=contract.pk).login_failures == 1
    assert _post("198.51.100.20", contract.contract_id, PASSWORD, url=reverse("mobile-login")).status_code == 302
    _spray("203.0.113.5")  # elsewhere the rule holds
    assert str(senders.PAUSED) in _post("203.0.113.5", contract.contract_id, PASSWORD).content.decode()


def test_the_pause_ends_with_its_window(contract, low_limit):
    low_limit.IBANK_LOGIN_ADDRESS_WINDOW = 1
    _spray("203.0.113.5")
    assert str(senders.PAUSED) in _post("203.0.113.5", contract.contract_id, PASSWORD).content.decode()
    time.sleep(1.1)
    assert _post("203.0.113.5", contract.contract_id, PASSWORD).status_code == 302


def test_zero_turns_the_pause_off(contract, low_limit):
    low_limit.IBANK_LOGIN_FAILURES_PER_ADDRESS = 0
    _spray("203.0.113.5")
    assert _post("203.0.113.5", contract.contract_id, PASSWORD).status_code == 302


def test_our_own_proxy_is_never_a_sender(contract, low_limit):
    """A request whose address is one of our proxies' (IBANK_TRUSTED_PROXIES: the client's was not found, as
    behind a local proxy whose X-Forwarded-For is not read) is every customer at once: never paused."""
    _spray("127.0.0.1")
    assert _post("127.0.0.1", contract.contract_id, PASSWORD).status_code == 302
    _spray("::ffff:127.0.0.1")  # the same proxy, through an IPv6 socket
    assert _post("::ffff:127.0.0.1", contract.contract_id, PASSWORD).status_code == 302


def test_right_logins_are_no_failures(contract, low_limit):
    """A try is counted before it is evaluated (the burst below) and given back when the pair was right: an
    office whose customers all log in from one address is never paused by its logins."""
    for _ in range(LIMIT + 2):
        assert _post("203.0.113.5", contract.contract_id, PASSWORD).status_code == 302
    _post("203.0.113.5", "9999999000", "Spray2026")  # one failure after them is not the limit's
    assert _post("203.0.113.5", contract.contract_id, PASSWORD).status_code == 302


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("shared_cache", [False, True], ids=["process cache", "redis"])
def test_a_burst_from_a_sender_one_short_of_the_limit_evaluates_one_more_guess(contract, low_limit, shared_cache):
    """Eight wrong pairs at once, after LIMIT - 1 failures: exactly one is evaluated (the usual wrong-pair
    answer, audited with its ID), the other seven are refused unread with the network's message. With the
    per-process cache and with Redis, as production counts (ibank.cache's one-script hit)."""
    import os

    from django.core.cache import cache

    from tests.concurrency import run_concurrently
    from tests.live import REDIS_URL

    if shared_cache:
        low_limit.CACHES = {"default": {"BACKEND": "ibank.cache.ReusingRedisCache", "LOCATION": REDIS_URL,
                                        "KEY_PREFIX": f"test-burst-{os.getpid()}"}}  # fmt: skip
        cache.delete_many(["ratelimit:login-failures-from:203.0.113.5", "said:login-failures-from:203.0.113.5"])
        assert hasattr(cache, "hit")
    for n in range(LIMIT - 1):
        _post("203.0.113.5", f"99999990{n:02d}", "Spray2026")
    answers = run_concurrently(lambda i: _post("203.0.113.5", f"99999991{i:02d}", "Spray2026").content.decode(), 8)
    assert AuditEntry.objects.filter(action="login.password", reason="unknown_id").count() == LIMIT
    assert [str(INVALID_CREDENTIALS) in answer for answer in answers].count(True) == 1
    assert [str(senders.PAUSED) in answer for answer in answers].count(True) == 7
