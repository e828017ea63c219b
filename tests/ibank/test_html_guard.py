"""The check every HTML page of the suite goes through (tests/html_guard.py) finds what it should, only that."""

from tests.html_guard import problems


def test_a_page_that_holds_together_has_no_problem():
    page = (
        '<a href="#main">skip</a><main id="main"><label for="id_x">X</label>'
        '<input id="id_x" aria-describedby="id_x_helptext id_x_error"><p id="id_x_helptext">help</p>'
        '<ul id="id_x_error"><li>error</li></ul><a href="#">top</a><a href="/menu/">menu</a></main>'
    )
    assert problems(page) == []


def test_a_twice_used_id_and_references_to_nothing_are_found():
    page = (
        '<input type="hidden" id="id_card_cells"><p><input type="hidden" id="id_card_cells"></p>'
        '<label for="id_amount">金額</label><input id="id_x" aria-describedby="id_x_error">'
        '<a href="#content">skip</a><button aria-controls="menu">menu</button>'
    )
    assert problems(page) == [
        "id 'id_card_cells' 2 times",
        "label for 'id_amount' names no element",
        "aria-describedby 'id_x_error' names no element",
        "href 'content' names no element",
        "aria-controls 'menu' names no element",
    ]
