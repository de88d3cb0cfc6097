"""On PostgreSQL, one call takes the ledger's lock and reads the head of the chain.

`ledger.append` used to send two statements for this (the advisory lock, then the read), and the
lock is held until the appender commits: every round trip inside it caps the append rate of all
writers together. The read cannot simply join the lock in one plain statement: under READ
COMMITTED that statement's snapshot would be taken before the lock wait and miss the entry the
previous holder committed. Inside a VOLATILE function every statement takes a fresh snapshot, so
the read below sees it. (The primary key on seq would turn a stale read into an error, never into
a forked chain.)
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION sharing_ledger_lock_head(lock_key bigint, OUT seq bigint, OUT entry_hash varchar)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(lock_key);
    SELECT e.seq, e.entry_hash INTO seq, entry_hash FROM sharing_ledgerentry e ORDER BY e.seq DESC LIMIT 1;
END;
$$;
"""

DROP = "DROP FUNCTION IF EXISTS sharing_ledger_lock_head(bigint);"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("sharing", "0006_history_indexes")]
    operations = [migrations.RunPython(forwards, backwards)]
