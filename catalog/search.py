"""Substring search over Chinese text that an index can serve.

Catalogue readers search for fragments of Chinese names ("登记", "社会保障"): two characters are
the common case. PostgreSQL's pg_trgm cannot serve them, since a `LIKE '%登记%'` pattern shorter
than three characters yields no trigram, so the index is read in full. Instead each searched row
carries the set of its characters and character pairs (unigrams and bigrams, lower-cased) in a
`search_grams` column with a GIN index; a query fragment matches only rows whose set contains
every pair of the fragment (or its one character). That narrows the candidates to a handful, and
the ordinary `icontains` condition, applied as well, keeps the result exact.

The column is PostgreSQL's own business: a trigger fills it from the searched columns on every
INSERT (COPY included) and UPDATE, so no write path can forget it, and Django's model does not know
it. Computing a row's set costs about half a millisecond, far too much to do while reading, which is
why it is stored. On SQLite (the demo and the tests) the `icontains` condition alone is used.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import connection
from django.db.models import Expression, Func, Q, QuerySet, TextField, Value

GRAM_COLUMN = "search_grams"

# IMMUTABLE so PostgreSQL may use them in an index and the planner may fold the query's set once.
FUNCTIONS_SQL = """
CREATE OR REPLACE FUNCTION govdata_grams(VARIADIC parts text[]) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT gram), '{}')
    FROM (SELECT lower(array_to_string(parts, ' ')) AS t) AS source,
         LATERAL generate_series(1, char_length(source.t)) AS i,
         LATERAL (VALUES (substr(source.t, i, 1)), (substr(source.t, i, 2))) AS grams(gram)
$$;
CREATE OR REPLACE FUNCTION govdata_query_grams(query text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN char_length(lower(query)) < 2 THEN ARRAY[lower(query)]
        ELSE ARRAY(SELECT DISTINCT substr(lower(query), i, 2) FROM generate_series(1, char_length(query) - 1) AS i)
    END
$$;
"""


def install_gram_column_sql(table: str, columns: list[str]) -> list[str]:
    """Statements that add, fill and index `search_grams` on `table`, kept current by a trigger."""
    trigger_function = f"{table}_search_grams"
    parts = ", ".join(f"NEW.{c}" for c in columns)
    return [
        f"ALTER TABLE {table} ADD COLUMN {GRAM_COLUMN} text[]",
        f"""CREATE FUNCTION {trigger_function}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN NEW.{GRAM_COLUMN} := govdata_grams({parts}); RETURN NEW; END $$""",
        f"""CREATE TRIGGER {trigger_function} BEFORE INSERT OR UPDATE OF {", ".join(columns)} ON {table}
            FOR EACH ROW EXECUTE FUNCTION {trigger_function}()""",
        f"UPDATE {table} SET {GRAM_COLUMN} = govdata_grams({', '.join(columns)})",
        f"CREATE INDEX {table}_grams ON {table} USING gin ({GRAM_COLUMN})",
    ]


def uninstall_gram_column_sql(table: str) -> list[str]:
    return [
        f"ALTER TABLE {table} DROP COLUMN {GRAM_COLUMN}",
        f"DROP FUNCTION {table}_search_grams() CASCADE",
    ]


class _GramColumn(Expression):
    """The `search_grams` column of the query's own table, whatever alias the table has there."""

    output_field = ArrayField(TextField())

    def resolve_expression(self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False):
        resolved = self.copy()
        resolved.alias = query.get_initial_alias()
        return resolved

    def as_sql(self, compiler, connection):
        return f"{compiler.quote_name_unless_alias(self.alias)}.{connection.ops.quote_name(GRAM_COLUMN)}", []


class _QueryGrams(Func):
    function = "govdata_query_grams"
    output_field = ArrayField(TextField())


def text_search(queryset: QuerySet, query: str, fields: list[str]) -> QuerySet:
    """Rows of `queryset` where `query` occurs (case-insensitively) in one of `fields`.

    On PostgreSQL the table must carry a gram column over exactly these fields (see the migration
    that installs it with `install_gram_column_sql`).
    """
    exact = Q()
    for name in fields:
        exact |= Q(**{f"{name}__icontains": query})
    if connection.vendor != "postgresql":
        return queryset.filter(exact)
    queryset = queryset.alias(_search_grams=_GramColumn()).filter(_search_grams__contains=_QueryGrams(Value(query)))
    if len(query) <= 2 and not any(c.isspace() for c in query):
        # One character or one pair is in a row's set exactly when it occurs in one of the fields
        # (fields are joined by a space). Leaving out the LIKE also spares the planner its guess at a
        # '%..%' pattern, which is far too selective and leads it into nested-loop joins.
        return queryset
    return queryset.filter(exact)
