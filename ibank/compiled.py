"""A queryset compiled once per process, run again with other parameters.

Django compiles every queryset anew; for a ``select_related`` with many columns that is about a
millisecond of CPU, more than the round trip. For the few reads every request makes (the user with its
contract and token, the pending login's binding), :class:`CompiledQuery` keeps the SQL and the compiler
Django made for a queryset built with *probe* values for its parameters and, per call, executes that SQL
with the real values and builds the objects as Django's ``ModelIterable`` does: the same converters,
``from_db`` (deferred fields stay deferred) and related populators; the columns' converters are looked up
once, with the SQL. It relies on the compiler's
``select`` and ``klass_info``, stable within Django 5.2 LTS (pinned); ``tests/ibank/test_compiled.py``
and ``tests/accounts/test_backends.py`` compare its objects with the ORM's.
"""

from collections.abc import Callable
from datetime import date, datetime, timedelta

from django.db import IntegrityError, connections, transaction
from django.db.models import Model, QuerySet, signals
from django.db.models.query import get_related_populators
from django.db.models.sql import InsertQuery


class CompiledQuery:
    """``build(*probes)`` returns the queryset; ``probes`` are distinct values that stand for the parameters
    while compiling. The queryset is compiled twice, with the probes and with other values of the same kinds:
    a parameter that changed stands for its probe (each probe must stand, once or more), one that did not is a
    constant of the query (a status, a purpose) and is sent as compiled."""

    def __init__(self, build: Callable[..., QuerySet], *probes, alias: str = "default"):
        self.build, self.probes, self.alias = build, probes, alias
        self._compiled = {}

    def _sql(self, probes):
        compiler = self.build(*probes).using(self.alias).query.get_compiler(using=self.alias)
        return compiler, *compiler.as_sql()

    def _compile(self):
        key = connections[self.alias].vendor
        if key not in self._compiled:
            compiler, sql, params = self._sql(self.probes)
            others = tuple(map(_other, self.probes))
            _compiler, other_sql, other_params = self._sql(others)
            if other_sql != sql or len(other_params) != len(params):
                raise RuntimeError("the compiled query's SQL depends on its probes' values")
            # Each parameter: (its probe's position, how Django turned the probe into it, applied to the real
            # value the same way: psycopg's Int2 for a small integer column with server-side binding, a date or
            # a datetime as SQLite's text), or (None, the constant).
            ops = connections[self.alias].ops
            order = []
            for param, other in zip(params, other_params, strict=True):
                if _plain(param) == _plain(other):
                    order.append((None, param))
                    continue
                found, again = _probe_of(param, self.probes, ops), _probe_of(other, others, ops)
                if found is None or again is None or found[0] != again[0]:
                    raise RuntimeError(f"the compiled query's parameters are not its probes: {params!r}")
                order.append(found)
            if {i for i, _adapt in order if i is not None} != set(range(len(self.probes))):
                raise RuntimeError(f"a probe does not stand in the compiled query: {params!r}")
            select, klass_info = compiler.select, compiler.klass_info
            start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
            init_list = [column[0].target.attname for column in select[start:end]]
            populators = get_related_populators(klass_info, select, self.alias)
            fields = [column[0] for column in select[: compiler.col_count]]
            if compiler.has_composite_fields(fields):
                raise RuntimeError("a compiled query does not select composite fields")
            converters = compiler.get_converters(fields)  # per column: the same for every call
            # An annotation is set on each object from its column, as Django's ModelIterable does.
            annotations = tuple(compiler.annotation_col_map.items())
            self._compiled[key] = (
                compiler,
                sql,
                order,
                klass_info["model"],
                (start, end),
                init_list,
                populators,
                converters,
                annotations,
            )
        return self._compiled[key]

    def forget(self) -> None:
        """Compile again at the next call (what the queryset is built from has changed)."""
        self._compiled.clear()

    def sql_with_params(self, *values) -> tuple[str, list]:
        """The SQL :meth:`all` runs with ``values``, and its parameters (to EXPLAIN it)."""
        _compiler, sql, order, *_rest = self._compile()
        return sql, [adapt if i is None else values[i] if adapt is None else adapt(values[i]) for i, adapt in order]

    def all(self, *values) -> list:
        """The objects the queryset gives with ``values`` in place of the probes."""
        compiler, _sql, _order, model, (start, end), init_list, populators, converters, annotations = self._compile()
        sql, params = self.sql_with_params(*values)
        with connections[self.alias].cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        objects = []
        for row in compiler.apply_converters(rows, converters) if converters else rows:
            obj = model.from_db(self.alias, init_list, row[start:end])
            for populator in populators:
                populator.populate(row, obj)
            for name, position in annotations:
                setattr(obj, name, row[position])
            objects.append(obj)
        return objects

    def first(self, *values):
        found = self.all(*values)
        return found[0] if found else None


