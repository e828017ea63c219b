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


_FACING_BASES = {"Form", "ModelForm", "IbankForm", "ModelAdmin", "UserAdmin"}


def _audit_in_views_or_forms(path: Path) -> list[int]:
    """Audit calls inside a view function (``*_view``) or a form or admin class, whatever the module's name."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []

    def visit(node, facing: bool):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.endswith("_view"):
            facing = True
        if isinstance(node, ast.ClassDef):
            bases = {b.attr if isinstance(b, ast.Attribute) else getattr(b, "id", "") for b in node.bases}
            facing = facing or bool(bases & _FACING_BASES)
        if (
            facing
            and isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("record", "entry")
            and getattr(node.func.value, "id", "") == "audit"
        ):
            found.append(node.lineno)
        for child in ast.iter_child_nodes(node):
            visit(child, facing)

    visit(tree, False)
    return found


def test_no_view_or_form_writes_the_audit_log_whatever_its_module_is_called():
    """The check above goes by module name; a view or a form in a module named otherwise (accounts/staff.py
    held the admin's login form and the enrolment view, both writing audit entries) is found here."""
    modules = [
        p
        for p in ROOT.glob("*/**/*.py")
        if p.relative_to(ROOT).parts[0] not in ("tests", "bench", ".venv", "docs")
        and "migrations" not in p.parts
        and ".venv" not in p.parts
    ]
    assert len(modules) > 50
    offenders = {str(p.relative_to(ROOT)): lines for p in modules if (lines := _audit_in_views_or_forms(p))}
    assert offenders == {}
