"""Django's ``{% url %}`` with one change, a builtin of our templates (settings.TEMPLATES' ``builtins``): a
tag naming a constant view with no arguments (``{% url 'accounts-menu' %}``, the links of every page's
header and menu) remembers the URL it reversed.

Django reverses on every render (the resolver's lookup, the pattern's substitution, quoting): about
20 µs a tag here, and the menu has 13 of them. With no arguments, the URL depends only on the URLconf
(``request.urlconf`` or ROOT_URLCONF), the script prefix and the current application (a namespace), so
the node keeps it per those three. A tag with arguments or a variable name is Django's, unchanged; a name
that does not reverse is never remembered. tests/ibank/test_url_tags.py holds it to what Django's tag
renders.
"""

from django.conf import settings
from django.template import Library, defaulttags
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape

register = Library()


class RememberingURLNode(defaulttags.URLNode):
    def __init__(self, view_name, args, kwargs, asvar):
        super().__init__(view_name, args, kwargs, asvar)
        # A quoted name is compiled to the string itself (a variable's name, to a Variable).
        constant = isinstance(view_name.var, str) and not view_name.filters and not args and not kwargs
        self.name = str(view_name.var) if constant else None
        self.reversed = {}

    def render(self, context):
        if self.name is None:
            return super().render(context)
        current_app = _current_app(context)
        key = (current_app, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)
        url = self.reversed.get(key)
        if url is None:
            try:
                url = self.reversed[key] = reverse(self.name, current_app=current_app)
            except NoReverseMatch:
                if self.asvar is None:
                    raise
                url = ""
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


def _current_app(context):
    """As Django's URLNode finds it."""
    try:
        return context.request.current_app
    except AttributeError:
        try:
            return context.request.resolver_match.namespace
        except AttributeError:
            return None


@register.tag("url")
def url(parser, token):
    node = defaulttags.url(parser, token)
    return RememberingURLNode(node.view_name, node.args, node.kwargs, node.asvar)