def _plain(value) -> str:
    """A parameter as compared with its probe: an int subclass (psycopg's Int2, Int4, Int8) as the int."""
    if isinstance(value, int) and not isinstance(value, bool) and type(value) is not int:
        value = int(value)
    return repr(value)


def _other(probe):
    """A value of the probe's kind that is not the probe (the second compilation's)."""
    if isinstance(probe, bool):
        raise TypeError("a probe cannot be a bool")
    if isinstance(probe, int):
        return probe + 1
    if isinstance(probe, str):
        return probe + "~"
    if isinstance(probe, date):  # a datetime too
        return probe + timedelta(days=1)
    raise TypeError(f"a probe of an unknown kind: {probe!r}")


def _probe_of(param, probes, ops):
    """(the position of the probe ``param`` stands for, the adapter Django applied to it or None), or None."""
    for i, probe in enumerate(probes):
        if _plain(param) == _plain(probe):
            wrapped = isinstance(param, int) and not isinstance(param, bool) and type(param) is not int
            return i, type(param) if wrapped else None
    for i, probe in enumerate(probes):
        if isinstance(probe, datetime):
            adapt = ops.adapt_datetimefield_value
        elif isinstance(probe, date):
            adapt = ops.adapt_datefield_value
        else:
            continue
        if param == adapt(probe):
            return i, adapt
    return None


# -- writes --------------------------------------------------------------------------------------------------


