"""Django's form renderer, with the commonest widgets written in Python.

Django renders each widget through templates: ``text.html`` includes ``input.html``, which includes
``attrs.html`` and loops over the attributes, each value through ``stringformat``; a radio group or a select
includes a template per option. About 0.15 ms a text field here (the login page's two fields were a fifth of
its CPU) and 0.3 ms a select or a radio group (照会's two selects were a third). Those templates say one fixed thing, so
:class:`Renderer` writes it directly, each value rendered as a template renders it
(``render_value_in_context``: localized, escaped unless safe); any other template (textareas, the form and
field layouts, an option with a template of its own) is Django's. ``tests/ibank/test_form_renderer.py``
holds it to Django's renderer, byte for byte, and to the text of the templates it stands for (no app may
override them; an upgrade that changes them fails there).
"""

from django.forms.renderers import DjangoTemplates
from django.template import Context
from django.template.base import render_value_in_context
from django.utils.safestring import SafeData

_WIDGETS = "django/forms/widgets/"
#: widget templates that are ``{% include "django/forms/widgets/input.html" %}`` and nothing else
INPUT_TEMPLATES = frozenset(
    f"{_WIDGETS}{name}.html"
    for name in ("text", "password", "hidden", "number", "email", "tel", "url", "search", "date", "time",
                 "datetime", "color")
)  # fmt: skip
#: ``{% include "django/forms/widgets/multiple_input.html" %}``, each option through input_option.html
MULTIPLE_TEMPLATES = {f"{_WIDGETS}radio.html": "radio_option", f"{_WIDGETS}checkbox_select.html": "checkbox_option"}
SELECT_TEMPLATE = f"{_WIDGETS}select.html"

_CONTEXT = Context(autoescape=True)  # what a template's {{ value }} is rendered with


class Renderer(DjangoTemplates):
    def render(self, template_name, context, request=None):
        widget = context.get("widget")
        if template_name in INPUT_TEMPLATES:
            return _input(widget)
        option = MULTIPLE_TEMPLATES.get(template_name)
        if option and _options_are(widget, f"{_WIDGETS}{option}.html"):
            return _multiple(widget).strip()
        if template_name == SELECT_TEMPLATE and _options_are(widget, f"{_WIDGETS}select_option.html"):
            return _select(widget).strip()
        return super().render(template_name, context, request)


def _v(value) -> str:
    """``{{ value }}``."""
    return render_value_in_context(value, _CONTEXT)


def _s(value) -> str:
    """``{{ value|stringformat:'s' }}``: the value as text (a tuple as its repr), kept safe if it was."""
    if isinstance(value, SafeData):
        return _v(value)
    return _v("%s" % (str(value) if isinstance(value, tuple) else value))


def _attrs(attrs: dict) -> str:
    """attrs.html."""
    parts = []
    for name, value in attrs.items():
        if value is not False:
            parts += [" ", _v(name)]
            if value is not True:
                parts += ['="', _s(value), '"']
    return "".join(parts)


def _input(widget: dict) -> str:
    """input.html (without its last line's end)."""
    value = "" if widget["value"] == None else f' value="{_s(widget["value"])}"'  # noqa: E711 (as the template)
    return f'<input type="{_v(widget["type"])}" name="{_v(widget["name"])}"{value}{_attrs(widget["attrs"])}>'


def _options_are(widget, template_name: str) -> bool:
    return all(o["template_name"] == template_name for _group, options, _i in widget["optgroups"] for o in options)


def _option(option: dict) -> str:
    """radio_option.html / checkbox_option.html: input_option.html, then a line's end."""
    html = _input(option) + "\n"
    if option["wrap_label"]:
        for_id = f' for="{_v(option["attrs"]["id"])}"' if option["attrs"].get("id") else ""
        html = f"<label{for_id}>{html} {_v(option['label'])}</label>"
    return html + "\n\n"


def _multiple(widget: dict) -> str:
    """multiple_input.html."""
    attrs = widget["attrs"]
    parts = ["<div", f' id="{_v(attrs["id"])}"' if attrs.get("id") else ""]
    parts += [f' class="{_v(attrs["class"])}"' if attrs.get("class") else "", ">"]
    for group, options, _index in widget["optgroups"]:
        if group:
            parts.append(f"\n  <div><label>{_v(group)}</label>")
        parts += [f"<div>\n    {_option(option)}</div>" for option in options]
        if group:
            parts.append("\n  </div>")
    parts.append("\n</div>\n")
    return "".join(parts)


def _select(widget: dict) -> str:
    """select.html, each option by select_option.html."""
    parts = [f'<select name="{_v(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group, options, _index in widget["optgroups"]:
        if group:
            parts.append(f'\n  <optgroup label="{_v(group)}">')
        parts += [
            f'\n  <option value="{_s(o["value"])}"{_attrs(o["attrs"])}>{_v(o["label"])}</option>\n' for o in options
        ]
        if group:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>\n")
    return "".join(parts)
