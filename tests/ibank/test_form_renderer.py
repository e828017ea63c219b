"""The <input> widgets written in Python (ibank/form_renderer.py) produce exactly what Django's templates
produce, for every kind of value and attribute, and the templates they stand for are still Django's own."""

import datetime

import pytest
from django import forms
from django.conf import settings
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from ibank.form_renderer import INPUT_TEMPLATES, Renderer

WIDGETS = [
    forms.TextInput(),
    forms.TextInput(attrs={"inputmode": "numeric", "maxlength": "4", "size": "6", "autocomplete": "off"}),
    forms.PasswordInput(),
    forms.PasswordInput(render_value=True, attrs={"autocomplete": "current-password"}),
    forms.HiddenInput(),
    forms.NumberInput(attrs={"min": 0, "step": 1}),
    forms.EmailInput(attrs={"autocomplete": "email"}),
    forms.URLInput(),
    forms.DateInput(attrs={"type": "date"}),
    forms.TimeInput(),
    forms.DateTimeInput(),
]
VALUES = ["", None, "abc", "<b>\"'&", mark_safe("<i>safe</i>"), 0, 123, ("a", 1), gettext_lazy("ログイン"),
          datetime.date(2026, 12, 1), datetime.time(9, 30), "全角　ｶﾅ"]  # fmt: skip
ATTRS = [
    None,
    {"id": "id_x", "required": True, "disabled": False, "aria-describedby": "id_x_helptext id_x_error"},
    {"class": '"quoted" & <tag>', "data-safe": mark_safe("&amp;"), "maxlength": 5, "autofocus": True},
    {"aria-invalid": "true", "title": gettext_lazy("ログイン"), "pattern": "[0-9]{4}", "tabindex": 0},
]


@pytest.mark.parametrize("widget", WIDGETS, ids=lambda w: type(w).__name__)
def test_each_input_renders_what_djangos_templates_render(widget):
    ours, django = Renderer(), DjangoTemplates()
    for value in VALUES:
        for attrs in ATTRS:
            assert widget.render("field", value, attrs, renderer=ours) == widget.render(
                "field", value, attrs, renderer=django
            ), (value, attrs)


CHOICES = [
    [(1, "普通"), (2, "当座"), (4, "貯蓄")],
    [("", "すべて"), ("done", "振込済"), ("<b>", mark_safe("<i>safe</i>")), (3, gettext_lazy("ログイン"))],
    [("口座", [(1, "普通"), (2, "当座")]), ("その他", [("x", '"quoted" & <tag>')]), (9, "単独")],
    [],
]
CHOICE_WIDGETS = [
    lambda choices: forms.RadioSelect(choices=choices),
    lambda choices: forms.RadioSelect(choices=choices, attrs={"class": "inline", "required": True}),
    lambda choices: forms.CheckboxSelectMultiple(choices=choices),
    lambda choices: forms.Select(choices=choices),
    lambda choices: forms.Select(choices=choices, attrs={"class": "wide", "aria-describedby": "x_helptext"}),
    lambda choices: forms.SelectMultiple(choices=choices),
]


@pytest.mark.parametrize("make", CHOICE_WIDGETS)
@pytest.mark.parametrize("choices", CHOICES)
def test_each_choice_widget_renders_what_djangos_templates_render(make, choices):
    widget = make(choices)
    ours, django = Renderer(), DjangoTemplates()
    for value in (None, "", 1, "1", "done", "<b>", ["1", "x"], 9):
        for attrs in (None, {"id": "id_kind"}, {"id": 'id_"k"', "disabled": True}):
            got = widget.render("kind", value, attrs, renderer=ours)
            assert got == widget.render("kind", value, attrs, renderer=django), (value, attrs)


def test_the_forms_render_with_it_and_other_widgets_are_djangos():
    assert settings.FORM_RENDERER == "ibank.form_renderer.Renderer"
    assert isinstance(get_default_renderer(), Renderer)
    area = forms.Textarea()
    assert area.render("memo", "<b>", renderer=Renderer()) == area.render("memo", "<b>", renderer=DjangoTemplates())


