"""Helpers shared by the ledger tests."""

from __future__ import annotations

from datetime import UTC, datetime

from sharing import ledger
from sharing.models import LedgerEntry


def bulk_chain(department, count, *, data=None, heavy_until=0):
    """A valid ledger of `count` entries written in one statement (the tests need many, fast).

    Every entry carries `data`; those up to seq `heavy_until` carry a 20 kB attachment instead, so
    that they take much longer to check than the others.
    """
    prev, rows, now = ledger.GENESIS_HASH, [], datetime(2025, 3, 1, 8, 0, 0, 123456, tzinfo=UTC)
    for seq in range(1, count + 1):
        entry_data = {"attachment": "x" * 20_000} if seq <= heavy_until else data
        payload = ledger.entry_payload(
            seq=seq, recorded_at=now, action="bulk.step", obj=department, actor=None, reason=f"#{seq}", data=entry_data
        )
        entry_hash = ledger.chain_hash(prev, payload)
        rows.append(
            LedgerEntry(
                seq=seq,
                recorded_at=now,
                action="bulk.step",
                object_type="catalog.department",
                object_id=str(department.pk),
                payload=payload,
                prev_hash=prev,
                entry_hash=entry_hash,
            )
        )
        prev = entry_hash
    LedgerEntry.objects.bulk_create(rows)
