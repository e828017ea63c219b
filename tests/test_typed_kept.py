"""Bad input gets its page back with what was typed (secrets excepted) — at every form of the customer's.

Each form page the fuzz knows (tests/test_fuzz.py) is read as the browser has it; every field a customer types
into is filled with a value of its own that no field accepts, and the form is sent. Where the page comes back
with the form (the input refused), it says why (by the field, or above the form), each typed value stands in
its field again, escaped, and no password or code typed is sent back: not in a field, not anywhere in the
page.
"""

from html.parser import HTMLParser

from django.forms import BaseForm
from django.utils.html import escape

from tests.test_fuzz import _form_cases, world  # noqa: F401 (world: a fixture)

#: What the customer types into; a password or a one-time code is a secret, never sent back.
TYPED = {"text", "tel", "email", "number", "search", "url", None}


class _Form(HTMLParser):
    """The POST forms' fields: (name, type, value) of inputs and textareas, and the selects' names."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.fields: list[tuple[str, str | None, str]] = []
        self._in_post_form = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self._in_post_form = (attributes.get("method") or "").lower() == "post"
        elif self._in_post_form and tag in ("input", "textarea") and attributes.get("name"):
            kind = "textarea" if tag == "textarea" else attributes.get("type")
            if attributes.get("autocomplete") == "one-time-code":
                kind = "password"  # a code is a secret as a password is
            self.fields.append((attributes["name"], kind, attributes.get("value") or ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_post_form = False


def _fields(html: str):
    parser = _Form()
    parser.feed(html)
    return parser.fields


def _refusals(response) -> list:
    """The errors of the forms the page was rendered with."""
    forms = {
        id(v): v for context in response.context or [] for v in context.flatten().values() if isinstance(v, BaseForm)
    }
    return [error for form in forms.values() for errors in form.errors.values() for error in errors]


def _value(name: str) -> str:
    return f"kept-{name}-<ｱ>"  # no field accepts it: letters, a tag's brackets, a full-width kana


def refused_as_typed(cases) -> list[str]:
    """Send each case's form with a value of its own in every field; where the form comes back refused, assert
    what this module says. Returns the names of the cases that came back refused."""
    checked = []
    for name, make_client, url, _declared in cases:
        client = make_client()
        page = client.get(url)
        if page.status_code != 200 or "text/html" not in page["Content-Type"]:
            continue
        fields = _fields(page.content.decode())
        typed = {field: _value(field) for field, kind, _ in fields if kind in TYPED | {"textarea"}}
        secrets = {field: _value(field) for field, kind, _ in fields if kind == "password"}
        if not typed and not secrets:
            continue
        hidden = {field: value for field, kind, value in fields if kind == "hidden"}
        response = client.post(url, {**hidden, **typed, **secrets})
        if response.status_code != 200:
            continue  # not refused as typed (a step that moved on, or a page that sends elsewhere)
        html = response.content.decode()
        refusals = _refusals(response)
        assert refusals, f"{name}: refused without a word"
        for refusal in refusals:
            assert escape(refusal) in html, f"{name}: {refusal!r} not shown"
        shown = {field: value for field, _kind, value in _fields(html)}
        for field, value in typed.items():
            assert shown.get(field) == value, f"{name}: {field} came back as {shown.get(field)!r}"
        for field, value in secrets.items():
            assert value not in html and "kept-" + field not in html, f"{name}: the secret {field} was sent back"
        checked.append(name)
    return checked


def test_a_refused_form_comes_back_with_what_was_typed_and_never_a_secret(world):  # noqa: F811
    checked = refused_as_typed(_form_cases(world))
    # The pages this must reach (the ones whose refused input comes back): a case lost would shrink it silently.
    assert {"login", "transfer input", "limit", "email", "password change", "payeasy numbers"} <= set(checked)
    assert len(checked) >= 25, checked


def test_the_same_in_english(world, settings):  # noqa: F811
    def in_english(make_client):
        def made():
            client = make_client()
            client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
            return client

        return made

    cases = [(name, in_english(make), url, declared) for name, make, url, declared in _form_cases(world)]
    assert '<html lang="en"' in cases[0][1]().get(cases[0][2]).content.decode()  # the pages are English
    checked = refused_as_typed(cases)
    assert len(checked) >= 25, checked
