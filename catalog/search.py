"""Substring search over Chinese text that an index can serve.

Catalogue readers search for fragments of Chinese names ("登记", "社会保障"): two characters are
the common case. PostgreSQL's pg_trgm cannot serve them, since a `LIKE '%登记%'` pattern shorter
than three characters yields no trigram, so the index is read in full. Instead each searched row is
indexed by the set of its characters and character pairs (unigrams and bigrams, lower-cased) in a
GIN expression index; a query fragment matches only rows whose set contains every pair of the
fragment (or its one character). That narrows the candidates to a handful, and the ordinary
`icontains` condition, applied as well, keeps the result exact.

On SQLite (the demo and the tests) the `icontains` condition alone is used.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import connection
from django.db.models import F, Func, Q, QuerySet, TextField, Value

# IMMUTABLE so PostgreSQL may index them; PARALLEL SAFE so the planner may still parallelize.
INSTALL_SQL = """
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
UNINSTALL_SQL = """
DROP FUNCTION IF EXISTS govdata_query_grams(text);
DROP FUNCTION IF EXISTS govdata_grams(VARIADIC text[]);
"""


def gram_index_sql(index: str, table: str, columns: list[str]) -> str:
    return f'CREATE INDEX IF NOT EXISTS "{index}" ON "{table}" USING gin (govdata_grams({", ".join(columns)}))'


class _Grams(Func):
    function = "govdata_grams"
    output_field = ArrayField(TextField())


class _QueryGrams(Func):
    function = "govdata_query_grams"
    output_field = ArrayField(TextField())


def text_search(queryset: QuerySet, query: str, fields: list[str]) -> QuerySet:
    """Rows of `queryset` where `query` occurs (case-insensitively) in one of `fields`.

    On PostgreSQL `fields` must be exactly the columns, in order, of a gram index on the table
    (see the migration that creates it), or the index will not be used.
    """
    exact = Q()
    for name in fields:
        exact |= Q(**{f"{name}__icontains": query})
    if connection.vendor == "postgresql":
        queryset = queryset.alias(_search_grams=_Grams(*[F(name) for name in fields])).filter(
            _search_grams__contains=_QueryGrams(Value(query))
        )
    return queryset.filter(exact)
