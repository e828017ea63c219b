"""{% translate %} of a constant remembers its rendering (ibank/i18n_tags.py): it must render exactly what
Django's own tag renders, in every language and setting, however often it is rendered."""

import pytest
from django.template import Context, Engine, Template
from django.utils import translation

CASES = [
    "{% translate 'ログイン' %}",
    "{% translate 'ログイン' noop %}",
    "{% translate 'ログイン' as label %}[{{ label }}]",
    "{% translate '<b>&' %}",
    "{% autoescape off %}{% translate '<b>&' %}{% endautoescape %}",
    "{% translate 'May' context 'month name' %}",
    "{% translate word %}",
    "{% translate word as label %}[{{ label }}]",
    "{% translate 'ログイン'|lower %}",
]
DJANGO = Engine(libraries={"i18n": "django.templatetags.i18n"})  # Django's own


@pytest.mark.parametrize("source", CASES)
def test_it_renders_what_djangos_tag_renders(source):
    ours, django = Template("{% load ibank_i18n %}" + source), DJANGO.from_string("{% load i18n %}" + source)
    for language in ("ja", "en", "ja", "en"):  # each node rendered again, across languages
        for word in ("ログイン", "<i>", "メニュー"):
            with translation.override(language):
                context = {"word": word}
                assert ours.render(Context(context)) == django.render(Context(context))


def test_a_constant_follows_the_active_language():
    template = Template("{% load ibank_i18n %}{% translate 'ログイン' %}")
    for language, expected in (("ja", "ログイン"), ("en", "Log in"), ("ja", "ログイン"), ("en", "Log in")):
        with translation.override(language):
            assert template.render(Context()) == expected


def test_every_template_has_our_tags_without_loading_them_and_djangos_when_it_loads_i18n():
    from django.templatetags.i18n import TranslateNode

    from ibank.i18n_tags import RememberingTranslateNode

    ours = Template("{% translate 'ログイン' %} {{ 1000|yen }}")
    assert [type(node) for node in ours.nodelist if isinstance(node, TranslateNode)] == [RememberingTranslateNode]
    with translation.override("ja"):
        assert ours.render(Context()) == "ログイン 1,000円"
    admin = Template("{% load i18n %}{% translate 'ログイン' %}")  # as the admin's templates do
    assert [type(node) for node in admin.nodelist if isinstance(node, TranslateNode)] == [TranslateNode]
