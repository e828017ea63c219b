"""The admin templates ibank copies from Django's own stay copies: after an upgrade that changed Django's, a
test fails until the copy is made again from the new one, with ibank's change."""

import re
from pathlib import Path

from django.conf import settings
from django.contrib import admin

#: What ibank's copy adds to Django's admin/edit_inline/tabular.html: the group is a focusable, named region.
REGION = '\n     tabindex="0" role="region" aria-labelledby="{{ inline_admin_formset.formset.prefix }}-heading"'
#: What ibank's admin/pagination.html says instead of Django's count: a capped count (CappedCountPaginator).
DJANGOS_COUNT = (
    "{{ cl.result_count }} {% if cl.result_count == 1 %}{{ cl.opts.verbose_name }}{% else %}"
    "{{ cl.opts.verbose_name_plural }}{% endif %}"
)
CAPPED_COUNT = (
    '{% with cap=cl.paginator|capped_at %}{% if cap %}{% blocktranslate with count=cap|stringformat:"d" %}'
    "{{ count }}件以上{% endblocktranslate %}{% else %}" + DJANGOS_COUNT + "{% endif %}{% endwith %}"
)


def _ours(name: str) -> str:
    return (settings.BASE_DIR / "templates" / "admin" / name).read_text()


def _djangos(name: str) -> str:
    return (Path(admin.__file__).parent / "templates" / "admin" / name).read_text()


def test_the_read_only_inline_is_djangos_tabular_inline_with_its_group_a_region():
    ours, djangos = _ours("edit_inline/tabular_region.html"), _djangos("edit_inline/tabular.html")
    assert ours.count(REGION) == 1
    without_note = re.sub(r"\{% comment %\}.*?\{% endcomment %\}", "", ours, count=1, flags=re.S)
    assert without_note.replace(REGION, "") == djangos
    assert 'id="{{ inline_admin_formset.formset.prefix }}-heading"' in djangos  # what the region names


def test_the_pagination_is_djangos_with_a_capped_count():
    ours, djangos = _ours("pagination.html"), _djangos("pagination.html")
    assert ours.count(CAPPED_COUNT) == 1
    without_note = re.sub(r"\{#.*?#\}\n", "", ours, count=1)
    assert without_note.replace(CAPPED_COUNT, DJANGOS_COUNT) == djangos
