"""The Merkle tree functions against the recursive definition of RFC 6962 §2.1."""

import hashlib

import pytest

from sharing import merkle


def reference_root(leaves):
    """MTH(D[n]) exactly as RFC 6962 defines it, recursively."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return merkle.node_hash(reference_root(leaves[:k]), reference_root(leaves[k:]))


def leaves(n):
    return [merkle.leaf_hash(f"entry {i}".encode()) for i in range(n)]


@pytest.mark.parametrize("n", [0, 1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 100])
def test_root_matches_the_rfc_definition(n):
    assert merkle.root_from_leaf_hashes(leaves(n)) == reference_root(leaves(n))


def test_known_rfc_6962_empty_tree_hash():
    assert merkle.root_from_leaf_hashes([]).hex() == (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 13, 33])
def test_every_leaf_has_a_valid_inclusion_proof(n):
    tree = leaves(n)
    root = merkle.root_from_leaf_hashes(tree)
    for index in range(n):
        proof = merkle.inclusion_proof(tree, index)
        assert merkle.verify_inclusion(tree[index], index, n, proof, root)


def test_inclusion_proof_fails_for_a_changed_leaf_or_wrong_index():
    tree = leaves(10)
    root = merkle.root_from_leaf_hashes(tree)
    proof = merkle.inclusion_proof(tree, 4)
    assert not merkle.verify_inclusion(merkle.leaf_hash(b"forged"), 4, 10, proof, root)
    assert not merkle.verify_inclusion(tree[4], 5, 10, proof, root)


@pytest.mark.parametrize("old,new", [(1, 1), (1, 2), (2, 3), (3, 7), (4, 8), (4, 9), (5, 16), (7, 33), (8, 8)])
def test_consistency_proofs_verify(old, new):
    tree = leaves(new)
    proof = merkle.consistency_proof(tree, old)
    old_root = merkle.root_from_leaf_hashes(tree[:old])
    new_root = merkle.root_from_leaf_hashes(tree)
    assert merkle.verify_consistency(old, new, old_root, new_root, proof)


def test_consistency_fails_when_history_was_rewritten():
    tree = leaves(12)
    old_root = merkle.root_from_leaf_hashes(tree[:6])
    rewritten = list(tree)
    rewritten[2] = merkle.leaf_hash(b"rewritten")
    proof = merkle.consistency_proof(rewritten, 6)
    assert not merkle.verify_consistency(6, 12, old_root, merkle.root_from_leaf_hashes(rewritten), proof)