INPUT_SOURCE = (
    '<input type="{{ widget.type }}" name="{{ widget.name }}"{% if widget.value != None %}'
    " value=\"{{ widget.value|stringformat:'s' }}\"{% endif %}"
    '{% include "django/forms/widgets/attrs.html" %}>\n'
)
ATTRS_SOURCE = (
    "{% for name, value in widget.attrs.items %}{% if value is not False %} {{ name }}"
    "{% if value is not True %}=\"{{ value|stringformat:'s' }}\"{% endif %}{% endif %}{% endfor %}"
)


MULTIPLE_SOURCE = (
    '{% with id=widget.attrs.id %}<div{% if id %} id="{{ id }}"{% endif %}{% if widget.attrs.class %}'
    ' class="{{ widget.attrs.class }}"{% endif %}>{% for group, options, index in widget.optgroups %}{% if group %}\n'
    "  <div><label>{{ group }}</label>{% endif %}{% for option in options %}<div>\n"
    "    {% include option.template_name with widget=option %}</div>{% endfor %}{% if group %}\n"
    "  </div>{% endif %}{% endfor %}\n"
    "</div>{% endwith %}\n"
)
INPUT_OPTION_SOURCE = (
    '{% if widget.wrap_label %}<label{% if widget.attrs.id %} for="{{ widget.attrs.id }}"{% endif %}>{% endif %}'
    '{% include "django/forms/widgets/input.html" %}{% if widget.wrap_label %} {{ widget.label }}</label>{% endif %}\n'
)
SELECT_SOURCE = (
    '<select name="{{ widget.name }}"{% include "django/forms/widgets/attrs.html" %}>'
    "{% for group_name, group_choices, group_index in widget.optgroups %}{% if group_name %}\n"
    '  <optgroup label="{{ group_name }}">{% endif %}{% for option in group_choices %}\n'
    "  {% include option.template_name with widget=option %}{% endfor %}{% if group_name %}\n"
    "  </optgroup>{% endif %}{% endfor %}\n"
    "</select>\n"
)
SELECT_OPTION_SOURCE = (
    '<option value="{{ widget.value|stringformat:\'s\' }}"{% include "django/forms/widgets/attrs.html" %}>'
    "{{ widget.label }}</option>\n"
)


def test_the_choice_templates_it_stands_for_are_still_djangos():
    engine = DjangoTemplates().engine

    def source(name):
        template = engine.get_template(f"django/forms/widgets/{name}.html")
        assert "/django/forms/templates/django/forms/widgets/" in str(template.origin.name)
        return template.template.source

    include = '{%% include "django/forms/widgets/%s.html" %%}\n'
    assert source("radio") == source("checkbox_select") == include % "multiple_input"
    assert source("radio_option") == source("checkbox_option") == include % "input_option"
    assert source("multiple_input") == MULTIPLE_SOURCE
    assert source("input_option") == INPUT_OPTION_SOURCE
    assert source("select") == SELECT_SOURCE
    assert source("select_option") == SELECT_OPTION_SOURCE


@pytest.mark.parametrize("name", sorted(INPUT_TEMPLATES))
def test_what_it_writes_is_still_what_the_templates_say(name):
    """Each template it stands for is Django's (no app overrides it) and includes input.html only; input.html
    and attrs.html are as written above. A Django upgrade or an app's override that changes them fails here."""
    engine = DjangoTemplates().engine
    template = engine.get_template(name)
    assert "/django/forms/templates/django/forms/widgets/" in str(template.origin.name)
    assert template.template.source == '{% include "django/forms/widgets/input.html" %}\n'
    assert engine.get_template("django/forms/widgets/input.html").template.source == INPUT_SOURCE
    assert engine.get_template("django/forms/widgets/attrs.html").template.source == ATTRS_SOURCE
