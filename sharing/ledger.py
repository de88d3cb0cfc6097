"""The evidence ledger: append, and verify the hash chain.

Every workflow step of every app calls `append` inside the transaction of the step itself, so a
step and its ledger entry commit or roll back together. Appends are serialized (a PostgreSQL
advisory lock held until commit; SQLite transactions start IMMEDIATE), which keeps the chain
linear under concurrency. Nothing else writes the ledger table.

`verify` reads the ledger once, in seq order: it recomputes every hash in Python (trusting no
hash the database computes), checks each link and that the columns pages show hold the values
in the hashed payload, and computes the Merkle roots the signed checkpoints need on the way.
The verify_ledger command has a forked process read the second half of a long ledger meanwhile.
"""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing
import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import NamedTuple

import psycopg
import psycopg.sql
from django.db import connection, transaction
from django.db.models import Max, Model
from django.utils import timezone
from django.utils.translation import gettext as _
from psycopg.types.string import ByteaBinaryLoader

from . import merkle
from .models import LedgerEntry

GENESIS_HASH = "0" * 64
# An arbitrary constant that names the ledger's advisory lock in PostgreSQL.
LEDGER_LOCK_KEY = 0x6C656467  # "ledg"

logger = logging.getLogger(__name__)


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
            "object": _object_part(obj),
            "actor": _actor_part(actor),
            "reason": reason,
            "data": data or {},
        }
    )


def _object_part(obj: Model) -> dict:
    return {"type": object_label(obj), "id": str(obj.pk), "repr": str(obj)}


def _actor_part(actor) -> dict | None:
    return {"id": actor.pk, "username": actor.get_username()} if actor else None


# The hot path of every workflow step is plain SQL (no ORM, no savepoint). The lock is held from
# reading the head until the caller commits, so each statement inside it caps the append rate of
# all writers together.
_LOCK_AND_READ_HEAD = "SELECT seq, entry_hash FROM sharing_ledger_lock_head(%s)"  # migration 0007
_READ_HEAD = "SELECT seq, entry_hash FROM sharing_ledgerentry ORDER BY seq DESC LIMIT 1"
_INSERT = (
    "INSERT INTO sharing_ledgerentry"
    " (seq, recorded_at, action, object_type, object_id, actor_id, payload, prev_hash, entry_hash)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
)


def append(*, action: str, obj: Model, actor, reason: str = "", data: dict | None = None) -> LedgerEntry:
    """Append one entry recording `action` on `obj` by `actor`, chained to the previous entry.

    Runs inside the caller's transaction (or its own when there is none), so the step and its
    entry commit or roll back together.
    """
    # Everything that does not depend on the head is prepared before taking the lock, which is
    # held until the caller commits (str(obj) may even query the database).
    object_part = _object_part(obj)
    entry = LedgerEntry(action=action, object_type=object_part["type"], object_id=object_part["id"], actor=actor)
    # The canonical payload but for its last two keys, which sort after all the others.
    payload_head = canonical_json(
        {"action": action, "object": object_part, "actor": _actor_part(actor), "reason": reason, "data": data or {}}
    )[:-1]
    # No savepoint: an append that fails must fail the caller's whole step anyway.
    with transaction.atomic(savepoint=False), _cursor() as cursor:
        if connection.vendor == "postgresql":
            # One round trip: the advisory lock (held until commit), then the head as committed by
            # the previous holder.
            cursor.execute(_LOCK_AND_READ_HEAD, [LEDGER_LOCK_KEY])
        else:
            # SQLite: the transaction began IMMEDIATE (settings), so it holds the write lock.
            cursor.execute(_READ_HEAD)
        last = cursor.fetchone()
        seq, prev_hash = (last[0] + 1, last[1]) if last and last[0] is not None else (1, GENESIS_HASH)
        # Taken under the lock, so that recorded_at never goes backwards along the chain.
        recorded_at = timezone.now()
        # Exactly entry_payload(...): an ISO time needs no JSON escaping (a test holds them equal).
        payload = f'{payload_head},"recorded_at":"{recorded_at.isoformat()}","seq":{seq}}}'
        entry_hash = chain_hash(prev_hash, payload)
        cursor.execute(
            _INSERT,
            [
                seq,
                connection.ops.adapt_datetimefield_value(recorded_at),
                action,
                entry.object_type,
                entry.object_id,
                entry.actor_id,
                payload,
                prev_hash,
                entry_hash,
            ],
        )
    entry.seq, entry.recorded_at, entry.payload, entry.prev_hash, entry.entry_hash = (
        seq,
        recorded_at,
        payload,
        prev_hash,
        entry_hash,
    )
    entry._state.adding, entry._state.db = False, connection.alias
    return entry


