"""Migration operations of our own, for migrations to import (keep them stable: old migrations use them)."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import connection, migrations
from django.db.models import Index


class AddIndexConcurrentlyOnPostgreSQL(AddIndexConcurrently):
    """CREATE INDEX CONCURRENTLY on PostgreSQL, so that a bank's large table takes no write lock while the index
    is built (the migration must say ``atomic = False``); an ordinary CREATE INDEX elsewhere (SQLite)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        return migrations.AddIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        return migrations.AddIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)


class RemoveForeignKeyIndex(migrations.AlterField):
    """A foreign key's own index dropped (the field becomes ``db_index=False``) where another index that
    leads with the column serves it: DROP INDEX CONCURRENTLY on PostgreSQL, so that no lock holds up the
    table's reads and writes while running transactions finish (the migration must say ``atomic = False``);
    backwards, CREATE INDEX CONCURRENTLY under the name Django gave it. Elsewhere (SQLite) the ordinary
    AlterField. The field is the one the state has, with ``db_index=False``: a migration names only the model
    and the field."""

    def __init__(self, model_name: str, name: str):
        super().__init__(model_name, name, field=None)

    def deconstruct(self):
        return self.__class__.__name__, [], {"model_name": self.model_name, "name": self.name}

    def state_forwards(self, app_label, state):
        old = state.models[app_label, self.model_name_lower].fields[self.name]
        _, _, args, kwargs = old.deconstruct()
        self.field = old.__class__(*args, **{**kwargs, "db_index": False})
        super().state_forwards(app_label, state)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        model = from_state.apps.get_model(app_label, self.model_name)
        column = model._meta.get_field(self.name).column
        # The b-tree index on exactly this column that is not one of Meta.indexes, as AlterField finds it.
        names = schema_editor._constraint_names(
            model, [column], index=True, type_=Index.suffix, exclude={i.name for i in model._meta.indexes}
        )
        for name in names:
            schema_editor.execute(schema_editor._delete_index_sql(model, name, concurrently=True))

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        model = to_state.apps.get_model(app_label, self.model_name)
        field = model._meta.get_field(self.name)
        schema_editor.execute(schema_editor._create_index_sql(model, fields=[field], concurrently=True))


class RemovePatternIndex(migrations.operations.base.Operation):
    """Drop the ``…_like`` index (``varchar_pattern_ops``) Django adds on PostgreSQL beside an indexed or unique
    text column, for ``LIKE 'prefix%'`` under a collation other than C. Nothing of ours looks up by prefix
    (tests/ibank/test_indexes.py), so every INSERT wrote it for nothing. CONCURRENTLY both ways (the migration
    must say ``atomic = False``); nothing elsewhere (SQLite has no such index), and no change of state (the
    state does not know of it). ``model`` is "app_label.model_name": one migration may drop them all."""

    reversible = True

    def __init__(self, model: str, name: str):
        self.model, self.name = model, name

    def deconstruct(self):
        return self.__class__.__name__, [], {"model": self.model, "name": self.name}

    def state_forwards(self, app_label, state):
        pass

    def _model_field(self, state):
        model = state.apps.get_model(self.model)
        return model, model._meta.get_field(self.name)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            model, field = self._model_field(from_state)
            # The name Django gave it (its _create_like_index_sql).
            name = schema_editor._create_index_name(model._meta.db_table, [field.column], suffix="_like")
            schema_editor.execute(schema_editor._delete_index_sql(model, name, concurrently=True))

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            model, field = self._model_field(to_state)
            text = field.db_type(schema_editor.connection).startswith("text")
            opclass = "text_pattern_ops" if text else "varchar_pattern_ops"
            sql = schema_editor._create_index_sql(
                model, fields=[field], suffix="_like", opclasses=[opclass], concurrently=True
            )
            schema_editor.execute(sql)

    def describe(self):
        return f"Remove the pattern (LIKE) index of {self.model}.{self.name}"

    @property
    def migration_name_fragment(self):
        return "remove_pattern_index_" + f"{self.model}_{self.name}".lower().replace(".", "_")


class IndexMigration(migrations.Migration):
    """A migration that only adds or drops indexes, each CONCURRENTLY on PostgreSQL (:func:`indexes`,
    :class:`RemoveForeignKeyIndex`, :class:`RemovePatternIndex`), which cannot run inside a transaction: not
    atomic there. Elsewhere (SQLite, which remakes a whole table to drop an index) one transaction, so that an
    interrupted migration leaves nothing half done."""

    @property
    def atomic(self) -> bool:
        return connection.vendor != "postgresql"


def indexes(model_name: str, *added) -> list[AddIndexConcurrentlyOnPostgreSQL]:
    """The operations that add each index of ``added`` to ``model_name``, CONCURRENTLY on PostgreSQL."""
    return [AddIndexConcurrentlyOnPostgreSQL(model_name=model_name, index=index) for index in added]
