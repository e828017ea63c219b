"""What every HTML page Django answers in the tests must hold together (tests/conftest.py runs it on each one,
the test client's and the live server's).

- No id twice: a label, an error or a skip link would point at the wrong element (the お客様カード page once
  carried its hidden field twice).
- Every reference to an id finds it: ``<label for>``, ``aria-describedby`` / ``aria-labelledby`` /
  ``aria-controls`` and ``href="#…"``. Django points a field with errors or help text at
  ``id_<field>_error`` / ``id_<field>_helptext``; a template that shows them without those ids leaves a screen
  reader with nothing to read.
"""

from collections import Counter
from html.parser import HTMLParser

_REFERENCES = ("aria-describedby", "aria-labelledby", "aria-controls")

#: Django's own admin templates, which we do not write: the user change page's password field names a help
#: text its read-only widget renders without the id.
KNOWN = {("aria-describedby", "id_password_helptext")}


class _Ids(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: Counter = Counter()
        self.references: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids[attributes["id"]] += 1
        if tag == "label" and attributes.get("for"):
            self.references.append(("label for", attributes["for"]))
        for name in _REFERENCES:
            self.references += [(name, target) for target in (attributes.get(name) or "").split()]
        href = attributes.get("href") or ""
        if tag == "a" and href.startswith("#") and len(href) > 1:
            self.references.append(("href", href[1:]))


def problems(html: str) -> list[str]:
    """What is wrong with ``html``'s ids, in words (empty: nothing)."""
    parser = _Ids()
    parser.feed(html)
    found = [f"id {name!r} {count} times" for name, count in parser.ids.items() if count > 1]
    found += [
        f"{kind} {target!r} names no element"
        for kind, target in parser.references
        if target not in parser.ids and (kind, target) not in KNOWN
    ]
    return found
