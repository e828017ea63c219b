"""Who acts: built once per request (``request.actor``, by ActorMiddleware) and handed to services instead of
the request, as Zulip's actions take ``acting_user``. Services write their audit entries with it.

An actor is a staff member (by username) or not (a customer, named in each audit entry by the contract the
entry is about, or no one yet: ``anonymous``), with the client's address, user agent and channel. ``None``
stands for the bank itself (a command, a scheduled job).
"""

import dataclasses
import ipaddress
from dataclasses import dataclass

from django.conf import settings
from django.utils.functional import SimpleLazyObject


@dataclass(frozen=True)
class Actor:
    staff: str | None = None
    ip: str | None = None
    user_agent: str = ""
    #: "browser", "mobile" (the feature-phone IB) or "admin"
    channel: str = "browser"
    #: the page the act was sent from, when it has a name (a settings page's or a branch operation's hidden
    #: ``attempt``): every audit entry the act writes keeps it, so that the same page sent again (a double
    #: click) is told done instead of doing it twice (accounts.steps.made_by, audit.made_on_page)
    page: str = ""

    def on_page(self, page: str) -> "Actor":
        return dataclasses.replace(self, page=page)

    def name(self, contract=None) -> str:
        """``staff:<username>``, ``customer:<契約者ID>`` (the contract acted on) or ``anonymous``."""
        if self.staff is not None:
            return f"staff:{self.staff}"
        if contract is not None:
            return f"customer:{contract.contract_id}"
        return "anonymous"


def name_of(actor: "Actor | None", contract=None) -> str:
    """The audit log's name of ``actor`` (None: the bank itself, named like a customer acting on it)."""
    return (actor or Actor()).name(contract)


def of_request(request) -> Actor:
    user = getattr(request, "user", None)
    staff = user.get_username() if user is not None and user.is_authenticated and user.is_staff else None
    path = request.path_info or ""
    channel = "mobile" if path.startswith("/m/") else "admin" if path.startswith("/admin/") else "browser"
    return Actor(
        staff=staff,
        ip=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
        channel=channel,
    )


class ActorMiddleware:
    """``request.actor``: built on first use, after authentication (it reads ``request.user``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.actor = SimpleLazyObject(lambda: of_request(request))
        return self.get_response(request)


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, or, behind our proxies, the address they saw.

    Each proxy appends the address it received from to X-Forwarded-For, so
    only the right-most IBANK_PROXY_HOPS entries were written by us; the
    client can put anything to the left of them. A request that does not come
    from a trusted proxy (IBANK_TRUSTED_PROXIES), or has fewer entries than
    hops, did not come through our proxies: REMOTE_ADDR.
    """
    if request is None:
        return None
    remote = request.META.get("REMOTE_ADDR") or None
    if settings.IBANK_BEHIND_PROXY and is_trusted_proxy(remote):
        entries = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(entries) >= settings.IBANK_PROXY_HOPS:
            candidate = entries[-settings.IBANK_PROXY_HOPS]
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                pass
    return remote


def is_trusted_proxy(address: str | None) -> bool:
    """One of IBANK_TRUSTED_PROXIES; an IPv4 address seen through an IPv6 socket (``::ffff:a.b.c.d``) as itself."""
    try:
        return within(address or "", settings.IBANK_TRUSTED_PROXIES)
    except ValueError:
        return False


def within(address: str, networks: list[str]) -> bool:
    """Whether ``address`` (an IPv4 one seen through an IPv6 socket as itself) lies in one of ``networks``."""
    ip = _address(address)
    return any(ip in ipaddress.ip_network(network, strict=False) for network in networks)


def _address(address: str):
    ip = ipaddress.ip_address(address)
    return ip.ipv4_mapped if ip.version == 6 and ip.ipv4_mapped is not None else ip


def network_of(address: str) -> str:
    """Who is behind a client address, for counting: an IPv4 address itself, an IPv6 address's /64 (one
    subscriber's; a single host may use any address in it). An IPv4 client seen through an IPv6 socket
    (``::ffff:a.b.c.d``) is its IPv4 address: the /64 of those would be every IPv4 client at once."""
    ip = _address(address)
    return str(ipaddress.ip_network(f"{ip}/64", strict=False)) if ip.version == 6 else str(ip)
