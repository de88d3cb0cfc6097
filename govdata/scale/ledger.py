"""The seeded ledger: the newest workflow steps of the seeded objects, chained and signed.

A province's history holds far more steps than the ledger size asked for (a million uses alone),
so the ledger is taken to have gone live at some moment: every step from then on is in it, in
time order, and nothing before. `LedgerWindow` keeps the newest `size` steps while the stages
stream past; `write_ledger` then hashes them exactly as `sharing.ledger.append` does and COPYs
them in seq order, signing checkpoints with sharing/checkpoints.py along the way.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from datetime import datetime

from django.db.models import Model

from sharing import checkpoints
from sharing.ledger import GENESIS_HASH, chain_hash, entry_payload, object_label
from sharing.models import LedgerEntry

from .copy import Copier

# How many checkpoints the seeded ledger gets (the bureau signs periodically, not once).
CHECKPOINTS = 10


class LedgerWindow:
    """The newest `size` ledger-worthy steps seen so far."""

    def __init__(self, size: int):
        self.size = size
        self._heap: list[tuple] = []
        self._order = itertools.count()

    def wants(self, when: datetime) -> bool:
        """Would a step at `when` make it into the window? (Lets callers skip building it.)"""
        return self.size > 0 and (len(self._heap) < self.size or when > self._heap[0][0])

    def add(
        self,
        when: datetime,
        action: str,
        build: Callable[[], Model],
        actor_id: int | None,
        reason: str,
        data: dict,
    ) -> None:
        """Record a step; `build` makes the (unsaved) object whose label, pk and str() are hashed."""
        entry = (when, next(self._order), action, build, actor_id, reason, data)
        if len(self._heap) < self.size:
            heapq.heappush(self._heap, entry)
        elif self.size and when > self._heap[0][0]:
            heapq.heapreplace(self._heap, entry)

    def __len__(self):
        return len(self._heap)

    def in_order(self):
        return sorted(self._heap, key=lambda e: (e[0], e[1]))


def write_ledger(window: LedgerWindow, copier: Copier, users: dict[int, Model]) -> int:
    """COPY the window's steps as a hash chain from the genesis; returns how many checkpoints were signed."""
    steps = window.in_order()
    if not steps:
        return 0
    chunk = max(1, -(-len(steps) // CHECKPOINTS))
    prev_hash = GENESIS_HASH
    signed = 0
    for start in range(0, len(steps), chunk):
        rows = []
        for seq, (when, _order, action, build, actor_id, reason, data) in enumerate(
            steps[start : start + chunk], start=start + 1
        ):
            obj = build()
            actor = users[actor_id] if actor_id is not None else None
            payload = entry_payload(
                seq=seq, recorded_at=when, action=action, obj=obj, actor=actor, reason=reason, data=data
            )
            entry_hash = chain_hash(prev_hash, payload)
            rows.append(
                {
                    "seq": seq,
                    "recorded_at": when,
                    "action": action,
                    "object_type": object_label(obj),
                    "object_id": str(obj.pk),
                    "actor_id": actor_id,
                    "payload": payload,
                    "prev_hash": prev_hash,
                    "entry_hash": entry_hash,
                }
            )
            prev_hash = entry_hash
        copier.copy(LedgerEntry, rows)
        if checkpoints.checkpoint_create() is not None:
            signed += 1
    return signed
