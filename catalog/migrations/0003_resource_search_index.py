"""The gram column and index of catalogue search (catalog/search.py); PostgreSQL only."""

from django.db import migrations

from catalog.search import FUNCTIONS_SQL, install_gram_column_sql, uninstall_gram_column_sql

TABLE = "catalog_dataresource"


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTIONS_SQL)
        for statement in install_gram_column_sql(TABLE, ["name", "catalogue_code", "summary"]):
            schema_editor.execute(statement)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in uninstall_gram_column_sql(TABLE):
            schema_editor.execute(statement)
        schema_editor.execute("DROP FUNCTION govdata_query_grams(text); DROP FUNCTION govdata_grams(VARIADIC text[])")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_history_indexes")]
    operations = [migrations.RunPython(install, uninstall)]
