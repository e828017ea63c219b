"""Django's ``i18n`` template library with one change, a builtin of our templates (settings.TEMPLATES'
``builtins``; also loadable as ``ibank_i18n``): ``{% translate "a constant" %}`` remembers what it rendered, per
language and autoescaping. (Installed under Django's own name it would draw a system-check warning on
every command; the admin's templates keep Django's.)

Django's tag looks its message up in the catalogue on every render (the active translation from an
asgiref ``Local``, the lookup, localization and escaping), about 20 µs a tag here; a page has 20–40 of
them (a paired in-process measurement: 1–9% of a page's CPU, docs/performance.md). A constant's
translation cannot change while the process runs (the catalogues are read once), so the node keeps the
result. A tag with a variable, a filter or a message context is Django's, unchanged.
tests/ibank/test_i18n_tags.py holds it to what Django's own tag renders.
"""

from django.template import Library
from django.templatetags import i18n
from django.utils import translation

register = Library()
register.tags.update(i18n.register.tags)
register.filters.update(i18n.register.filters)


class RememberingTranslateNode(i18n.TranslateNode):
    """A TranslateNode that keeps its rendered value per (language, autoescape) when it is a constant."""

    def __init__(self, filter_expression, noop, asvar=None, message_context=None):
        super().__init__(filter_expression, noop, asvar, message_context)
        var = self.filter_expression.var
        self.constant = message_context is None and not self.filter_expression.filters and var.literal is not None
        self.rendered = {}

    def render(self, context):
        if not self.constant:
            return super().render(context)
        key = (translation.get_language(), context.autoescape)
        value = self.rendered.get(key)
        if value is None:
            asvar, self.asvar = self.asvar, None  # the value itself, not the empty output of an "as" tag
            try:
                value = self.rendered[key] = super().render(context)
            finally:
                self.asvar = asvar
        if self.asvar:
            context[self.asvar] = value
            return ""
        return value


@register.tag("translate")
@register.tag("trans")
def do_translate(parser, token):
    node = i18n.do_translate(parser, token)
    return RememberingTranslateNode(node.filter_expression, node.noop, node.asvar, node.message_context)
