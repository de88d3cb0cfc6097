"""verify(processes=2) halves the ledger between this process and a forked one; these tests prove it
answers exactly as the single pass does: the same ok, count, first broken entry and problem text,
and the same Merkle roots, wherever the tampering sits (first half, second half, at the middle,
in the end of the second half that this process takes over).

The split needs committed entries that a second connection can read, so these tests are
transactional and run on PostgreSQL only. The sizes are scaled down (small_sizes) so that a
ledger of twelve entries is split at entry 6, and one of forty has its end taken over.
"""

import time

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from catalog.models import Department, User
from sharing import checkpoints, ledger, merkle
from sharing.models import LedgerEntry
from tests.sharing.utils import bulk_chain

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the ledger is only split on PostgreSQL (SQLite takes one pass)"
)
pytestmark = [pytest.mark.usefixtures("english")]


def split_test(test):
    """A test of the split itself: PostgreSQL only, with committed entries (see the module)."""
    for mark in (pytest.mark.django_db(transaction=True), postgres_only, pytest.mark.postgres):
        test = mark(test)
    return test


ENTRIES, MIDDLE = 12, 6


@pytest.fixture
def small_sizes(monkeypatch):
    """Split any ledger, in batches and Merkle blocks of four entries instead of 1,024 and 256."""
    monkeypatch.setattr(ledger, "SPLIT_MIN_ENTRIES", 1)
    monkeypatch.setattr(ledger, "_BATCH", 4)
    monkeypatch.setattr(merkle.Frontier, "BLOCK", 4)


def append_entries(count):
    department = Department.objects.create(code="PSB", name="市公安局")
    actor = User.objects.create(username="clerk")
    return [
        ledger.append(action="test.step", obj=department, actor=actor, reason=f"step {seq}", data={"n": seq})
        for seq in range(1, count + 1)
    ]


@pytest.fixture
def entries(small_sizes):
    return append_entries(ENTRIES)


@pytest.fixture
def longer_entries(small_sizes):
    """Forty entries: when this process is done with the first twenty, the other, which started
    later, has more than four batches left, so this one takes over the end of them."""
    return append_entries(40)


def tamper(sql, params=()):
    """Raw SQL as a DBA would run it, past the append-only triggers (for this session only)."""
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        try:
            cursor.execute(sql, params)
        finally:
            cursor.execute("RESET session_replication_role")


def rewrite_payload(seq, old, new):
    """Change one entry's payload and store its recomputed hash (the later links then fail)."""
    entry = LedgerEntry.objects.get(seq=seq)
    payload = entry.payload.replace(old, new)
    tamper(
        "UPDATE sharing_ledgerentry SET payload = %s, entry_hash = %s WHERE seq = %s",
        [payload, ledger.chain_hash(entry.prev_hash, payload), seq],
    )


def verify_both_ways(**options):
    """The single pass's result and the split one's, after checking that the split did happen."""
    single = ledger.verify(**options)
    split = ledger.verify(processes=2, **options)
    assert (single.processes, split.processes) == (1, 2)
    return single, split


def outcome(result):
    return result.ok, result.checked, result.first_broken_seq, result.problem


# --- An intact ledger ---------------------------------------------------------------------------


@split_test
def test_an_intact_split_ledger_verifies_with_the_roots_of_both_halves(entries):
    sizes = [3, MIDDLE, MIDDLE + 1, ENTRIES, ENTRIES + 4]  # in each half, at the middle, and too far
    single, split = verify_both_ways(tree_sizes=sizes)
    assert outcome(split) == outcome(single) == (True, ENTRIES, None, "")
    assert split.roots == single.roots and sorted(split.roots) == [3, MIDDLE, MIDDLE + 1, ENTRIES]


@split_test
def test_progress_counts_the_entries_of_both_halves(entries):
    seen = []
    ledger.verify(progress=seen.append, chunk_size=4, processes=2)
    assert seen == [4, 8, 12]


# --- Tampering in either half ------------------------------------------------------------------


@split_test
def test_a_changed_payload_in_the_second_half_is_named(entries):
    tamper("UPDATE sharing_ledgerentry SET payload = replace(payload, 'step 9', 'step nine') WHERE seq = 9")
    single, split = verify_both_ways()
    assert outcome(split) == outcome(single) == (False, 8, 9, "its hash does not match its content")


