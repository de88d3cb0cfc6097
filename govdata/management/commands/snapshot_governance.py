from contextlib import contextmanager

from django.core.management.base import BaseCommand
from django.db import connection
from django.utils import timezone

from govdata import analytics

# Names the advisory lock that keeps two runs (cron overlapping a slow run) from computing at once.
SNAPSHOT_LOCK_KEY = 0x676F7673  # "govs"


@contextmanager
def _single_run():
    """Yield True when this is the only run; on SQLite the write of the snapshot serializes anyway."""
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [SNAPSHOT_LOCK_KEY])
        acquired = cursor.fetchone()[0]
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [SNAPSHOT_LOCK_KEY])


class Command(BaseCommand):
    help = (
        "Compute the governance figures of the bureau and of every department and store them as a "
        "snapshot (the dashboard's figures and the scorecard history). Safe to run from cron: a run "
        "that overlaps another one is skipped."
    )

    def handle(self, *args, **options):
        with _single_run() as alone:
            if not alone:
                self.stdout.write("Another snapshot is being computed; skipped.")
                return
            snapshot = analytics.snapshot_take(actor=None)
        taken_at = timezone.localtime(snapshot.taken_at)
        self.stdout.write(f"Snapshot {snapshot.pk} taken at {taken_at:%Y-%m-%d %H:%M:%S} in {snapshot.duration_ms} ms.")
