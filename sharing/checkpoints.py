"""Signed checkpoints over the ledger, and the proofs an auditor checks against them.

A checkpoint signs `{"log", "tree_size", "root_hash", "signed_at"}` (canonical JSON) with the
bureau's Ed25519 key. Leaves are the ledger entries' hashes, so a checkpoint commits to every
payload and link before it.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from . import ledger, merkle
from .ledger import Verification, canonical_json
from .models import LedgerCheckpoint, LedgerEntry

LOG_NAME = "govdata-ledger"


# --- The bureau's key -----------------------------------------------------------------------


def load_signing_key(*, create: bool = False) -> Ed25519PrivateKey:
    """The key from LEDGER_SIGNING_KEY, else from LEDGER_SIGNING_KEY_FILE (created on request)."""
    if settings.LEDGER_SIGNING_KEY:
        return Ed25519PrivateKey.from_private_bytes(base64.b64decode(settings.LEDGER_SIGNING_KEY))
    path = Path(settings.LEDGER_SIGNING_KEY_FILE)
    if not path.exists():
        if not create:
            raise ImproperlyConfigured(
                f"No ledger signing key: set LEDGER_SIGNING_KEY, or create {path} with "
                "`manage.py checkpoint_ledger --create-key` (seed_demo does so for the demo)."
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        path.write_bytes(pem)
        path.chmod(0o600)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ImproperlyConfigured(f"{path} does not hold an Ed25519 private key.")
    return key


def public_key_bytes(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    return hashlib.sha256(public_key_bytes(key)).hexdigest()[:16]


def public_key_pem() -> str:
    public = load_signing_key().public_key()
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


# --- Checkpoints ----------------------------------------------------------------------------


def _signed_message(tree_size: int, root_hash: str, signed_at) -> bytes:
    return canonical_json(
        {"log": LOG_NAME, "tree_size": tree_size, "root_hash": root_hash, "signed_at": signed_at.isoformat()}
    ).encode()


def leaf_hashes(limit: int | None = None) -> list[bytes]:
    rows = LedgerEntry.objects.order_by("seq").values_list("entry_hash", flat=True)
    if limit is not None:
        rows = rows[:limit]
    return [merkle.leaf_hash(bytes.fromhex(h)) for h in rows.iterator(chunk_size=10000)]


def checkpoint_create() -> LedgerCheckpoint | None:
    """Sign the tree head over every entry so far; None when nothing was added since the last one."""
    key = load_signing_key()
    with transaction.atomic():
        leaves = leaf_hashes()
        if not leaves or LedgerCheckpoint.objects.filter(tree_size__gte=len(leaves)).exists():
            return None
        root = merkle.root_from_leaf_hashes(leaves).hex()
        signed_at = timezone.now()
        signature = key.sign(_signed_message(len(leaves), root, signed_at))
        return LedgerCheckpoint.objects.create(
            tree_size=len(leaves),
            root_hash=root,
            signed_at=signed_at,
            key_id=key_id(key),
            signature=base64.b64encode(signature).decode(),
        )


def checkpoint_document(checkpoint: LedgerCheckpoint) -> dict:
    """What an auditor downloads and keeps: enough to verify the signature offline."""
    return {
        "log": LOG_NAME,
        "tree_size": checkpoint.tree_size,
        "root_hash": checkpoint.root_hash,
        "signed_at": checkpoint.signed_at.isoformat(),
        "key_id": checkpoint.key_id,
        "signature": checkpoint.signature,
        "algorithm": "Ed25519 over canonical JSON of log, tree_size, root_hash, signed_at; RFC 6962 tree",
    }


def signature_is_valid(checkpoint: LedgerCheckpoint, public_key: Ed25519PublicKey) -> bool:
    try:
        public_key.verify(
            base64.b64decode(checkpoint.signature),
            _signed_message(checkpoint.tree_size, checkpoint.root_hash, checkpoint.signed_at),
        )
    except (InvalidSignature, ValueError):
        return False
    return True


@dataclass(frozen=True)
class CheckpointProblem:
    tree_size: int
    problem: str


def verify_checkpoints(roots: dict[int, bytes] | None = None) -> CheckpointProblem | None:
    """Each checkpoint's signature holds and its root matches the entries it covers today.

    The chain check alone cannot see a ledger rewritten from some entry on with every later hash
    recomputed; a checkpoint signed before the rewrite can. `roots` are the Merkle roots over
    today's entries by tree size, as `ledger.verify(tree_sizes=...)` computes them in its pass;
    without them this reads the entry hashes itself.
    """
    signed = list(LedgerCheckpoint.objects.order_by("tree_size"))
    if roots is None:
        roots = _roots_at([checkpoint.tree_size for checkpoint in signed])
    return _first_failing(signed, roots)


def verify_ledger(
    *, progress: Callable[[int], None] | None = None, processes: int = 1
) -> tuple[Verification, CheckpointProblem | None]:
    """What `manage.py verify_ledger` checks: the hash chain, then every signed checkpoint.

    One read of the ledger serves both: the chain pass computes the checkpoints' roots as it goes.
    The checkpoints are only checked when the chain holds (the chain names the broken entry).
    `processes` is passed to `ledger.verify` (2 halves a long ledger between two processes).
    """
    # Read first: a checkpoint signed during the pass would otherwise find no root to compare.
    signed = list(LedgerCheckpoint.objects.order_by("tree_size"))
    sizes = [checkpoint.tree_size for checkpoint in signed]
    result = ledger.verify(progress=progress, tree_sizes=sizes, processes=processes)
    if not result.ok:
        return result, None
    return result, _first_failing(signed, result.roots)


def _first_failing(signed: list[LedgerCheckpoint], roots: dict[int, bytes]) -> CheckpointProblem | None:
    public_key = load_signing_key().public_key()
    for checkpoint in signed:
        if checkpoint.key_id != key_id(public_key) or not signature_is_valid(checkpoint, public_key):
            return CheckpointProblem(checkpoint.tree_size, "its signature is not valid (forged or altered checkpoint)")
        root = roots.get(checkpoint.tree_size)
        if root is None:
            return CheckpointProblem(checkpoint.tree_size, "it covers entries that no longer exist")
        if root.hex() != checkpoint.root_hash:
            return CheckpointProblem(checkpoint.tree_size, "the entries it covers were changed after it was signed")
    return None


def _roots_at(sizes: list[int]) -> dict[int, bytes]:
    """The Merkle roots over the first n entries, for each n in `sizes` that many entries exist."""
    wanted, roots = sorted(set(sizes)), {}
    if not wanted:
        return roots
    frontier, batch, next_index = merkle.Frontier(), [], 0
    hashes = LedgerEntry.objects.order_by("seq").values_list("entry_hash", flat=True)[: wanted[-1]]
    for entry_hash in hashes.iterator(chunk_size=10000):
        batch.append(merkle.leaf_hash(bytes.fromhex(entry_hash)))
        if frontier.count + len(batch) == wanted[next_index] or len(batch) == 10000:
            frontier.extend(batch)
            batch.clear()
            if frontier.count == wanted[next_index]:
                roots[frontier.count] = frontier.root()
                next_index += 1
                if next_index == len(wanted):
                    break
    return roots


def inclusion_proof_for(seq: int, checkpoint: LedgerCheckpoint) -> dict:
    """Proof that entry `seq` is among the entries `checkpoint` signed."""
    if not 1 <= seq <= checkpoint.tree_size:
        raise ValueError("the entry is not covered by this checkpoint")
    leaves = leaf_hashes(checkpoint.tree_size)
    proof = merkle.inclusion_proof(leaves, seq - 1)
    return {
        "seq": seq,
        "leaf_hash": leaves[seq - 1].hex(),
        "tree_size": checkpoint.tree_size,
        "root_hash": checkpoint.root_hash,
        "proof": [p.hex() for p in proof],
    }


def consistency_proof_between(old: LedgerCheckpoint, new: LedgerCheckpoint) -> dict:
    leaves = leaf_hashes(new.tree_size)
    proof = merkle.consistency_proof(leaves, old.tree_size)
    return {
        "old_size": old.tree_size,
        "old_root": old.root_hash,
        "new_size": new.tree_size,
        "new_root": new.root_hash,
        "proof": [p.hex() for p in proof],
    }
