"""When the ledger is checked in pieces, each piece hands over its part of the Merkle tree folded
into block roots where it may (ledger._Blocks). These tests prove that the roots the verifier takes
for the signed checkpoints come out the same as from the leaves one by one, wherever the piece
starts and wherever a root is wanted."""

import pytest

from sharing import ledger, merkle

BLOCK = merkle.Frontier.BLOCK
LEAVES = [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(6 * BLOCK + 40)]


def roots_from_leaves(sizes):
    heads = ledger._TreeHeads(sizes)
    heads.add(LEAVES)
    return heads.roots


def roots_from_pieces(sizes, piece_start):
    """The first `piece_start - 1` leaves as leaves, the rest as a piece folds them, in batches."""
    heads = ledger._TreeHeads(sizes)
    heads.add(LEAVES[: piece_start - 1])
    blocks = ledger._Blocks(heads.sizes, piece_start)
    for start in range(piece_start - 1, len(LEAVES), 100):  # batches that do not fit the blocks
        blocks.extend(LEAVES[start : start + 100])
    heads.add_parts(blocks.parts())
    return heads.roots


@pytest.mark.parametrize("piece_start", [1, 2, BLOCK, BLOCK + 1, BLOCK + 2, 3 * BLOCK + 1, 3 * BLOCK + 77])
@pytest.mark.parametrize(
    "sizes",
    [
        [len(LEAVES)],
        [BLOCK, 2 * BLOCK, 4 * BLOCK],  # at block ends
        [5, BLOCK + 3, 2 * BLOCK + 1, 4 * BLOCK - 1, 5 * BLOCK + 128, len(LEAVES)],  # inside blocks
        [3 * BLOCK + 76, 3 * BLOCK + 77, 3 * BLOCK + 78],  # about where a piece starts
    ],
)
def test_a_piece_folded_into_blocks_gives_the_roots_of_its_leaves(sizes, piece_start):
    expected = {size: merkle.root_from_leaf_hashes(LEAVES[:size]) for size in sizes}
    assert roots_from_leaves(sizes) == expected
    assert roots_from_pieces(sizes, piece_start) == expected


def test_whole_blocks_without_a_root_inside_are_handed_over_as_roots():
    blocks = ledger._Blocks([2 * BLOCK + 5], BLOCK + 1)
    blocks.extend(LEAVES[BLOCK : 4 * BLOCK + 3])
    parts = blocks.parts()
    assert parts[0] == merkle.root_from_leaf_hashes(LEAVES[BLOCK : 2 * BLOCK])
    assert parts[1] == LEAVES[2 * BLOCK : 3 * BLOCK]  # the root over 2 * BLOCK + 5 leaves ends inside
    assert parts[2] == merkle.root_from_leaf_hashes(LEAVES[3 * BLOCK : 4 * BLOCK])
    assert parts[3] == LEAVES[4 * BLOCK : 4 * BLOCK + 3] and len(parts) == 4


def test_the_frontier_takes_block_roots_only_on_a_block_boundary():
    frontier = merkle.Frontier()
    frontier.extend(LEAVES[:3])
    with pytest.raises(ValueError, match="whole blocks"):
        frontier.extend_blocks([merkle.root_from_leaf_hashes(LEAVES[3 : 3 + BLOCK])])
