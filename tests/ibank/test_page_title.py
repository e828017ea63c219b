"""A page names itself once, in its ``title`` block; each layout shows that name again as the page's one
``<h1>`` (``{% page_title %}``)."""

import re

import pytest
from django.template import Context, loader

from tests.helpers import login


def title_and_headings(html: str) -> tuple[str, list[str]]:
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    return title, [re.sub(r"<[^>]+>|\s+", "", h) for h in re.findall(r"<h1[^>]*>(.*?)</h1>", html, re.S)]


@pytest.mark.parametrize(
    "path, name",
    [
        ("/login/", "ログイン"),  # narrow.html
        ("/nowhere/", "ページが見つかりません"),  # narrow.html, the 404 handler
        ("/m/", "ログイン"),  # mobile/base.html
    ],
)
def test_anonymous_pages_show_their_title_as_the_heading(client, db, path, name):
    title, headings = title_and_headings(client.get(path).content.decode())
    assert title.startswith(name)
    assert headings == [name]


def test_a_transfer_page_shows_its_title_as_the_heading(client, contract):
    login(client, contract)
    title, headings = title_and_headings(client.get("/email/").content.decode())
    assert title.startswith("メールアドレス変更")
    assert headings == ["メールアドレス変更"]


def test_the_plain_error_pages_show_their_title_as_the_heading():
    """500.html is rendered with an empty context, by Django's own handler."""
    title, headings = title_and_headings(loader.get_template("500.html").template.render(Context()))
    assert title == "ただいまご利用いただけません"
    assert headings == ["ただいまご利用いただけません"]