def _cursor():
    """A cursor on the default connection; on PostgreSQL one that binds parameters on the server.

    Django's default psycopg cursor quotes every parameter into the SQL text in Python (here a
    whole payload per append); binding on the server raised the rate of four writers by about a
    sixth on the benchmark machine. It stays a Django cursor: errors are translated and queries
    logged as usual. (Prepared statements stay off, as Django leaves them, for poolers' sake.)
    """
    if connection.vendor != "postgresql":
        return connection.cursor()
    from django.db.backends.postgresql.base import ServerBindingCursor

    connection.ensure_connection()
    connection.validate_thread_sharing()
    raw = ServerBindingCursor(connection.connection)
    return connection.make_debug_cursor(raw) if connection.queries_logged else connection.make_cursor(raw)


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int
    first_broken_seq: int | None = None
    problem: str = ""
    verified_at: datetime | None = None
    # The Merkle roots over the first n entries for the n verify() was asked for (tree_sizes).
    roots: dict[int, bytes] = field(default_factory=dict, compare=False, repr=False)
    # How many processes shared the reading (see verify's `processes`).
    processes: int = field(default=1, compare=False)


def verify(
    *,
    progress: Callable[[int], None] | None = None,
    chunk_size: int = 5000,
    tree_sizes: Iterable[int] = (),
    processes: int = 1,
) -> Verification:
    """Recompute the whole chain; report the first entry whose content or link does not hold.

    In the same single read of the ledger it computes the Merkle root over the first n entries
    for each n in `tree_sizes` (the signed checkpoints' sizes), so that checking the checkpoints
    needs no second read (`checkpoints.verify_ledger` does both). `progress(n)` is called after
    every `chunk_size` entries. Nothing may use the database connection from `progress`: on
    PostgreSQL the entries stream over it while the loop runs.

    With `processes` above 1, a forked process checks the second half of the chain meanwhile
    (on PostgreSQL, outside a transaction, from SPLIT_MIN_ENTRIES entries); the result is the
    single pass's. Forking suits a single-threaded caller such as the verify_ledger command, not
    the threads of a web server.
    """
    heads, report = _TreeHeads(tree_sizes), _Progress(progress, chunk_size)
    if processes > 1 and (plan := _split_plan()):
        return _verify_in_halves(heads, report, *plan)
    with _chain_rows() as rows:
        run = _check_run(rows, _GENESIS, heads.last_leaf, heads.add, report)
    return run.verification(heads.roots)


class _Link(NamedTuple):
    """Where a run of entries joins the chain: the seq its first entry must have, and the hash
    (as bytes) of the entry before it."""

    seq: int
    prev_digest: bytes


_GENESIS = _Link(1, bytes.fromhex(GENESIS_HASH))


@dataclass(frozen=True)
class _Run:
    """How a run of entries checked out: `end` is where the next entry would join the chain
    (at a break: the broken entry's place); `cut_short` if it stopped where it was asked to,
    before the end of its rows."""

    end: _Link
    broken_seq: int | None = None
    problem: str = ""
    cut_short: bool = False

    def verification(self, roots: dict[int, bytes], processes: int = 1) -> Verification:
        checked, now = self.end.seq - 1, timezone.now()
        if self.broken_seq is None:
            return Verification(True, checked, verified_at=now, roots=roots, processes=processes)
        return Verification(False, checked, self.broken_seq, self.problem, now, processes=processes)


# Entries checked between two hand-overs of their leaves to the Merkle tree (and progress reports):
# large enough that the per-batch work vanishes, small enough that the leaves of one batch are a
# small list.
_BATCH = 1024


