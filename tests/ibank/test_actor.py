"""The actor every service takes instead of the request (issue 15), and where audit entries are written."""

import ast
from pathlib import Path

from django.test import RequestFactory

from ibank.actor import Actor, name_of, of_request

ROOT = Path(__file__).resolve().parents[2]


class _User:
    def __init__(self, username, *, staff):
        self.username, self.is_staff, self.is_authenticated = username, staff, True

    def get_username(self):
        return self.username


def test_a_request_gives_its_actor_once():
    request = RequestFactory().post("/m/menu/", REMOTE_ADDR="203.0.113.5", HTTP_USER_AGENT="Phone/1.0")
    request.user = _User("1234567890", staff=False)
    actor = of_request(request)
    assert actor == Actor(staff=None, ip="203.0.113.5", user_agent="Phone/1.0", channel="mobile")
    admin = RequestFactory().post("/admin/x/", REMOTE_ADDR="198.51.100.1")
    admin.user = _User("madoguchi", staff=True)
    assert of_request(admin).name() == "staff:madoguchi" and of_request(admin).channel == "admin"


def test_a_customer_is_named_by_the_contract_acted_on():
    class Contract:
        contract_id = "1234567890"

    assert name_of(Actor(), Contract()) == "customer:1234567890"
    assert name_of(None, None) == "anonymous"
    assert name_of(Actor(staff="yakuseki"), Contract()) == "staff:yakuseki"


def test_the_middleware_sets_the_actor_on_every_request(client, contract):
    from auditlog.models import AuditEntry

    client.post("/login/", {"contract_id": contract.contract_id, "password": "Wrong123"}, REMOTE_ADDR="192.0.2.44")
    entry = AuditEntry.objects.get(action="login.password")
    assert entry.ip == "192.0.2.44" and entry.actor == f"customer:{contract.contract_id}"


def _calls_audit(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("record", "entry")
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "audit"
    ]


def test_audit_entries_are_written_by_services_only():
    """Views, forms, the admin and the URL-facing modules never write the audit log themselves."""
    facing = [
        p
        for p in ROOT.glob("*/*.py")
        if p.parent.name not in ("tests", "bench", ".venv")
        and (
            p.name in ("views.py", "forms.py", "admin.py", "flows.py", "login.py", "menu.py", "steps.py")
            or p.name.endswith("_views.py")
        )
    ]
    assert len(facing) > 10
    offenders = {str(p.relative_to(ROOT)): lines for p in facing if (lines := _calls_audit(p))}
    assert offenders == {}
