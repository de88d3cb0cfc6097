"""COPY rows into PostgreSQL tables described by Django models, and put their sequences right.

Rows are dicts keyed by column name, so a missing or misspelt column fails loudly instead of
shifting every value one place; the table's column order comes from the model.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from django.db import connection
from django.db.models import Model

# How many rows pass between two updates of the progress bar (an update costs far more than a row).
PROGRESS_EVERY = 5000


def history_model(model: type[Model]) -> type[Model]:
    return model.history.model


def m2m_history_model(model: type[Model], field_name: str) -> type[Model]:
    """The simple-history model that snapshots `model.<field_name>` on every historical record."""
    return getattr(history_model(model), field_name).model


def number_history(plans) -> None:
    """Give each plan's versions consecutive history ids from 1: its creation, then one per step.

    Sets `history_first_id` on every plan, in order, so its m2m snapshots can name their versions.
    """
    next_history = 1
    for plan in plans:
        plan.history_first_id = next_history
        next_history += 1 + len(plan.steps)


class Copier:
    """Streams rows into tables with psycopg's COPY on Django's own connection (and transaction).

    `counts` tells how many rows went into each table; `explicit_ids` the tables whose identity
    column was written by us, whose sequences must be moved past the largest id afterwards.
    """

    def __init__(self, progress=None):
        self.progress = progress
        self.counts: Counter[str] = Counter()
        self.explicit_ids: dict[str, str] = {}
        # table -> [(name, definition)] of the foreign keys and of the indexes set aside while loading it.
        self._foreign_keys: dict[str, list[tuple[str, str]]] = {}
        self._indexes: dict[str, list[tuple[str, str]]] = {}

    def _set_foreign_keys_aside(self, table: str) -> None:
        """Drop the table's foreign keys until `restore_foreign_keys` (as pg_restore loads data).

        Django's foreign keys are DEFERRABLE INITIALLY DEFERRED: kept in place, every COPYed row
        would queue one check per key until COMMIT, millions of single-row lookups. Re-adding a key
        checks all rows in one join instead, and the transaction still commits nothing unchecked.
        """
        if table in self._foreign_keys:
            return
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
                "AND contype = 'f' ORDER BY conname",
                [table],
            )
            keys = cursor.fetchall()
            for name, _definition in keys:
                cursor.execute(
                    f"ALTER TABLE {connection.ops.quote_name(table)} DROP CONSTRAINT {connection.ops.quote_name(name)}"
                )
        self._foreign_keys[table] = keys
        self._set_indexes_aside(table)

    def _set_indexes_aside(self, table: str) -> None:
        """Drop the table's plain indexes until `restore_foreign_keys`: building an index once over
        all rows is several times cheaper than updating it row by row. Primary keys and unique
        constraints stay, so duplicates are still refused as they arrive."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
                "WHERE x.indrelid = %s::regclass AND NOT x.indisprimary "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) ORDER BY i.relname",
                [table],
            )
            indexes = cursor.fetchall()
            for name, _definition in indexes:
                cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
        self._indexes[table] = indexes

    @property
    def foreign_key_tables(self) -> list[str]:
        return list(self._foreign_keys)

    def restore_foreign_keys(self, progress=None) -> None:
        """Rebuild the indexes and put back every foreign key set aside; each key is checked against
        all rows as it is added."""
        with connection.cursor() as cursor:
            # Index builds sort in memory; the default 64 MB spills the larger ones to disk.
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            for table, keys in self._foreign_keys.items():
                for _name, definition in self._indexes.pop(table, ()):
                    cursor.execute(definition)
                for name, definition in keys:
                    cursor.execute(
                        f"ALTER TABLE {connection.ops.quote_name(table)} "
                        f"ADD CONSTRAINT {connection.ops.quote_name(name)} {definition}"
                    )
                if progress is not None:
                    progress.update(1)
        self._foreign_keys.clear()

    def copy(self, model: type[Model], rows: Iterable[dict], *, generated: tuple[str, ...] = ()) -> int:
        """COPY `rows` into `model`'s table; columns in `generated` are left to the database."""
        table = model._meta.db_table
        columns = [f.column for f in model._meta.concrete_fields if f.column not in generated]
        pk = model._meta.pk.column
        if pk in columns:
            self.explicit_ids[table] = pk
        quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
        self._set_foreign_keys_aside(table)
        written = 0
        with connection.cursor() as cursor:
            with cursor.copy(f"COPY {connection.ops.quote_name(table)} ({quoted}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([row[c] for c in columns])
                    written += 1
                    if self.progress is not None and written % PROGRESS_EVERY == 0:
                        self.progress.update(PROGRESS_EVERY)
        if self.progress is not None:
            self.progress.update(written % PROGRESS_EVERY)
        self.counts[table] += written
        return written

    def reset_sequences(self) -> None:
        """Move each identity sequence we bypassed past the largest id, so the next insert fits."""
        with connection.cursor() as cursor:
            for table, column in sorted(self.explicit_ids.items()):
                column_sql, table_sql = connection.ops.quote_name(column), connection.ops.quote_name(table)
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence(%s, %s), COALESCE(MAX({column_sql}), 0) + 1, false) "
                    f"FROM {table_sql}",
                    [table, column],
                )