def insert(obj, *, alias: str = "default", unless_taken: str | None = None) -> bool:
    """Save the new ``obj`` as ``obj.save()`` would (each field's ``pre_save`` and database preparation, the
    id and any other returned column set on it), with the INSERT composed once per model and database.

    ``unless_taken`` names a unique field: when a row already holds ``obj``'s value there, nothing is written and
    the answer is False (``ON CONFLICT (that column) DO NOTHING``: any other constraint still raises).

    For a model nothing listens to (``pre_save``/``post_save``) whose ``save`` is Django's own (or says
    ``insert_skips_save = True``: its ``save`` adds nothing to an INSERT): otherwise, or for a value that is an
    expression, it is ``obj.save()`` itself. ``tests/ibank/test_compiled.py`` compares both ways' rows."""
    model = type(obj)
    new = obj._state.adding and (obj.pk is None or model._meta.pk.has_default())  # save() would INSERT
    if not new or _listened(model) or not (model.save is Model.save or getattr(model, "insert_skips_save", False)):
        return _saved(obj, alias, unless_taken)
    obj._prepare_related_fields_for_save(operation_name="save")
    connection = connections[alias]
    sql, fields, returning, returning_params, compiler, converters = _insert_of(model, alias, unless_taken)
    values = [field.pre_save(obj, add=True) for field in fields]
    if any(hasattr(value, "resolve_expression") for value in values):
        return _saved(obj, alias, unless_taken)
    params = [field.get_db_prep_save(value, connection=connection) for field, value in zip(fields, values, strict=True)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if returning and connection.features.can_return_columns_from_insert:
            row = connection.ops.fetch_returned_insert_columns(cursor, returning_params)
            written = row is not None
        else:
            written = cursor.rowcount == 1
            row = (cursor.lastrowid,) if returning and written else ()
    if not written:  # only with unless_taken: the value was taken, nothing written
        return False
    if converters:
        row = next(iter(compiler.apply_converters([row], converters)))
    for field, value in zip(returning, row, strict=True):
        setattr(obj, field.attname, value)
    obj._state.adding, obj._state.db = False, alias
    return True


def _saved(obj, alias: str, unless_taken: str | None) -> bool:
    """``obj.save()``; with ``unless_taken``, False when it failed because that field's value is taken."""
    if unless_taken is None:
        obj.save(using=alias)
        return True
    try:
        with transaction.atomic(using=alias):
            obj.save(using=alias)
    except IntegrityError:
        field = type(obj)._meta.get_field(unless_taken)
        if type(obj)._default_manager.using(alias).filter(**{field.name: getattr(obj, field.attname)}).exists():
            return False
        raise
    return True


_INSERTS: dict = {}


def _listened(model) -> bool:
    return signals.pre_save.has_listeners(model) or signals.post_save.has_listeners(model)


def _insert_of(model, alias: str, unless_taken: str | None):
    """(sql, fields, returning fields, their params, compiler, their converters): the INSERT ``Model.save``
    sends for a new row, as Django's own compiler writes it (with %s for every value); with ``unless_taken``,
    one that does nothing when that column's value is taken."""
    connection = connections[alias]
    key = (model, connection.vendor, unless_taken)
    if key not in _INSERTS:
        meta = model._meta
        fields = [f for f in meta.local_concrete_fields if not f.generated and f is not meta.auto_field]
        if any(getattr(f, "get_placeholder", None) for f in fields):
            raise RuntimeError(f"{meta.label}: a field with a placeholder of its own is not compiled")
        returning = list(meta.db_returning_fields)
        query = InsertQuery(model)
        query.insert_values(fields, [model(**{f.attname: None for f in fields})], raw=True)
        compiler = query.get_compiler(using=alias)
        ((sql, _params),) = compiler.as_sql()  # without RETURNING: the conflict clause goes before it
        if unless_taken is not None:
            column = connection.ops.quote_name(meta.get_field(unless_taken).column)
            sql += f" ON CONFLICT ({column}) DO NOTHING"
        returning_params = ()
        if returning and connection.features.can_return_columns_from_insert:
            r_sql, returning_params = connection.ops.return_insert_columns(returning)
            sql += f" {r_sql}"
        converters = compiler.get_converters([field.get_col(meta.db_table) for field in returning])
        _INSERTS[key] = (sql, fields, returning, returning_params, compiler, converters)
    return _INSERTS[key]


def update(model, pk, *, alias: str = "default", **values) -> int:
    """``model.objects.filter(pk=pk).update(**values)`` for plain values (no expressions), with the UPDATE
    composed once per model and set of fields; returns the number of rows (0 or 1)."""
    connection = connections[alias]
    if any(hasattr(value, "resolve_expression") for value in values.values()):
        raise TypeError("ibank.compiled.update sets plain values, not expressions")
    sql, fields = _update_of(model, tuple(values), alias)
    params = [
        field.get_db_prep_save(value, connection=connection)
        for field, value in zip(fields, values.values(), strict=True)
    ]
    params.append(model._meta.pk.get_db_prep_value(pk, connection))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


_UPDATES: dict = {}


def _update_of(model, names: tuple, alias: str):
    key = (model, names, connections[alias].vendor)
    if key not in _UPDATES:
        meta = model._meta
        fields = [meta.get_field(name) for name in names]
        if any(getattr(f, "get_placeholder", None) or not f.concrete for f in fields):
            raise RuntimeError(f"{meta.label}: only plain columns are updated by ibank.compiled.update")
        qn = connections[alias].ops.quote_name
        assignments = ", ".join(f"{qn(f.column)} = %s" for f in fields)
        sql = f"UPDATE {qn(meta.db_table)} SET {assignments} WHERE {qn(meta.pk.column)} = %s"  # noqa: S608
        _UPDATES[key] = (sql, fields)
    return _UPDATES[key]
