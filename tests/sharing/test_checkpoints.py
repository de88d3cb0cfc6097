"""Signed checkpoints catch what the hash chain alone cannot: a ledger rewritten with every later
hash recomputed, and a forged checkpoint."""

import base64

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from catalog.models import Department
from sharing import checkpoints, ledger, merkle
from sharing.models import LedgerCheckpoint, LedgerEntry


@pytest.fixture
def signing_key(settings, tmp_path):
    settings.LEDGER_SIGNING_KEY = ""
    settings.LEDGER_SIGNING_KEY_FILE = tmp_path / "ledger.pem"
    return checkpoints.load_signing_key(create=True)


@pytest.fixture
def entries(db, signing_key):
    department = Department.objects.create(code="GA", name="市公安局")
    return [ledger.append(action="test.step", obj=department, actor=None, reason=f"step {i}") for i in range(7)]


def rewrite_from(seq: int, new_reason: str) -> None:
    """What a DBA with the triggers disabled could do: change one payload, recompute the chain."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE sharing_ledgerentry DISABLE TRIGGER USER")
        prev = LedgerEntry.objects.get(seq=seq - 1).entry_hash if seq > 1 else ledger.GENESIS_HASH
        for entry in LedgerEntry.objects.filter(seq__gte=seq).order_by("seq"):
            payload = (
                entry.payload.replace(f'"step {entry.seq - 1}"', f'"{new_reason}"')
                if entry.seq == seq
                else entry.payload
            )
            new_hash = ledger.chain_hash(prev, payload)
            cursor.execute(
                "UPDATE sharing_ledgerentry SET payload=%s, prev_hash=%s, entry_hash=%s WHERE seq=%s",
                [payload, prev, new_hash, entry.seq],
            )
            prev = new_hash
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE sharing_ledgerentry ENABLE TRIGGER USER")


def test_a_fresh_checkpoint_verifies(entries):
    checkpoint = checkpoints.checkpoint_create()
    assert checkpoint.tree_size == 7
    assert checkpoints.verify_checkpoints() is None


def test_no_new_checkpoint_without_new_entries(entries):
    checkpoints.checkpoint_create()
    assert checkpoints.checkpoint_create() is None
    assert LedgerCheckpoint.objects.count() == 1


def test_a_rewritten_chain_passes_the_chain_check_but_not_the_checkpoint(entries):
    checkpoints.checkpoint_create()
    rewrite_from(3, "nothing happened")
    assert ledger.verify().ok  # the chain alone is fooled
    problem = checkpoints.verify_checkpoints()
    assert problem is not None and problem.tree_size == 7
    with pytest.raises(CommandError, match="Checkpoint over the first 7 entries"):
        call_command("verify_ledger")


def test_a_forged_checkpoint_is_detected(entries):
    checkpoint = checkpoints.checkpoint_create()
    LedgerCheckpoint.objects.filter(pk=checkpoint.pk).update(root_hash="ab" * 32)
    problem = checkpoints.verify_checkpoints()
    assert problem is not None and "signature" in problem.problem


def test_inclusion_proof_of_an_entry_verifies_against_the_signed_root(entries):
    checkpoint = checkpoints.checkpoint_create()
    doc = checkpoints.inclusion_proof_for(4, checkpoint)
    assert merkle.verify_inclusion(
        bytes.fromhex(doc["leaf_hash"]),
        3,
        doc["tree_size"],
        [bytes.fromhex(p) for p in doc["proof"]],
        bytes.fromhex(checkpoint.root_hash),
    )


def test_consistency_proof_between_two_checkpoints_verifies(entries):
    old = checkpoints.checkpoint_create()
    department = Department.objects.get(code="GA")
    for i in range(5):
        ledger.append(action="test.more", obj=department, actor=None, reason=str(i))
    new = checkpoints.checkpoint_create()
    doc = checkpoints.consistency_proof_between(old, new)
    assert merkle.verify_consistency(
        old.tree_size,
        new.tree_size,
        bytes.fromhex(old.root_hash),
        bytes.fromhex(new.root_hash),
        [bytes.fromhex(p) for p in doc["proof"]],
    )


def test_verify_ledger_command_reports_an_intact_ledger(entries, capsys):
    checkpoints.checkpoint_create()
    call_command("verify_ledger")
    assert "7 entries" in capsys.readouterr().out


def test_verify_ledger_command_names_the_first_broken_entry(entries):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE sharing_ledgerentry DISABLE TRIGGER USER")
        cursor.execute("UPDATE sharing_ledgerentry SET payload='{}' WHERE seq=5")
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE sharing_ledgerentry ENABLE TRIGGER USER")
    with pytest.raises(CommandError, match="entry 5"):
        call_command("verify_ledger")


@pytest.fixture
def three_checkpoints(db, signing_key):
    """Checkpoints over the first 3, 5 and 7 entries."""
    department = Department.objects.create(code="GA", name="市公安局")
    for i in range(1, 8):
        ledger.append(action="test.step", obj=department, actor=None, reason=f"step {i - 1}")
        if i in (3, 5, 7):
            checkpoints.checkpoint_create()
    return list(LedgerCheckpoint.objects.order_by("tree_size"))


def test_every_checkpoint_is_checked_against_the_entries_it_covers(three_checkpoints):
    assert [c.tree_size for c in three_checkpoints] == [3, 5, 7]
    assert checkpoints.verify_checkpoints() is None
    result, problem = checkpoints.verify_ledger()
    assert (result.ok, result.checked, problem) == (True, 7, None)


def test_the_first_checkpoint_over_a_rewritten_entry_is_named(three_checkpoints):
    rewrite_from(4, "nothing happened")
    problem = checkpoints.verify_checkpoints()
    assert (problem.tree_size, problem.problem) == (5, "the entries it covers were changed after it was signed")
    result, same_problem = checkpoints.verify_ledger()
    assert result.ok and same_problem == problem


def test_a_signed_checkpoint_over_more_entries_than_exist_is_named(three_checkpoints, signing_key):
    signed_at = timezone.now()
    root = three_checkpoints[-1].root_hash
    LedgerCheckpoint.objects.create(
        tree_size=9,
        root_hash=root,
        signed_at=signed_at,
        key_id=checkpoints.key_id(signing_key),
        signature=base64.b64encode(signing_key.sign(checkpoints._signed_message(9, root, signed_at))).decode(),
    )
    missing = checkpoints.CheckpointProblem(9, "it covers entries that no longer exist")
    assert checkpoints.verify_checkpoints() == missing
    assert checkpoints.verify_ledger()[1] == missing


def test_the_frontier_gives_the_tree_head_of_every_prefix():
    block = merkle.Frontier.BLOCK
    leaves = [merkle.leaf_hash(bytes([i % 256]) * 32) for i in range(4 * block + 77)]
    frontier, start = merkle.Frontier(), 0
    for size in (1, 2, 3, 4, 5, 8, 13, block - 1, block, block + 1, 2 * block - 1, 2 * block, 3 * block, len(leaves)):
        frontier.extend(leaves[start:size])
        start = size
        assert (frontier.count, frontier.root()) == (size, merkle.root_from_leaf_hashes(leaves[:size]))