@split_test
def test_a_changed_column_in_the_second_half_is_named(entries):
    tamper("UPDATE sharing_ledgerentry SET action = 'agreement.approve' WHERE seq = 11")
    single, split = verify_both_ways()
    assert outcome(split) == outcome(single) == (False, 10, 11, "its columns disagree with its hashed payload")


@split_test
def test_swapped_entries_in_the_second_half_are_named(entries):
    tamper("UPDATE sharing_ledgerentry SET seq = -9 WHERE seq = 9")
    tamper("UPDATE sharing_ledgerentry SET seq = 9 WHERE seq = 10")
    tamper("UPDATE sharing_ledgerentry SET seq = 10 WHERE seq = -9")
    single, split = verify_both_ways()
    assert outcome(split) == outcome(single)
    assert (split.ok, split.first_broken_seq) == (False, 9)


@split_test
def test_a_break_in_the_first_half_is_named_though_the_second_half_holds(entries):
    tamper("UPDATE sharing_ledgerentry SET prev_hash = %s WHERE seq = 3", ["f" * 64])
    single, split = verify_both_ways()
    assert outcome(split) == outcome(single) == (False, 2, 3, "its previous-hash does not match the entry before it")


@split_test
def test_an_entry_added_before_the_first_is_named(entries):
    first = LedgerEntry.objects.get(seq=1)
    tamper(
        "INSERT INTO sharing_ledgerentry (seq, recorded_at, action, object_type, object_id, actor_id, payload,"
        " prev_hash, entry_hash) VALUES (0, %s, %s, %s, %s, NULL, %s, %s, %s)",
        [first.recorded_at, first.action, first.object_type, first.object_id, "{}", "0" * 64, "0" * 64],
    )
    single, split = verify_both_ways()
    assert outcome(split) == outcome(single) == (False, 0, 0, "entry 1 is missing (next entry is 0)")


@split_test
def test_a_break_in_the_first_half_does_not_wait_for_the_second_process(small_sizes, department):
    # The second half is quick to check and its part of the Merkle tree (2,000 leaf hashes, as a
    # root is wanted inside every block) more than a pipe holds, so the second process is still
    # sending it when the first half is found broken.
    bulk_chain(department, 4000, heavy_until=2000)
    tamper("UPDATE sharing_ledgerentry SET prev_hash = %s WHERE seq = 1500", ["f" * 64])
    sizes = range(2002, 4001, 4)
    began = time.perf_counter()
    split = ledger.verify(processes=2, tree_sizes=sizes)
    assert time.perf_counter() - began < 5  # it would wait 10 s for the process to end
    assert split.processes == 2 and outcome(split) == outcome(ledger.verify(tree_sizes=sizes))
    assert (split.ok, split.first_broken_seq) == (False, 1500)


# --- Tampering at the middle, where the halves meet --------------------------------------------


@split_test
def test_a_changed_middle_entry_is_named(entries):
    tamper(f"UPDATE sharing_ledgerentry SET payload = replace(payload, 'step {MIDDLE}', 'x') WHERE seq = {MIDDLE}")
    single, split = verify_both_ways()
    assert outcome(split) == outcome(single) == (False, MIDDLE - 1, MIDDLE, "its hash does not match its content")


@split_test
def test_a_middle_entry_rewritten_with_its_hash_breaks_the_first_link_of_the_second_half(entries):
    # The second half starts from the hash stored for the middle entry, which is now the new one.
    rewrite_payload(MIDDLE, f"step {MIDDLE}", "nothing happened")
    single, split = verify_both_ways()
    problem = "its previous-hash does not match the entry before it"
    assert outcome(split) == outcome(single) == (False, MIDDLE, MIDDLE + 1, problem)


@split_test
def test_a_changed_first_entry_of_the_second_half_is_named(entries):
    tamper("UPDATE sharing_ledgerentry SET prev_hash = %s WHERE seq = %s", ["f" * 64, MIDDLE + 1])
    single, split = verify_both_ways()
    problem = "its previous-hash does not match the entry before it"
    assert outcome(split) == outcome(single) == (False, MIDDLE, MIDDLE + 1, problem)


@split_test
def test_a_deleted_middle_entry_is_named(entries):
    tamper("DELETE FROM sharing_ledgerentry WHERE seq = %s", [MIDDLE])
    single, split = verify_both_ways()
    problem = f"entry {MIDDLE} is missing (next entry is {MIDDLE + 1})"
    assert outcome(split) == outcome(single) == (False, MIDDLE - 1, MIDDLE + 1, problem)