def _check_run(
    rows: Iterator[tuple],
    start: _Link,
    last_leaf: int,
    add_leaves: Callable[[list[bytes]], None],
    go_on: Callable[[int], bool],
) -> _Run:
    """Check `rows` (in _CHAIN_SQL's order and seq order) as the chain's continuation at `start`.

    Stops at the first entry whose content or link does not hold. A batch at a time, it hands
    the leaf hashes of the entries up to seq `last_leaf` to `add_leaves`, in order, then the
    seq of the last entry checked to `go_on`, and ends there (intact) if that returns False.
    """
    sha256, columns_agree = hashlib.sha256, _canonical_columns_check()
    expected, prev_digest = start
    prev_hex = prev_digest.hex()
    while batch := list(islice(rows, _BATCH)):
        first, digests = expected, []
        for row in batch:
            seq, payload, prev_hash, entry_hash, recorded_at, action, object_type, object_id, actor_id = row
            digest = sha256(prev_digest + payload).digest()
            hexdigest = digest.hex()
            if (
                seq != expected
                or prev_hash != prev_hex
                or hexdigest != entry_hash
                or not columns_agree(seq, payload, recorded_at, action, object_type, object_id, actor_id)
            ):
                # The full check names the problem (and passes a valid entry in another form).
                problem = _entry_problem(_row_dict(row), expected, prev_hex)
                if problem:
                    return _Run(_Link(expected, prev_digest), seq, problem)
            digests.append(digest)
            prev_digest, prev_hex, expected = digest, hexdigest, seq + 1
        if first <= last_leaf:
            add_leaves(merkle.leaf_hashes(digests[: last_leaf - first + 1]))
        if not go_on(expected - 1):
            return _Run(_Link(expected, prev_digest), cut_short=True)
    return _Run(_Link(expected, prev_digest))


class _TreeHeads:
    """The Merkle roots over the first n entries for each n asked for, as the leaves come in order."""

    def __init__(self, sizes: Iterable[int]) -> None:
        self.sizes = sorted({size for size in sizes if size > 0})
        self.last_leaf = self.sizes[-1] if self.sizes else 0  # no root needs a leaf after it
        self.roots: dict[int, bytes] = {}
        self._frontier = merkle.Frontier()

    def add(self, leaves: list[bytes]) -> None:
        """Add the next leaf hashes, stopping at each wanted size to take the root there."""
        frontier, start = self._frontier, 0
        while start < len(leaves) and len(self.roots) < len(self.sizes):
            size = self.sizes[len(self.roots)]
            take = min(size - frontier.count, len(leaves) - start)
            frontier.extend(leaves[start : start + take])
            start += take
            if frontier.count == size:
                self.roots[size] = frontier.root()

    def add_parts(self, parts: list[bytes | list[bytes]]) -> None:
        """Add the next leaves as _Blocks folded them: block roots, and lists of leaf hashes."""
        frontier = self._frontier
        for part in parts:
            if isinstance(part, list):
                self.add(part)
            elif len(self.roots) < len(self.sizes):
                frontier.extend_blocks([part])
                if frontier.count == (size := self.sizes[len(self.roots)]):
                    self.roots[size] = frontier.root()
                elif frontier.count > size:
                    raise ValueError(f"a block root went past the root wanted over {size} leaves")


class _Blocks:
    """The leaf hashes of a piece of the ledger read apart, folded into block roots where they may.

    Folding a block (merkle.Frontier.BLOCK leaves) into its root is most of the work of adding
    it to the tree, so the process that read the piece does it, not the one that joins the
    pieces in the end. Leaves that end a block begun before the piece stay leaves, and so do a
    block inside which a wanted root ends and a last block that is not full.
    """

    def __init__(self, sizes: list[int], first_seq: int) -> None:
        self._sizes, self._count = sizes, first_seq - 1  # leaves before the pending ones
        self._parts: list[bytes | list[bytes]] = []
        self._pending: list[bytes] = []

    def extend(self, leaves: list[bytes]) -> None:
        pending, block, start = self._pending, merkle.Frontier.BLOCK, 0
        pending.extend(leaves)
        # Up to the next block boundary at a time: the first step may end a block begun before.
        while len(pending) - start >= (step := block - self._count % block):
            leaves_to_boundary = pending[start : start + step]
            if step < block or self._a_root_ends_inside(self._count, self._count + block):
                self._parts.append(leaves_to_boundary)
            else:
                self._parts.append(merkle.root_from_leaf_hashes(leaves_to_boundary))
            self._count += step
            start += step
        del pending[:start]

    def parts(self) -> list[bytes | list[bytes]]:
        """The piece's part of the tree so far, in order: block roots, and lists of leaf hashes."""
        return [*self._parts, list(self._pending)] if self._pending else list(self._parts)

    def _a_root_ends_inside(self, before: int, last: int) -> bool:
        """Is a root wanted over more than `before` and fewer than `last` leaves?"""
        index = bisect_right(self._sizes, before)
        return index < len(self._sizes) and self._sizes[index] < last


