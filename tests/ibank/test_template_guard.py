"""The guard every test runs under (tests/template_guard.py) sees a lookup its object cannot answer, and only
that."""

from django.template import Context, Template

from tests.template_guard import missing_attributes


class Token:
    token_id = "SMBL12345678"


def _found(source: str, **context) -> list[str]:
    with missing_attributes() as found:
        Template(source).render(Context(context))
    return found


def test_an_attribute_the_object_lacks_is_found_in_output_and_in_a_condition():
    assert _found("{{ token.policy }}", token=Token()) == ["'policy' of Token in unknown"]
    assert _found("{% if not token.policy.is_usable %}expired{% endif %}", token=Token())
    assert _found("{{ page.object_list }}", page=None)


def test_what_the_object_has_and_a_name_the_context_lacks_are_not():
    assert _found("{{ token.token_id }}", token=Token()) == []
    assert _found("{% if steps %}{{ steps }}{% endif %}{{ missing }}") == []
    assert _found("{{ row.absent }}", row={"present": 1}) == []  # an optional key of a dict
