"""On PostgreSQL the ledger table refuses UPDATE, DELETE and TRUNCATE: it is append-only.

A DBA can still disable the trigger; the hash chain and signed checkpoints are what catch that.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION sharing_ledger_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the ledger is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER sharing_ledgerentry_append_only
    BEFORE UPDATE OR DELETE ON sharing_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION sharing_ledger_refuse_change();
CREATE TRIGGER sharing_ledgerentry_no_truncate
    BEFORE TRUNCATE ON sharing_ledgerentry
    FOR EACH STATEMENT EXECUTE FUNCTION sharing_ledger_refuse_change();
"""

DROP = """
DROP TRIGGER IF EXISTS sharing_ledgerentry_no_truncate ON sharing_ledgerentry;
DROP TRIGGER IF EXISTS sharing_ledgerentry_append_only ON sharing_ledgerentry;
DROP FUNCTION IF EXISTS sharing_ledger_refuse_change();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # No parameters: the % in the PL/pgSQL message must reach the server as is.
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("sharing", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
