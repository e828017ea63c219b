"""The passkey pages' steps for tests without a browser, with the software authenticator
(tests/authenticator.py): register one, answer a page's challenge, and change an answer anywhere."""

import base64
import copy
import json
import os

from django.urls import reverse
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from auditlog.models import AuditEntry
from tests.authenticator import Authenticator, b64url
from tests.conftest import TRANSFER_PASSWORD
from tests.helpers import login
from tests.payments.helpers import confirm, enter, same_bank_data

COMPLETE = "passkeys-complete"


def ready_to_register(client, contract, by=None):
    """Logged in from a known browser, the registration authorized with the contract's method: its
    資金移動用パスワード, or the passkey ``by`` (an Authenticator) once it has one."""
    url = reverse("passkeys-authorize")
    if by is None:
        login(client, contract)
    page = client.get(url).context  # its name and its challenge from one page (the challenge is bound to it)
    secret = {"transfer_password": TRANSFER_PASSWORD} if by is None else answer_to(page["form"], by)
    answer = {"attempt": page["attempt"], **secret}
    response = client.post(url, answer)
    assert response.status_code == 302, response.content.decode()[:400]


def begin(client) -> dict:
    response = client.post(reverse("passkeys-begin"), "{}", content_type="application/json")
    assert response.status_code == 200
    return response.json()


def complete(client, answer):
    body = answer if isinstance(answer, str | bytes) else json.dumps(answer)
    return client.post(reverse(COMPLETE), body, content_type="application/json")


def refused_registrations(contract) -> list[str]:
    """The reasons of the contract's refused registrations, as audited."""
    entries = AuditEntry.objects.filter(action="passkey.register", contract=contract, outcome="failed")
    return list(entries.order_by("pk").values_list("reason", flat=True))


def registered(client, contract, authenticator=None, *, by=None) -> Authenticator:
    """A passkey registered through the pages (``by``: the passkey that authorizes it, once there is one)."""
    ready_to_register(client, contract, by)
    authenticator = authenticator or Authenticator()
    response = complete(client, authenticator.create(begin(client)))
    assert response.status_code == 200, response.content.decode()
    return authenticator


def _hostile_values():
    scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40)
    encoded = st.binary(max_size=80).map(b64url)
    return st.recursive(
        scalars | encoded,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=3),
        max_leaves=6,
    )


def _paths(value, path=()):
    """Every place in a JSON value: each key of each object, each item of each list."""
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*path, index))


@st.composite
def changed_answer(draw, answer: dict):
    """``answer`` with one place replaced by a hostile value, removed, or a byte of one of its encoded parts
    flipped (a signature, the authenticator's data, the client data)."""
    changed = copy.deepcopy(answer)
    paths = [p for p in _paths(answer) if p]
    path = draw(st.sampled_from(paths))
    parent = changed
    for step in path[:-1]:
        parent = parent[step]
    how = draw(st.sampled_from(["replace", "remove", "flip"]))
    if how == "remove" and isinstance(parent, dict):
        del parent[path[-1]]
    elif how == "flip" and isinstance(parent[path[-1]], str) and parent[path[-1]]:
        text = parent[path[-1]]
        try:
            raw = bytearray(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        except ValueError:
            raw = bytearray(text.encode())
        if raw:  # a place drawn independently of the length (a signature's varies)
            raw[draw(st.integers(0, 2**16)) % len(raw)] ^= draw(st.integers(1, 255))
        parent[path[-1]] = b64url(bytes(raw))
    else:
        parent[path[-1]] = draw(_hostile_values())
    return changed


EXAMPLES = settings(
    max_examples=int(os.environ.get("IBANK_FUZZ_EXAMPLES", "15")),
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


def confirmed_with_passkey(client, contract, stranger):
    authenticator = registered(client, contract)
    _response, transfer = enter(client, same_bank_data(contract, stranger, amount=1_000))
    confirm(client, transfer)
    url = reverse("transfers-authorize", args=[transfer.reference])
    form = client.get(url).context["form"]
    return authenticator, transfer, url, form.passkey.id, json.loads(form.passkey.options)


def sent(challenge, answer) -> dict:
    """The two fields the passkey button fills: the challenge's id and the answer (as JSON, or as given)."""
    assertion = answer if isinstance(answer, str) else json.dumps(answer)
    return {"passkey_challenge": challenge, "passkey_assertion": assertion}


def answer_to(form, authenticator) -> dict:
    """What the passkey button sends for the challenge ``form``'s page offers."""
    return sent(form.passkey.id, authenticator.get(json.loads(form.passkey.options)))


def passkey_answer(client, url, authenticator) -> dict:
    """What the authorization page at ``url`` sends, answered by ``authenticator``."""
    return answer_to(client.get(url).context["form"], authenticator)
