"""Signed checkpoints catch what the hash chain alone cannot: a ledger rewritten with every later
hash recomputed, and a forged checkpoint."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

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
