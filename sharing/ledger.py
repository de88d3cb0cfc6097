"""The evidence ledger: append, and verify the hash chain.

Every workflow step of every app calls `append` inside the transaction of the step itself, so a
step and its ledger entry commit or roll back together. Appends are serialized (a PostgreSQL
advisory lock held until commit; SQLite transactions start IMMEDIATE), which keeps the chain
linear under concurrency. Nothing else writes the ledger table.

`verify` reads the ledger once, in seq order: it recomputes every hash in Python (trusting no
hash the database computes), checks each link and that the columns pages show hold the values
in the hashed payload, and computes the Merkle roots the signed checkpoints need on the way.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from . import merkle
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


def verify(
    *, progress: Callable[[int], None] | None = None, chunk_size: int = 5000, tree_sizes: Iterable[int] = ()
) -> Verification:
    """Recompute the whole chain; report the first entry whose content or link does not hold.

    In the same single read of the ledger it computes the Merkle root over the first n entries
    for each n in `tree_sizes` (the signed checkpoints' sizes), so that checking the checkpoints
    needs no second read (`checkpoints.verify_ledger` does both). `progress(n)` is called after
    every `chunk_size` entries. Nothing may use the database connection from `progress`: on
    PostgreSQL the entries stream over it while the loop runs.
    """
    sha256, leaf_prefix = hashlib.sha256, merkle.LEAF_PREFIX
    columns_agree = _canonical_columns_check()
    wanted = sorted({size for size in tree_sizes if size > 0})
    last_leaf = wanted[-1] if wanted else 0  # no checkpoint needs the leaves after it
    sizes = iter(wanted)
    next_size = next(sizes, None)
    next_progress = chunk_size if progress else None
    next_batch = _LEAF_BATCH
    # The loop compares seq with one number only: the next place where leaves are folded into
    # the tree (a checkpoint's size, a progress report, or a full batch).
    stop = _next_stop(next_size, next_progress, next_batch)
    frontier, digests, roots = merkle.Frontier(), [], {}
    expected, prev_digest, prev_hex = 1, bytes.fromhex(GENESIS_HASH), GENESIS_HASH
    with _chain_rows(chunk_size) as rows:
        for row in rows:
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
                    return Verification(False, expected - 1, seq, problem, timezone.now())
            if seq <= last_leaf:
                digests.append(digest)
            prev_digest, prev_hex, expected = digest, hexdigest, seq + 1
            if seq == stop:
                # Leaf hashes a batch at a time: a list comprehension costs less per hash.
                frontier.extend([sha256(leaf_prefix + digest).digest() for digest in digests])
                digests.clear()
                if seq == next_size:
                    roots[seq] = frontier.root()
                    next_size = next(sizes, None)
                if seq == next_progress:
                    progress(seq)
                    next_progress += chunk_size
                if seq == next_batch:
                    next_batch += _LEAF_BATCH
                stop = _next_stop(next_size, next_progress, next_batch)
    return Verification(True, expected - 1, verified_at=timezone.now(), roots=roots)


_LEAF_BATCH = 8192  # entry hashes held before they are folded into the tree


def _next_stop(*seqs: int | None) -> int:
    return min((seq for seq in seqs if seq is not None), default=-1)


# What the chain pass reads per entry, in this order: the payload as UTF-8 bytes (what is hashed),
# the links, then the columns that must agree with the payload.
_CHAIN_SQL = (
    "SELECT seq, convert_to(payload, 'UTF8'), prev_hash, entry_hash,"
    " recorded_at, action, object_type, object_id, actor_id"
    " FROM sharing_ledgerentry ORDER BY seq"
)


@contextmanager
def _chain_rows(chunk_size: int) -> Iterator[Iterator[tuple]]:
    """The entries in seq order, as tuples in _CHAIN_SQL's order.

    On PostgreSQL they stream in binary over the connection, so the server reads the next rows
    while Python hashes these. Leaving early drains the stream rather than cancelling it: a
    cancelled statement would abort the caller's transaction.
    """
    if connection.vendor != "postgresql":
        yield _orm_chain_rows(chunk_size)
        return
    import psycopg

    connection.ensure_connection()
    # Chunked streaming needs libpq 17; older ones deliver row by row (slower, same result).
    size = max(chunk_size, 1) if psycopg.pq.version() >= 170000 else 1
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        rows = cursor.stream(_CHAIN_SQL, binary=True, size=size)
        try:
            yield rows
        finally:
            for _row in rows:
                pass


def _orm_chain_rows(chunk_size: int) -> Iterator[tuple]:
    rows = LedgerEntry.objects.order_by("seq").values_list(*_VERIFIED_COLUMNS).iterator(chunk_size=chunk_size)
    for seq, recorded_at, action, object_type, object_id, actor_id, payload, prev_hash, entry_hash in rows:
        yield seq, payload.encode(), prev_hash, entry_hash, recorded_at, action, object_type, object_id, actor_id


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
