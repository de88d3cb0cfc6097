"""The gram index of catalogue search (catalog/search.py); PostgreSQL only."""

from django.db import migrations

from catalog.search import INSTALL_SQL, UNINSTALL_SQL, gram_index_sql

INDEX = "resource_search_grams"


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INSTALL_SQL)
        schema_editor.execute(gram_index_sql(INDEX, "catalog_dataresource", ["name", "catalogue_code", "summary"]))


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f'DROP INDEX IF EXISTS "{INDEX}"')
        schema_editor.execute(UNINSTALL_SQL)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_history_indexes")]
    operations = [migrations.RunPython(install, uninstall)]
