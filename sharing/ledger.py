"""The evidence ledger: append, and verify the hash chain.

Every workflow step of every app calls `append` inside the transaction of the step itself, so a
step and its ledger entry commit or roll back together. Appends are serialized (a PostgreSQL
advisory lock; SQLite transactions start IMMEDIATE), which keeps the chain linear under
concurrency. Nothing else writes the ledger table.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from .models import LedgerEntry

GENESIS_HASH = "0" * 64
# An arbitrary constant that names the ledger's advisory lock in PostgreSQL.
LEDGER_LOCK_KEY = 0x6C656467  # "ledg"


def canonical_json(data: dict) -> str:
    """Deterministic JSON: sorted keys, no whitespace, UTF-8 text kept as is."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def chain_hash(prev_hash: str, payload: str) -> str:
    return hashlib.sha256(bytes.fromhex(prev_hash) + payload.encode("utf-8")).hexdigest()


def object_label(obj: Model) -> str:
    return f"{obj._meta.app_label}.{obj._meta.model_name}"


def _lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LEDGER_LOCK_KEY])


def append(*, action: str, obj: Model, actor, reason: str = "", data: dict | None = None) -> LedgerEntry:
    """Append one entry recording `action` on `obj` by `actor`, chained to the previous entry."""
    with transaction.atomic():
        _lock()
        last = LedgerEntry.objects.order_by("-seq").values_list("seq", "entry_hash").first()
        seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
        recorded_at = timezone.now()
        payload = canonical_json(
            {
                "seq": seq,
                "recorded_at": recorded_at.isoformat(),
                "action": action,
                "object": {"type": object_label(obj), "id": str(obj.pk), "repr": str(obj)},
                "actor": {"id": actor.pk, "username": actor.get_username()} if actor else None,
                "reason": reason,
                "data": data or {},
            }
        )
        return LedgerEntry.objects.create(
            seq=seq,
            recorded_at=recorded_at,
            action=action,
            object_type=object_label(obj),
            object_id=str(obj.pk),
            actor=actor,
            payload=payload,
            prev_hash=prev_hash,
            entry_hash=chain_hash(prev_hash, payload),
        )


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int
    first_broken_seq: int | None = None
    problem: str = ""
    verified_at: datetime | None = None


def verify(*, progress: Callable[[int], None] | None = None, chunk_size: int = 5000) -> Verification:
    """Recompute the whole chain; report the first entry whose content or link does not hold."""
    expected_seq, prev_hash, checked = 1, GENESIS_HASH, 0
    rows = (
        LedgerEntry.objects.order_by("seq")
        .values_list("seq", "action", "object_type", "object_id", "payload", "prev_hash", "entry_hash")
        .iterator(chunk_size=chunk_size)
    )
    for seq, action, object_type, object_id, payload, stored_prev, stored_hash in rows:
        problem = _entry_problem(
            seq, expected_seq, prev_hash, action, object_type, object_id, payload, stored_prev, stored_hash
        )
        if problem:
            return Verification(False, checked, seq, problem, timezone.now())
        prev_hash, expected_seq, checked = stored_hash, seq + 1, checked + 1
        if progress and checked % chunk_size == 0:
            progress(checked)
    return Verification(True, checked, verified_at=timezone.now())


def _entry_problem(seq, expected_seq, prev_hash, action, object_type, object_id, payload, stored_prev, stored_hash):
    if seq != expected_seq:
        return f"entry {expected_seq} is missing (next entry is {seq})"
    if stored_prev != prev_hash:
        return "its previous-hash does not match the entry before it"
    if chain_hash(prev_hash, payload) != stored_hash:
        return "its hash does not match its content"
    try:
        body = json.loads(payload)
    except ValueError:
        return "its payload is not valid JSON"
    if (body.get("seq"), body.get("action"), body.get("object", {}).get("type"), body.get("object", {}).get("id")) != (
        seq,
        action,
        object_type,
        object_id,
    ):
        return "its columns disagree with its hashed payload"
    return ""
