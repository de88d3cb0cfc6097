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
from django.utils.translation import gettext as _

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


def entry_payload(
    *, seq: int, recorded_at: datetime, action: str, obj: Model, actor, reason: str, data: dict | None
) -> str:
    """The hashed text of one entry. Bulk writers (seed_scale) build entries with it too."""
    return canonical_json(
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
        payload = entry_payload(
            seq=seq, recorded_at=recorded_at, action=action, obj=obj, actor=actor, reason=reason, data=data
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
    rows = LedgerEntry.objects.order_by("seq").values_list(*_VERIFIED_COLUMNS).iterator(chunk_size=chunk_size)
    for row in rows:
        problem = _entry_problem(dict(zip(_VERIFIED_COLUMNS, row, strict=True)), expected_seq, prev_hash)
        if problem:
            return Verification(False, checked, row[0], problem, timezone.now())
        prev_hash, expected_seq, checked = row[-1], row[0] + 1, checked + 1
        if progress and checked % chunk_size == 0:
            progress(checked)
    return Verification(True, checked, verified_at=timezone.now())


# seq first and entry_hash last: verify() reads them by position.
_VERIFIED_COLUMNS = (
    "seq",
    "recorded_at",
    "action",
    "object_type",
    "object_id",
    "actor_id",
    "payload",
    "prev_hash",
    "entry_hash",
)


def _entry_problem(row: dict, expected_seq: int, prev_hash: str) -> str:
    if row["seq"] != expected_seq:
        return _("entry %(missing)s is missing (next entry is %(next)s)") % {
            "missing": expected_seq,
            "next": row["seq"],
        }
    if row["prev_hash"] != prev_hash:
        return _("its previous-hash does not match the entry before it")
    if chain_hash(prev_hash, row["payload"]) != row["entry_hash"]:
        return _("its hash does not match its content")
    try:
        body = json.loads(row["payload"])
        hashed = (
            body["seq"],
            datetime.fromisoformat(body["recorded_at"]),
            body["action"],
            body["object"]["type"],
            body["object"]["id"],
            (body["actor"] or {}).get("id"),
        )
    except (ValueError, TypeError, KeyError, AttributeError):
        return _("its payload is not a ledger entry")
    # The columns are what pages and filters show: a DBA who edits only them (who acted, when)
    # leaves the hash intact, so they are checked against the hashed payload too.
    columns = (row["seq"], row["recorded_at"], row["action"], row["object_type"], row["object_id"], row["actor_id"])
    if hashed != columns:
        return _("its columns disagree with its hashed payload")
    return ""
