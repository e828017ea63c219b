"""Hostile input at the branch's pages: a clerk's operation, a 役席's decision, the staff enrolment, and every
admin page's list (search, filters, ordering, page) and form — no server error, nothing reflected unescaped
(tests/test_fuzz.py does the same for the customer's pages)."""

import os

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from accounts.models import User
from ibank.admin import SEARCH_MAX_LENGTH, admin_site
from tests.helpers import as_staff
from tests.test_fuzz import EXAMPLES, FUZZ, _check, hostile_text, post_hostile

pytestmark = pytest.mark.usefixtures("client_errors_not_kept")  # tests/conftest.py

#: What Django's admin reads from a list's query string, beside each list's own filters.
LIST_PARAMETERS = ["q", "o", "p", "e", "all", "_to_field", "_popup"]


@pytest.fixture
def branch(db, maker, checker, token_contract):
    from branch import services

    reset = services.token_reset_request(
        actor=None, staff=maker, contract=token_contract, reason="スマートフォン故障", reference="R-1"
    )
    superuser = User.objects.create_superuser("kanri", password="kanri-pass-123")
    return {"maker": maker, "checker": checker, "superuser": superuser, "contract": token_contract, "reset": reset}


def _staff_client(user):
    from django.test import Client

    return lambda: as_staff(Client(raise_request_exception=True), user)


def _branch_forms(branch):
    """(name, client maker, URL, fields) of the branch's own forms."""
    contract = branch["contract"]
    return [
        ("operate", _staff_client(branch["maker"]), reverse("admin:branch-operate", args=[contract.pk]), []),
        (
            "decide",
            _staff_client(branch["checker"]),
            reverse("admin:branch-decide", args=[branch["reset"].pk]),
            ["approve", "reject", "withdraw", "comment", "attempt"],
        ),
        (
            "enrollment code",
            _staff_client(branch["superuser"]),
            reverse("admin:staff-enrollment-code", args=[branch["maker"].pk]),
            ["attempt"],
        ),
        ("enroll", _staff_client(branch["maker"]), reverse("admin:staff-enroll"), ["code", "otp_token"]),
    ]


def _admin_forms(branch):
    """(name, client maker, URL, fields) of each admin page's add and change forms, as the superuser."""
    superuser, cases = _staff_client(branch["superuser"]), []
    for model in admin_site._registry:
        opts = model._meta
        prefix = f"admin:{opts.app_label}_{opts.model_name}"
        cases.append((f"add {opts.label}", superuser, reverse(f"{prefix}_add"), []))
        if (first := model.objects.order_by("pk").first()) is not None:
            cases.append((f"change {opts.label}", superuser, reverse(f"{prefix}_change", args=[first.pk]), []))
    return cases


@FUZZ
@given(data=st.data())
def test_hostile_values_at_the_branchs_forms(branch, data):
    post_hostile(branch, _branch_forms(branch), data)


#: Django's own forms, rendered heavily (28 pages): a few examples in ``make test``, all in ``make fuzz``.
ADMIN_FORMS = hsettings(FUZZ, max_examples=EXAMPLES if "IBANK_FUZZ_EXAMPLES" in os.environ else 5)


@ADMIN_FORMS
@given(data=st.data())
def test_hostile_values_at_every_admin_form(branch, data):
    post_hostile(branch, _admin_forms(branch), data)


def _parameter(spec) -> str:
    """The query parameter a list filter reads: a field's (its exact lookup) or a filter class's own."""
    if isinstance(spec, tuple):
        spec = spec[0]
    return f"{spec}__exact" if isinstance(spec, str) else spec.parameter_name


def _lists():
    """(URL, the query parameters it reads) of every admin list."""
    for model, model_admin in admin_site._registry.items():
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        yield url, LIST_PARAMETERS + [_parameter(spec) for spec in model_admin.list_filter or ()]


@FUZZ
@given(data=st.data())
def test_hostile_query_strings_at_every_admin_list(branch, data):
    client = _staff_client(branch["superuser"])()
    for url, names in _lists():
        _check(client.get(url, {name: data.draw(hostile_text) for name in names}))


def test_a_nul_in_a_lists_query_is_answered_as_a_lookup_django_cannot_run(branch):
    """No one types a NUL; PostgreSQL refuses it in text, and every list filtered by one was a server error."""
    client = _staff_client(branch["superuser"])()
    for url, names in _lists():
        for name in names:
            response = client.get(url, {name: "x\x00"})
            assert (response.status_code, response["Location"]) == (302, f"{url}?e=1"), (url, name)
        assert client.get(f"{url}?e=1").status_code == 200


def test_a_relation_named_as_the_field_to_return_is_refused_as_any_field_it_may_not_name(branch):
    """``_to_field`` (the field a related-object popup returns) naming a relation that points at the model, such
    as a contract's ``passkey_challenges``, is refused as a field that does not exist is (400): never a server
    error. Found by the fuzz at 150 examples: Django 5.2 asked the relation whether it was the primary key."""
    client = _staff_client(branch["superuser"])()
    contract = branch["contract"]
    pages = [
        reverse("admin:accounts_contract_changelist"),
        reverse("admin:accounts_contract_change", args=[contract.pk]),
    ]
    for url in pages:
        for name in ("passkey_challenges", "no_such_field"):
            assert client.get(url, {"_to_field": name}).status_code == 400, (url, name)
        assert client.get(url, {"_to_field": "id"}).status_code == 200, url


def test_a_logged_out_visit_with_a_query_too_long_to_come_back_to_leads_to_the_login_without_it(db):
    """Django's admin sent a logged-out visitor to the login with the whole address as next: with a query of
    100,000 characters a 400, and an error in the log. The login comes back to the list without its query."""
    from django.test import Client

    url = reverse("admin:auditlog_auditentry_changelist")
    response = Client().get(url, {"q": "[" * 100_000})
    assert (response.status_code, response["Location"]) == (302, f"{reverse('admin:login')}?next={url}")
    response = Client().get(url, {"q": "1"})
    assert response["Location"] == f"{reverse('admin:login')}?next={url}%3Fq%3D1"


def test_a_search_longer_than_a_list_runs_is_refused_with_its_limit_and_the_filters_kept(branch):
    """Each word of a search is a LIKE a searched field, and SQLite refuses a pattern over 50,000 bytes: the fuzz
    found a search of 100,000 '[' a server error at the contract list. The clerk is told how long a search may be,
    and the longest search it runs, word after word, is answered."""
    client = _staff_client(branch["superuser"])()
    searched = [model for model, model_admin in admin_site._registry.items() if model_admin.search_fields]
    assert len(searched) >= 10
    for model in searched:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        response = client.get(url, {"q": "[" * 100_000, "o": "1"})
        assert (response.status_code, response["Location"]) == (302, f"{url}?o=1"), url
        page = client.get(response["Location"]).content.decode()
        assert f"検索語は{SEARCH_MAX_LENGTH}文字以内で入力してください。" in page, url
        longest = ("ﾔﾏﾀﾞ 12 " * SEARCH_MAX_LENGTH)[:SEARCH_MAX_LENGTH]
        response = client.get(url, {"q": longest})
        assert response.status_code == 200, url
        assert "文字以内で入力してください" not in response.content.decode(), url
