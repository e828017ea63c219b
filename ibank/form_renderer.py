"""Django's form renderer, with the ``<input>`` widgets written in Python.

Django renders each widget through templates: ``text.html`` includes ``input.html``, which includes
``attrs.html`` and loops over the attributes, each value through ``stringformat``. About 0.15 ms a field
here, the login page's two fields a fifth of its CPU. The input widgets' templates say one thing, so
:class:`Renderer` writes it directly, escaping as the template does; every other template (selects,
radios, textareas, the form and field layouts) is Django's. ``tests/ibank/test_form_renderer.py`` holds it
to what Django's renderer produces for every field of every form of ours, and to Django's own
``input.html`` (no app may override the templates it writes).
"""

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData

#: widget templates that are ``{% include "django/forms/widgets/input.html" %}`` and nothing else
INPUT_TEMPLATES = frozenset(
    f"django/forms/widgets/{name}.html"
    for name in ("text", "password", "hidden", "number", "email", "tel", "url", "search", "date", "time",
                 "datetime", "color")
)  # fmt: skip


class Renderer(DjangoTemplates):
    def render(self, template_name, context, request=None):
        if template_name in INPUT_TEMPLATES:
            return _input(context["widget"])
        return super().render(template_name, context, request)


def _input(widget: dict) -> str:
    """input.html and attrs.html, as the templates render them (autoescaped; ``stringformat:'s'``)."""
    parts = ['<input type="', conditional_escape(widget["type"]), '" name="', conditional_escape(widget["name"]), '"']
    if widget["value"] != None:  # noqa: E711 (the template's comparison, which an object may define)
        parts += [' value="', _string(widget["value"]), '"']
    for name, value in widget["attrs"].items():
        if value is not False:
            parts += [" ", conditional_escape(name)]
            if value is not True:
                parts += ['="', _string(value), '"']
    parts.append(">")
    return "".join(parts)


def _string(value) -> str:
    """``{{ value|stringformat:'s' }}``: the value as text (a tuple as its repr), kept safe if it was."""
    if isinstance(value, SafeData):  # the filter keeps a safe string safe: as it is
        return conditional_escape(value)
    return conditional_escape("%s" % (str(value) if isinstance(value, tuple) else value))
