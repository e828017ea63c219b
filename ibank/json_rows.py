"""Rows of another table read in the statement that loads their parent.

A page that loads the user (every request) and then asks the gate (most pages) read the contract's open locks
in a statement of their own. ``rows_of(queryset, by=...)`` is a subquery to annotate the parent's query with:
the rows ``queryset`` selects (it is filtered by an ``OuterRef``) as one JSON array, each row an array of its
model's concrete fields in order, or NULL when there are none. :func:`objects` makes them model objects again,
as the ORM loads them (each field's own conversion; a datetime SQLite keeps without its offset is UTC).
"""

import functools
from datetime import UTC

from django.db.models import Aggregate, BinaryField, DateTimeField, DecimalField, FloatField, JSONField, Subquery
from django.db.models.functions import JSONArray
from django.utils import timezone


class _ArrayOf(Aggregate):
    """The JSON array of an expression's JSON values over the group."""

    function = "JSON_GROUP_ARRAY"  # SQLite
    output_field = JSONField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function="JSONB_AGG", **extra_context)


@functools.cache
def _fields(model) -> tuple[tuple, tuple]:
    """(the model's concrete fields, their attribute names), checked once per model: :func:`objects` runs on
    every request that loads the user."""
    fields = tuple(model._meta.concrete_fields)
    # JSON carries text, integers, booleans and datetimes exactly; not a decimal's digits, a float's bits or bytes.
    inexact = [field.name for field in fields if isinstance(field, DecimalField | FloatField | BinaryField)]
    if inexact:
        raise TypeError(f"{model.__name__} has fields JSON does not carry exactly: {inexact}")
    return fields, tuple(field.attname for field in fields)


def rows_of(queryset, *, by: str) -> Subquery:
    """``queryset``'s rows as one JSON value; ``by`` is the column the OuterRef filters on (one group)."""
    names = _fields(queryset.model)[1]
    rows = queryset.order_by().values(by).annotate(rows=_ArrayOf(JSONArray(*names))).values("rows")
    return Subquery(rows, output_field=JSONField())


def objects(model, rows, *, using: str = "default") -> list:
    """The model objects of what :func:`rows_of` read (``None``: no rows)."""
    fields, names = _fields(model)
    return [
        model.from_db(using, names, [_value(field, raw) for field, raw in zip(fields, row, strict=True)])
        for row in rows or ()
    ]


def _value(field, raw):
    if raw is None:
        return None
    value = field.to_python(raw)
    if isinstance(field, DateTimeField) and timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    return value
