"""Migration operations of our own, for migrations to import (keep them stable: old migrations use them)."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations


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


class IndexMigration(migrations.Migration):
    """A migration that only adds indexes, each built CONCURRENTLY on PostgreSQL (:func:`indexes`), which
    cannot run inside a transaction: hence not atomic."""

    atomic = False


def indexes(model_name: str, *added) -> list[AddIndexConcurrentlyOnPostgreSQL]:
    """The operations that add each index of ``added`` to ``model_name``, CONCURRENTLY on PostgreSQL."""
    return [AddIndexConcurrentlyOnPostgreSQL(model_name=model_name, index=index) for index in added]