class _Progress:
    """Calls `progress(n)` for every multiple n of `every` the entries checked pass."""

    def __init__(self, progress: Callable[[int], None] | None, every: int) -> None:
        self._progress, self._every = progress, every
        self._next = every if progress else None

    def __call__(self, checked: int) -> bool:
        while self._next is not None and self._next <= checked:
            self._progress(self._next)
            self._next += self._every
        return True  # as _check_run's `go_on`: reporting never stops a pass


# What the chain pass reads per entry, in this order: the payload as UTF-8 bytes (what is hashed),
# the links, then the columns that must agree with the payload.
_CHAIN_SQL = (
    "SELECT seq, payload, prev_hash, entry_hash, recorded_at, action, object_type, object_id, actor_id"
    " FROM sharing_ledgerentry {where} ORDER BY seq"
)
# Rows per chunk of the stream: small chunks keep the server sending while Python checks, and
# cost less memory (chunks of 5,000 took some 4% longer on the benchmark machine).
_STREAM_CHUNK = 256


@contextmanager
def _chain_rows(*, after: int | None = None, until: int | None = None) -> Iterator[Iterator[tuple]]:
    """The entries in seq order (those after seq `after` up to seq `until`), as tuples in
    _CHAIN_SQL's order.

    On PostgreSQL they stream in binary over the connection, so the server reads the next rows
    while Python hashes these. Leaving early drains the stream rather than cancelling it: a
    cancelled statement would abort the caller's transaction. (Ranges are for PostgreSQL only.)
    """
    if connection.vendor != "postgresql":
        yield _orm_chain_rows()
        return
    connection.ensure_connection()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        rows = _stream(cursor, after, until)
        try:
            yield rows
        finally:
            for _row in rows:
                pass


def _stream(cursor: psycopg.Cursor, after: int | None, until: int | None) -> Iterator[tuple]:
    conditions, params = [], []
    if after is not None:
        conditions.append("seq > %s")
        params.append(after)
    if until is not None:
        conditions.append("seq <= %s")
        params.append(until)
    sql = _CHAIN_SQL.format(where=f"WHERE {' AND '.join(conditions)}" if conditions else "")
    # The payload is the one text column (the others are varchar): in binary it arrives as its
    # bytes in the client encoding, UTF-8, which is what is hashed. Kept as bytes, it costs
    # neither the server a conversion (convert_to took a fifth of its time) nor Python a decode.
    cursor.adapters.register_loader("text", ByteaBinaryLoader)
    # Chunked streaming needs libpq 17; older ones deliver row by row (slower, same result).
    size = _STREAM_CHUNK if psycopg.pq.version() >= 170000 else 1
    return cursor.stream(sql, params, binary=True, size=size)


def _orm_chain_rows() -> Iterator[tuple]:
    rows = LedgerEntry.objects.order_by("seq").values_list(*_VERIFIED_COLUMNS).iterator(chunk_size=_BATCH)
    for seq, recorded_at, action, object_type, object_id, actor_id, payload, prev_hash, entry_hash in rows:
        yield seq, payload.encode(), prev_hash, entry_hash, recorded_at, action, object_type, object_id, actor_id


# --- Two processes --------------------------------------------------------------------------------

# Below this many entries a second process saves little: forking it, connecting and its cold
# start cost some 25 ms. On the benchmark machine one process and two took as long for 20,000
# entries; for 50,000 two took a fifth less time, for 100,000 some 30% less.
SPLIT_MIN_ENTRIES = 50_000


