"""{% url %} of a constant name without arguments remembers what it reversed (ibank/url_tags.py): it must
render exactly what Django's own tag renders, however often it is rendered and under whatever script prefix
or URLconf."""

import pytest
from django.template import Context, Engine, Template
from django.test import override_settings
from django.urls import NoReverseMatch, path, set_script_prefix

from ibank.url_tags import RememberingURLNode

CASES = [
    "{% url 'accounts-menu' %}",
    "{% url 'accounts-login' as login %}[{{ login }}]",
    "{% url 'no-such-page' as missing %}[{{ missing }}]",
    "{% url name %}",
    "{% url 'transfers-confirm' reference %}",
    "{% url 'transfers-confirm' reference=reference %}",
    "{% url 'otp-register' %}?next={% url 'accounts-menu' %}",
    "{% autoescape off %}{% url 'accounts-menu' %}{% endautoescape %}",
]
DJANGO = Engine()  # Django's own tags only


def _render(template, **context):
    return template.render(Context({"name": "accounts-menu", "reference": "26120100000001", **context}))


@pytest.mark.parametrize("source", CASES)
def test_it_renders_what_djangos_tag_renders(source):
    ours, django = Template(source), DJANGO.from_string(source)
    for prefix in ("/", "/ib/", "/", "/ib/"):  # each node rendered again, under another prefix
        set_script_prefix(prefix)
        try:
            assert _render(ours) == _render(django)
        finally:
            set_script_prefix("/")


def test_a_name_that_does_not_reverse_raises_every_time():
    template = Template("{% url 'no-such-page' %}")
    for _ in range(2):
        with pytest.raises(NoReverseMatch):
            _render(template)


def test_another_urlconf_reverses_again():
    template = Template("{% url 'accounts-menu' %}")
    assert _render(template) == "/menu/"
    with override_settings(ROOT_URLCONF=__name__):
        assert _render(template) == "/elsewhere/menu/"
    assert _render(template) == "/menu/"


def test_every_template_has_it_without_loading_it_and_only_constants_are_remembered():
    template = Template("{% url 'accounts-menu' %}{% url name %}")
    nodes = [node for node in template.nodelist if isinstance(node, RememberingURLNode)]
    assert [node.name for node in nodes] == ["accounts-menu", None]


urlpatterns = [path("elsewhere/menu/", lambda request: None, name="accounts-menu")]