@split_test
def test_deleted_entries_at_the_end_of_the_first_half_are_named(entries):
    tamper("DELETE FROM sharing_ledgerentry WHERE seq IN (%s, %s)", [MIDDLE - 1, MIDDLE])
    single, split = verify_both_ways()
    problem = f"entry {MIDDLE - 1} is missing (next entry is {MIDDLE + 1})"
    assert outcome(split) == outcome(single) == (False, MIDDLE - 2, MIDDLE + 1, problem)


# --- The end of the second half, taken over by this process ---------------------------------------


@split_test
def test_a_ledger_whose_end_was_taken_over_verifies_with_the_same_roots(longer_entries):
    sizes = [3, 19, 20, 21, 26, 28, 29, 30, 33, 40]
    single, split = verify_both_ways(tree_sizes=sizes)
    assert outcome(split) == outcome(single) == (True, 40, None, "")
    assert split.roots == single.roots and len(split.roots) == len(sizes)


@split_test
@pytest.mark.parametrize("seq", [24, 28, 29, 36])
def test_a_break_in_the_second_half_is_named_whichever_process_checks_it(longer_entries, seq):
    # The other process stops after entry 28 (two batches on from the middle, as it has not
    # started when this one is done with its half) and this one checks 29 to 40.
    tamper("UPDATE sharing_ledgerentry SET prev_hash = %s WHERE seq = %s", ["f" * 64, seq])
    single, split = verify_both_ways(tree_sizes=[40])
    problem = "its previous-hash does not match the entry before it"
    assert outcome(split) == outcome(single) == (False, seq - 1, seq, problem)


# --- Checkpoints ----------------------------------------------------------------------------------


@pytest.fixture
def signing_key(settings, tmp_path):
    settings.LEDGER_SIGNING_KEY = ""
    settings.LEDGER_SIGNING_KEY_FILE = tmp_path / "ledger.pem"
    return checkpoints.load_signing_key(create=True)


@split_test
def test_a_chain_rewritten_in_the_second_half_fails_its_checkpoint_as_in_one_pass(entries, signing_key):
    checkpoints.checkpoint_create()
    # Rewrite entry 9 and every later hash: the chain holds, only the checkpoint can tell.
    prev = LedgerEntry.objects.get(seq=8).entry_hash
    for entry in LedgerEntry.objects.filter(seq__gte=9).order_by("seq"):
        payload = entry.payload.replace("step 9", "nothing happened")
        entry_hash = ledger.chain_hash(prev, payload)
        tamper(
            "UPDATE sharing_ledgerentry SET payload = %s, prev_hash = %s, entry_hash = %s WHERE seq = %s",
            [payload, prev, entry_hash, entry.seq],
        )
        prev = entry_hash
    single = checkpoints.verify_ledger()
    split = checkpoints.verify_ledger(processes=2)
    assert split[0].processes == 2 and outcome(split[0]) == outcome(single[0]) == (True, ENTRIES, None, "")
    changed = checkpoints.CheckpointProblem(ENTRIES, "the entries it covers were changed after it was signed")
    assert split[1] == single[1] == changed


@split_test
def test_the_command_names_a_break_in_the_end_of_a_split_ledger(longer_entries, signing_key, capsys):
    checkpoints.checkpoint_create()
    call_command("verify_ledger")
    assert "40 entries" in capsys.readouterr().out
    tamper("UPDATE sharing_ledgerentry SET actor_id = NULL WHERE seq = 37")
    with pytest.raises(CommandError, match="entry 37: its columns disagree with its hashed payload"):
        call_command("verify_ledger")


# --- When the ledger is not split ---------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_ledger_shorter_than_the_minimum_is_verified_in_one_pass(department):
    for i in range(3):
        ledger.append(action="test.step", obj=department, actor=None, reason=str(i))
    result = ledger.verify(processes=2)
    assert (result.ok, result.checked, result.processes) == (True, 3, 1)


@pytest.mark.django_db
def test_inside_a_transaction_the_ledger_is_verified_in_one_pass(small_sizes, department):
    # A second connection would not see this transaction's entries.
    for i in range(4):
        ledger.append(action="test.step", obj=department, actor=None, reason=str(i))
    result = ledger.verify(processes=2)
    assert (result.ok, result.checked, result.processes) == (True, 4, 1)
