"""RFC 6962 / RFC 9162 Merkle tree hashes with inclusion and consistency proofs.

Leaves are the ledger entries' hashes. A signed checkpoint commits to the tree head over the
first N entries; an auditor who kept it can later check that entry k is in it (inclusion proof)
and that a newer checkpoint extends it without rewriting anything (consistency proof). The
verification functions follow RFC 9162 §2.1.3.2 and §2.1.4.2.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def leaf_hashes(entries: Iterable[bytes]) -> list[bytes]:
    """`leaf_hash` of each entry: one comprehension costs less per hash than a call each."""
    sha256 = hashlib.sha256
    return [sha256(LEAF_PREFIX + data).digest() for data in entries]


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def root_from_leaf_hashes(hashes: Sequence[bytes]) -> bytes:
    """MTH over already leaf-hashed entries, computed bottom-up in O(n) without recursion."""
    if not hashes:
        return EMPTY_ROOT
    level = list(hashes)
    sha256 = hashlib.sha256
    while len(level) > 1:
        # RFC 6962's left-heavy tree equals pairing neighbours level by level, carrying an odd
        # last node up unchanged. (node_hash inlined: this runs once per entry of the ledger.)
        paired = [sha256(NODE_PREFIX + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


EMPTY_ROOT = hashlib.sha256(b"").digest()


class Frontier:
    """The Merkle tree head of a growing log, in O(log n) memory.

    Holds the roots of the perfect subtrees the leaves so far split into (left to right, their
    sizes the binary digits of the count); `root()` folds them from the right, which is exactly
    RFC 6962's MTH of all leaves so far. A verifier thus reads the ledger once and checks every
    checkpoint as its size passes by. Leaves are hashed in blocks of `BLOCK` level by level, which
    costs less interpreter time per leaf than merging one leaf at a time; a small block keeps
    `root()` cheap, since a ledger signed hourly for years has tens of thousands of heads.
    """

    BLOCK = 256

    __slots__ = ("count", "_blocks", "_subtrees", "_pending")

    def __init__(self) -> None:
        self.count = 0
        self._blocks = 0  # full blocks so far
        self._subtrees: list[bytes] = []  # roots of perfect subtrees of whole blocks
        self._pending: list[bytes] = []  # leaves after the last whole block

    def extend(self, leaves: Sequence[bytes]) -> None:
        """Append leaf hashes (`leaf_hash(entry hash)`), in order."""
        pending, block, start = self._pending, self.BLOCK, 0
        while start < len(leaves):
            take = min(block - len(pending), len(leaves) - start)
            pending.extend(leaves[start : start + take])
            start += take
            if len(pending) == block:
                self._push_block(root_from_leaf_hashes(pending))
                pending.clear()
        self.count += len(leaves)

    def extend_blocks(self, roots: Sequence[bytes]) -> None:
        """Append whole blocks of leaves given by their roots (`root_from_leaf_hashes` of
        `BLOCK` leaf hashes each), so that whoever read the leaves can fold them into blocks.
        The leaves so far must fill whole blocks."""
        if self._pending:
            raise ValueError("the leaves so far do not fill whole blocks")
        for root in roots:
            self._push_block(root)
        self.count += len(roots) * self.BLOCK

    def _push_block(self, node: bytes) -> None:
        blocks = self._blocks
        # Each trailing one bit of the block count is a perfect subtree as large as this one.
        while blocks & 1:
            node = node_hash(self._subtrees.pop(), node)
            blocks >>= 1
        self._subtrees.append(node)
        self._blocks += 1

    def root(self) -> bytes:
        """MTH of all leaves so far."""
        nodes = list(self._subtrees)
        start, remaining = 0, len(self._pending)
        while remaining:
            size = 1 << (remaining.bit_length() - 1)
            nodes.append(root_from_leaf_hashes(self._pending[start : start + size]))
            start, remaining = start + size, remaining - size
        if not nodes:
            return EMPTY_ROOT
        node = nodes[-1]
        for left in reversed(nodes[:-1]):
            node = node_hash(left, node)
        return node


def _subtree_root(hashes: Sequence[bytes], start: int, end: int) -> bytes:
    return root_from_leaf_hashes(hashes[start:end])


def inclusion_proof(hashes: Sequence[bytes], index: int) -> list[bytes]:
    """PATH(m, D[n]) of RFC 6962 §2.1.1 for the leaf at `index` among `hashes` (leaf hashes)."""
    n = len(hashes)
    if not 0 <= index < n:
        raise IndexError("leaf index outside the tree")
    proof: list[bytes] = []
    start, end = 0, n
    # Walk down from the root, collecting the sibling subtree roots, then reverse (leaf first).
    while end - start > 1:
        k = _split(end - start)
        if index - start < k:
            proof.append(_subtree_root(hashes, start + k, end))
            end = start + k
        else:
            proof.append(_subtree_root(hashes, start, start + k))
            start = start + k
    return list(reversed(proof))


def consistency_proof(hashes: Sequence[bytes], old_size: int) -> list[bytes]:
    """PROOF(m, D[n]) of RFC 6962 §2.1.2 between the first `old_size` leaves and all of `hashes`."""
    n = len(hashes)
    if not 0 < old_size <= n:
        raise ValueError("old size must be between 1 and the tree size")
    if old_size == n:
        return []
    return _subproof(hashes, old_size, 0, n, True)


def _subproof(hashes: Sequence[bytes], m: int, start: int, end: int, complete: bool) -> list[bytes]:
    n = end - start
    if m == n:
        return [] if complete else [_subtree_root(hashes, start, end)]
    k = _split(n)
    if m <= k:
        return _subproof(hashes, m, start, start + k, complete) + [_subtree_root(hashes, start + k, end)]
    return _subproof(hashes, m - k, start + k, end, False) + [_subtree_root(hashes, start, start + k)]


def verify_inclusion(leaf: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes) -> bool:
    """RFC 9162 §2.1.3.2: does `leaf` (a leaf hash) sit at `index` of the tree with this root?"""
    if not 0 <= index < tree_size:
        return False
    fn, sn, r = index, tree_size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> bool:
    """RFC 9162 §2.1.4.2: is the tree of `new_size` leaves an extension of the one of `old_size`?"""
    if old_size > new_size or old_size < 1:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is the first node
        path.insert(0, old_root)
    if not path:
        return False
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root
