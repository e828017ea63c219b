"""The indexes of our tables (PostgreSQL's catalog, as migrated): each one earns its writes.

Every INSERT, and every UPDATE of an indexed column, writes each index of the table: on the hot tables (a
transfer's row, its postings, the day's usage, a login's record) an index that another index already serves
costs every movement and every login a write for nothing. And every foreign key keeps an index that leads
with it, so that deleting or checking a referenced row never scans the referencing table.
"""

from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

_INDEXES = """
SELECT t.relname, i.relname, x.indisunique, x.indpred IS NOT NULL, am.amname = 'btree',
       x.indkey::int2[], ARRAY(SELECT o.opcdefault FROM unnest(x.indclass::oid[]) AS k(oid)
                               JOIN pg_opclass o ON o.oid = k.oid)
  FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
  JOIN pg_am am ON am.oid = i.relam
 WHERE t.relname = ANY(%s)
"""

_FOREIGN_KEYS = """
SELECT t.relname, c.conname, c.conkey::int2[] FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
 WHERE c.contype = 'f' AND t.relname = ANY(%s)
"""


def _our_tables() -> list[str]:
    base = settings.BASE_DIR
    ours = [c for c in apps.get_app_configs() if Path(c.path).parent == base]  # not those in the virtualenv
    return [m._meta.db_table for c in ours for m in c.get_models()]


def _indexes() -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute(_INDEXES, [_our_tables()])
        return [
            dict(table=t, name=n, unique=u, partial=p, btree=b, keys=list(k), default_classes=list(d))
            for t, n, u, p, b, k, d in cursor.fetchall()
        ]


def _serves(index: dict, keys: list[int]) -> bool:
    """``index`` answers every lookup an index on ``keys`` answers: a whole, ordinary b-tree that leads with
    them (an expression is key 0 and serves nothing as a column)."""
    usable = index["btree"] and not index["partial"] and 0 not in keys
    return usable and index["keys"][: len(keys)] == keys and all(index["default_classes"][: len(keys)])


def test_no_index_is_served_by_another():
    indexes = _indexes()
    redundant = [
        f"{a['table']}.{a['name']} (served by {b['name']})"
        for a in indexes
        if not a["unique"] and not a["partial"] and a["btree"] and all(a["default_classes"])
        for b in indexes
        if b is not a and b["table"] == a["table"] and _serves(b, a["keys"])
    ]
    assert redundant == [], "\n".join(redundant)


def test_every_foreign_key_leads_an_index():
    indexes = _indexes()
    with connection.cursor() as cursor:
        cursor.execute(_FOREIGN_KEYS, [_our_tables()])
        keys = cursor.fetchall()
    assert keys, "no foreign keys found: the catalog query reads nothing"
    unserved = [
        f"{table}.{name}"
        for table, name, columns in keys
        if not any(i["table"] == table and _serves(i, list(columns)) for i in indexes)
    ]
    assert unserved == []


def test_no_index_for_prefix_lookups():
    """Django adds a ``…_like`` index (``varchar_pattern_ops``) beside every indexed text column, for
    ``LIKE 'prefix%'``. Nothing of ours looks up by prefix (the admin's searches are ``icontains``, which no
    b-tree serves), so each would be written for nothing: ibank.migration_operations.RemovePatternIndex."""
    assert [f"{i['table']}.{i['name']}" for i in _indexes() if not all(i["default_classes"])] == []
