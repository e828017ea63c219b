"""Checking a page as a customer meets it on a phone (issue 11): no sideways scrolling at 320 and 375 px,
and no serious or critical axe-core violation. Used by the every-page walk and by the tests of pages it
cannot reach (a passkey login, the desktop token's authorizing box)."""

from contextlib import suppress
from urllib.parse import urlsplit

from axe_playwright_python.sync_playwright import Axe
from django.urls import Resolver404, resolve

WIDTHS = (320, 375)
AXE_SCRIPT = Axe().axe_script
# axe.run in the page, answering only what a problem names: its whole result (every rule that passed or did not
# apply, each with a node's HTML) crossed to Python and was parsed and checked there, a quarter of axe's time.
AXE_VIOLATIONS = """(options) => axe.run(document, options).then((results) => results.violations.map(
    (v) => ({id: v.id, impact: v.impact, targets: v.nodes.slice(0, 3).map((node) => node.target)})))"""


class Walker:
    """Checks the page the browser is on; collects every problem, so that one run shows them all."""

    def __init__(self, page, base: str = "", *, preload: bool = True):
        self.page = page
        self.base = base  # the live server's address, for visit()
        # preload=False: axe does not fetch the page's style sheets itself (on the admin's pages its fallback
        # applies an inline style, which the CSP refuses: a console error that is axe's, not the page's)
        self.axe_options = {"resultTypes": ["violations"], "preload": preload}
        self.problems: list[str] = []
        self.checked: list[str] = []
        self.views: set[str] = set()  # the URL names of the pages checked (tests/test_every_page.py)

    def check(self, label: str) -> None:
        page = self.page
        page.wait_for_load_state("load")
        self.checked.append(label)
        with suppress(Resolver404):  # a page not found is checked as such, and names no view
            self.views.add(resolve(urlsplit(page.url).path).view_name)
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 800})
            scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            if scroll > inner:
                wide = page.evaluate(
                    """(w) => [...document.querySelectorAll('body *')]
                        .filter((e) => e.getBoundingClientRect().right > w + 1)
                        .slice(0, 3).map((e) => e.tagName + '.' + e.className)""",
                    inner,
                )
                self.problems.append(f"{label} at {width}px: {scroll} > {inner} {wide}")
        page.set_viewport_size({"width": 375, "height": 800})
        page.evaluate(AXE_SCRIPT)
        for violation in page.evaluate(AXE_VIOLATIONS, self.axe_options):
            if violation["impact"] in ("serious", "critical"):
                self.problems.append(f"{label}: axe {violation['id']} ({violation['impact']}) {violation['targets']}")

    def visit(self, path: str, label: str) -> None:
        """Go to ``path`` on the live server and check the page there."""
        self.page.goto(self.base + path)
        self.check(label)

    def press(self, button: str, label: str, *, exact: bool = False) -> None:
        """Press the button named ``button`` and check the page it leads to."""
        self.page.get_by_role("button", name=button, exact=exact).click()
        self.check(label)

    def assert_fine(self, label: str) -> None:
        """Check the page now and fail at once on any problem."""
        self.check(label)
        assert not self.problems, self.problems
