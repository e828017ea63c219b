from django import template
from django.template.loader_tags import BLOCK_CONTEXT_KEY

from ibank import money

register = template.Library()


yen = register.filter("yen", money.yen)  # 1234567 -> "1,234,567円"


@register.filter
def get_field(form, name):
    """``form|get_field:name``: the bound field ``name`` (for fields added at run time)."""
    return form[name]


@register.filter
def yen_abs(amount: int) -> str:
    """-1234 -> "1,234円" (a payment column shows no sign)."""
    return yen(abs(int(amount)))


@register.simple_tag(takes_context=True)
def page_title(context):
    """The page's ``title`` block, rendered again where the layout puts the page's heading: a page names
    itself once, and its ``<title>`` and ``<h1>`` cannot drift apart."""
    block = context.render_context[BLOCK_CONTEXT_KEY].get_block("title")
    with context.push():
        return block.nodelist.render(context)


@register.filter
def capped_at(paginator) -> int | None:
    """The cap of an admin list's count (ibank.admin.CappedCountPaginator) when the rows pass it, else None: the
    page then says 「…件以上」 (templates/admin/pagination.html); any other paginator counts exactly."""
    return paginator.CAP if getattr(paginator, "capped", False) else None