def _split_plan() -> tuple[int, int] | None:
    """(where to halve the ledger, its last seq) for two processes, or None when not to split.

    Another connection sees neither a transaction's uncommitted entries nor its snapshot, so
    the ledger is only split outside any transaction; SQLite is never split.
    """
    if connection.vendor != "postgresql" or not connection.get_autocommit():
        return None
    last_seq = LedgerEntry.objects.aggregate(last=Max("seq"))["last"] or 0
    return (last_seq // 2, last_seq) if last_seq >= SPLIT_MIN_ENTRIES else None


class _Piece(NamedTuple):
    """A run of entries checked apart from those before it: where it started (from the hash the
    database holds for the entry before; None if that entry is missing or holds no hash), what
    it found, and its part of the Merkle tree (_Blocks.parts)."""

    start: _Link | None
    run: _Run | None
    tree: list[bytes | list[bytes]]


def _verify_in_halves(heads: _TreeHeads, report: _Progress, middle: int, last_seq: int) -> Verification:
    """Check the entries up to seq `middle` here while a forked process checks the rest.

    Both read one snapshot, exported by this transaction, so they see the very ledger a single
    pass would. When this process is done with its half first (the other one starts some
    milliseconds later), it takes over the end of the other's (_take_over_the_end).

    The other pieces start from the hash the database holds for the entry before them, so each
    stands only if the piece before it ended exactly there (the next seq, the same hash).
    Otherwise (entries missing or changed where they meet, or the process failed) this process
    checks the rest itself from where the pieces that stand ended, as a single pass would.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")  # first in the transaction
        cursor.execute("SELECT pg_export_snapshot()")
        with _second_half(cursor.fetchone()[0], middle, heads.sizes) as second:
            with _chain_rows(until=middle) as rows:
                run = _check_run(rows, _GENESIS, heads.last_leaf, heads.add, lambda n: report(n + second.checked))
            if run.broken_seq is not None:
                return run.verification(heads.roots, processes=2)
            end = _take_over_the_end(second, middle, last_seq, heads, report)
            outcome = second.outcome(waiting=lambda: report(middle + second.checked))
        run, after = _join(run, middle, [outcome, end], heads)
        if run.broken_seq is None and after is not None:
            with _chain_rows(after=after) as rows:
                run = _check_run(rows, run.end, heads.last_leaf, heads.add, report)
        report(run.end.seq - 1)
        return run.verification(heads.roots, processes=2)


def _join(run: _Run, after: int, pieces: list[_Piece | None], heads: _TreeHeads) -> tuple[_Run, int | None]:
    """Continue `run` (which covered the entries up to seq `after`) with each piece in turn that
    starts where it ended, adding the pieces' parts of the Merkle tree to `heads`.

    Returns the run so joined, and the seq after which the entries are still to be checked
    (None if the run broke or reached the end of the ledger).
    """
    for piece in pieces:
        if piece is None or piece.start != run.end:
            return run, after
        heads.add_parts(piece.tree)
        run = piece.run
        if run.broken_seq is not None or not run.cut_short:
            return run, None
        after = run.end.seq - 1
    return run, after


def _take_over_the_end(
    second: _SecondHalf, middle: int, last_seq: int, heads: _TreeHeads, report: _Progress
) -> _Piece | None:
    """Ask the other process to stop short of the end, and check the entries after that here
    meanwhile; None if too little is left to share.

    What is left is shared in proportion to the two processes' pace so far (in the time this
    one checked `middle` entries, the other checked `second.checked`), so that both finish
    together. The other process stops at the end of one of its batches, which end at
    middle + k * _BATCH; it is asked to stop at one it cannot have reached yet.
    """
    theirs = second.checked
    left = last_seq - middle - theirs
    if left < 4 * _BATCH:
        return None
    their_share = max(left * theirs // (middle + theirs), 2 * _BATCH)
    stop_at = middle + -(-(theirs + their_share) // _BATCH) * _BATCH  # rounded up to the end of a batch
    if stop_at >= last_seq:
        return None
    anchor = LedgerEntry.objects.filter(seq=stop_at).values_list("entry_hash", flat=True).first()
    if not anchor or not _HEX_HASH.fullmatch(anchor):
        return None
    second.stop_at(stop_at)
    start, blocks = _Link(stop_at + 1, bytes.fromhex(anchor)), _Blocks(heads.sizes, stop_at + 1)
    with _chain_rows(after=stop_at) as rows:
        run = _check_run(
            rows, start, heads.last_leaf, blocks.extend, lambda n: report(middle + second.checked + n - stop_at)
        )
    return _Piece(start, run, blocks.parts())


class _SecondHalf:
    """The forked process that checks the entries after the middle, as the parent sees it."""

    def __init__(self, results, checked, stop_at) -> None:
        self._results, self._checked, self._stop_at = results, checked, stop_at

    @property
    def checked(self) -> int:
        """How many entries it has checked so far."""
        return self._checked.value

    def stop_at(self, seq: int) -> None:
        """Ask it to stop after entry `seq`, should a batch of its end there."""
        self._stop_at.value = seq

    def outcome(self, *, waiting: Callable[[], None]) -> _Piece | None:
        """Its outcome, calling `waiting()` now and then until it comes; None if it failed."""
        while not self._results.poll(0.25):
            waiting()
        try:
            outcome = self._results.recv()
        except EOFError:
            outcome = "it ended without an outcome"
        if isinstance(outcome, str):
            logger.warning("The second ledger verifier process failed (%s); checking its half here.", outcome)
            return None
        return outcome


class _HalfTask(NamedTuple):
    """What the second process is to check, and how it connects: as Django would, on its own."""

    connection_params: dict
    time_zone: str | None
    snapshot: str
    middle: int
    tree_sizes: list[int]


@contextmanager
def _second_half(snapshot: str, middle: int, tree_sizes: list[int]) -> Iterator[_SecondHalf]:
    """Fork a process that checks the entries after `middle` in `snapshot`; stop it on leaving."""
    context = multiprocessing.get_context("fork")  # a fork starts in milliseconds, with Django set up
    # Shared with the process: how many entries it has checked, where to stop, and whether
    # its outcome is still wanted.
    checked, stop_at, wanted = context.RawValue("q", 0), context.RawValue("q", 0), context.RawValue("b", 1)
    results, sender = context.Pipe(duplex=False)
    task = _HalfTask(connection.get_connection_params(), connection.timezone_name, snapshot, middle, tree_sizes)
    process = context.Process(
        target=_check_second_half, args=(task, checked, stop_at, wanted, (results, sender)), daemon=True
    )
    process.start()
    sender.close()  # the process holds the other copy: when it ends, the pipe reports end of file
    try:
        yield _SecondHalf(results, checked, stop_at)
    finally:
        wanted.value = 0
        results.close()  # a process still sending its outcome gets a broken pipe, and ends
        process.join(timeout=10)
        if process.is_alive():
            process.kill()


class _NoLongerWanted(Exception):
    pass


def _check_second_half(task: _HalfTask, checked, stop_at, wanted, pipe) -> None:
    """The forked process: check the entries after the middle in the parent's snapshot.

    Sends the parent a _Piece, or the error text if it failed (the parent then checks this
    half itself).
    """
    parent_end, results = pipe
    # Were the parent's end open here too, sending to a parent that stopped listening would block.
    parent_end.close()

    def go_on(seq: int) -> bool:
        if not wanted.value:
            raise _NoLongerWanted
        checked.value = seq - task.middle
        return seq != stop_at.value

    try:
        outcome = _second_half_outcome(task, go_on)
    except _NoLongerWanted:
        return
    except Exception as error:
        outcome = f"{type(error).__name__}: {error}"
    try:
        results.send(outcome)
    except BrokenPipeError:  # the parent has stopped listening: the first half broke
        pass


def _second_half_outcome(task: _HalfTask, go_on: Callable[[int], bool]) -> _Piece:
    # A connection of its own: the one the process inherited is the parent's, busy streaming.
    conn = psycopg.connect(**task.connection_params)
    try:
        conn.isolation_level, conn.read_only = psycopg.IsolationLevel.REPEATABLE_READ, True
        conn.execute(psycopg.sql.SQL("SET TRANSACTION SNAPSHOT {}").format(psycopg.sql.Literal(task.snapshot)))
        if task.time_zone:
            # Django's time zone, as on its own connection: times then load as UTC, which is
            # cheaper than a zone such as the server's "Etc/UTC" (the half took a third longer).
            conn.execute(psycopg.sql.SQL("SET TIME ZONE {}").format(psycopg.sql.Literal(task.time_zone)))
        anchor = conn.execute("SELECT entry_hash FROM sharing_ledgerentry WHERE seq = %s", [task.middle]).fetchone()
        if not anchor or not _HEX_HASH.fullmatch(anchor[0]):
            return _Piece(None, None, [])
        start, blocks = _Link(task.middle + 1, bytes.fromhex(anchor[0])), _Blocks(task.tree_sizes, task.middle + 1)
        rows = _stream(psycopg.Cursor(conn), task.middle, None)
        last_leaf = task.tree_sizes[-1] if task.tree_sizes else 0
        return _Piece(start, _check_run(rows, start, last_leaf, blocks.extend, go_on), blocks.parts())
    finally:
        conn.close()


_HEX_HASH = re.compile(r"[0-9a-f]{64}")


def _row_dict(row: tuple) -> dict:
    seq, payload, prev_hash, entry_hash, recorded_at, action, object_type, object_id, actor_id = row
    return {
        "seq": seq,
        "recorded_at": recorded_at,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "actor_id": actor_id,
        "payload": payload.decode("utf-8", errors="replace"),
        "prev_hash": prev_hash,
        "entry_hash": entry_hash,
    }


def _canonical_columns_check() -> Callable[..., bool]:
    """Do an entry's columns hold the values in its payload? Checked without parsing the JSON.

    A payload that `append` wrote is canonical JSON with sorted keys:

        {"action":A,"actor":null|{"id":N,"username":U},"data":{...},
         "object":{"id":I,"repr":R,"type":T},"reason":S,"recorded_at":"TS","seq":N}

    so the compared values sit at fixed places: at the start, at the end, and just before
    `,"reason":` (the strings R and S hold no unescaped quote, so the last `},"reason":"` and
    the last `,"object":{"id":` before it are the real ones). Equal bytes mean equal values.
    Parsing every payload with `json.loads` cost more than the rest of the verification
    together; any payload this check does not recognise goes through the full check
    (`_entry_problem`), which gives the same answer as before for every payload it parses.
    """
    heads: dict[tuple, bytes] = {}
    kinds: dict[str, bytes] = {}

    def agree(seq, payload: bytes, recorded_at, action, object_type, object_id, actor_id) -> bool:
        try:
            head = heads[action, actor_id]
        except KeyError:
            actor = b"null," if actor_id is None else b'{"id":%d,"username":' % actor_id
            head = b'{"action":' + _json_string(action) + b',"actor":' + actor
            if len(heads) < _CACHE_LIMIT:
                heads[action, actor_id] = head
        tail = b'","seq":%d}' % seq
        if not (payload.startswith(head) and payload.endswith(tail)):
            return False
        end = len(payload) - len(tail)
        # The time is 32 characters (UTC with microseconds) but for one entry in a million.
        at = end - 48
        if not payload.startswith(b',"recorded_at":"', at):
            at = payload.rfind(b',"recorded_at":"', 0, end)
            if at < 0:
                return False
        reason = payload.rfind(b'},"reason":"', 0, at)
        try:
            kind = kinds[object_type]
        except KeyError:
            kind = b',"type":' + _json_string(object_type) + b"}"
            if len(kinds) < _CACHE_LIMIT:
                kinds[object_type] = kind
        if reason < 0 or not payload.endswith(kind, 0, reason + 1):
            return False
        obj = payload.rfind(b',"object":{"id":', 0, reason)
        # A digit string (the usual primary key) needs no escaping: skip the general quoting.
        quoted_id = b'"%s"' % object_id.encode() if object_id.isdigit() else _json_string(object_id)
        if obj < 0 or not payload.startswith(quoted_id + b',"repr":"', obj + 16):
            return False
        try:
            return fromisoformat(payload[at + 16 : end].decode()) == recorded_at
        except ValueError:
            return False

    fromisoformat = datetime.fromisoformat
    return agree


_CACHE_LIMIT = 10_000
# The characters json.dumps(ensure_ascii=False) escapes.
_NEEDS_ESCAPE = re.compile(r'[\x00-\x1f"\\]')


def _json_string(text: str) -> bytes:
    """`text` as canonical_json writes a string, as UTF-8."""
    if not _NEEDS_ESCAPE.search(text):
        return b'"%s"' % text.encode()
    return json.dumps(text, ensure_ascii=False).encode()


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
