"""verify() reads the canonical payload without parsing it; these tests prove that shortcut gives the
answers of the full check: valid entries in any JSON form pass, every edited column is still named,
and text that imitates the payload's structure (quotes, key names, a decoy object) fools nothing."""

import json
from datetime import UTC, datetime

import pytest
from django.db import connection

from catalog.models import User
from sharing import ledger, merkle
from sharing.models import LedgerEntry
from tests.sharing.utils import bulk_chain

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

COLUMNS_DISAGREE = "its columns disagree with its hashed payload"


@pytest.fixture
def actor(db):
    return User.objects.create(username="clerk")


@pytest.fixture
def entries(department, actor):
    return [
        ledger.append(action="test.step", obj=department, actor=actor, reason=f"step {i}", data={"n": i})
        for i in range(1, 6)
    ]


def tamper(sql, params=()):
    """Raw SQL as a DBA would run it (on PostgreSQL past the append-only triggers, within the
    test's transaction, which rolls the ALTER TABLE back)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE sharing_ledgerentry DISABLE TRIGGER USER")
        cursor.execute(sql, params)


def rewrite_payloads_from(seq, rewrite):
    """Replace payloads from `seq` on with rewrite(payload) and recompute every later hash."""
    prev = LedgerEntry.objects.get(seq=seq - 1).entry_hash if seq > 1 else ledger.GENESIS_HASH
    for entry in LedgerEntry.objects.filter(seq__gte=seq).order_by("seq"):
        payload = rewrite(entry.payload)
        entry_hash = ledger.chain_hash(prev, payload)
        tamper(
            "UPDATE sharing_ledgerentry SET payload = %s, prev_hash = %s, entry_hash = %s WHERE seq = %s",
            [payload, prev, entry_hash, entry.seq],
        )
        prev = entry_hash


# --- Valid entries pass, in whatever JSON form -------------------------------------------------


def test_payloads_rewritten_in_another_json_form_with_their_hashes_still_verify(entries):
    # Same values, other bytes (spaces, reversed key order): not what append writes, still valid.
    rewrite_payloads_from(2, lambda p: json.dumps(dict(reversed(json.loads(p).items())), indent=1))
    result = ledger.verify()
    assert (result.ok, result.checked) == (True, 5)


def test_text_that_imitates_the_payload_structure_verifies(department, actor):
    ledger.append(
        action='odd "action" \\ \n 审批',
        obj=department,
        actor=actor,
        reason='x"},"reason":"y","recorded_at":"2020-01-01T00:00:00+00:00","seq":1}',
        data={"object": {"id": "999", "repr": "decoy", "type": "catalog.decoy"}, "seq": 42, "actor": None},
    )
    ledger.append(action="test.step", obj=department, actor=None, reason=',"object":{"id":"1"')
    assert ledger.verify().ok


def test_an_entry_recorded_on_a_whole_second_verifies(department, monkeypatch):
    # isoformat() leaves out the microseconds when they are zero: a shorter time in the payload.
    monkeypatch.setattr(ledger.timezone, "now", lambda: datetime(2025, 5, 1, 9, 30, 0, tzinfo=UTC))
    ledger.append(action="test.step", obj=department, actor=None)
    assert ledger.verify().ok


# --- Every column a DBA could edit is still caught -------------------------------------------


def test_changed_object_id_column_is_detected(entries):
    tamper("UPDATE sharing_ledgerentry SET object_id = '424242' WHERE seq = 3")
    result = ledger.verify()
    assert (result.ok, result.first_broken_seq, result.problem) == (False, 3, COLUMNS_DISAGREE)


def test_changed_object_type_column_is_detected(entries):
    tamper("UPDATE sharing_ledgerentry SET object_type = 'operations.operator' WHERE seq = 4")
    result = ledger.verify()
    assert (result.ok, result.first_broken_seq, result.problem) == (False, 4, COLUMNS_DISAGREE)


def test_actor_column_cleared_is_detected(entries):
    tamper("UPDATE sharing_ledgerentry SET actor_id = NULL WHERE seq = 2")
    result = ledger.verify()
    assert (result.ok, result.first_broken_seq, result.problem) == (False, 2, COLUMNS_DISAGREE)


def test_changed_seq_in_the_payload_with_its_hash_is_detected(entries):
    rewrite_payloads_from(5, lambda p: p.replace('"seq":5}', '"seq":6}'))
    result = ledger.verify()
    assert (result.ok, result.first_broken_seq, result.problem) == (False, 5, COLUMNS_DISAGREE)


def test_a_decoy_object_in_the_data_does_not_cover_a_changed_object_id(department, actor):
    decoy = {"a": 1, "object": {"id": "999", "repr": "decoy", "type": "catalog.department"}}
    ledger.append(action="test.step", obj=department, actor=actor, data=decoy)
    tamper("UPDATE sharing_ledgerentry SET object_id = '999' WHERE seq = 1")
    result = ledger.verify()
    assert (result.ok, result.first_broken_seq, result.problem) == (False, 1, COLUMNS_DISAGREE)


def test_a_decoy_time_in_the_reason_does_not_cover_a_changed_time_column(department):
    ledger.append(action="test.step", obj=department, actor=None, reason='","recorded_at":"2020-01-01T00:00:00+00:00')
    tamper(
        "UPDATE sharing_ledgerentry SET recorded_at = %s WHERE seq = 1",
        [connection.ops.adapt_datetimefield_value(datetime(2020, 1, 1, tzinfo=UTC))],
    )
    result = ledger.verify()
    assert (result.ok, result.first_broken_seq, result.problem) == (False, 1, COLUMNS_DISAGREE)


def test_a_payload_that_is_not_json_is_named(entries):
    rewrite_payloads_from(4, lambda p: "not json" if '"seq":4}' in p else p)
    result = ledger.verify()
    assert (result.ok, result.first_broken_seq, result.problem) == (False, 4, "its payload is not a ledger entry")


def test_an_action_with_quotes_is_checked_like_any_other(department):
    ledger.append(action='say "yes"', obj=department, actor=None)
    tamper("""UPDATE sharing_ledgerentry SET action = 'say "no"' WHERE seq = 1""")
    result = ledger.verify()
    assert (result.ok, result.first_broken_seq, result.problem) == (False, 1, COLUMNS_DISAGREE)


# --- One pass: the checkpoints' roots come with the chain -------------------------------------


def test_verify_computes_the_merkle_roots_of_the_sizes_asked_for(entries):
    leaves = [merkle.leaf_hash(bytes.fromhex(e.entry_hash)) for e in entries]
    result = ledger.verify(tree_sizes=[3, 5, 9])
    assert result.roots == {3: merkle.root_from_leaf_hashes(leaves[:3]), 5: merkle.root_from_leaf_hashes(leaves)}


def test_progress_and_roots_come_from_the_same_pass(entries):
    seen = []
    result = ledger.verify(progress=seen.append, chunk_size=2, tree_sizes=[3])
    assert seen == [2, 4] and list(result.roots) == [3]


def test_a_break_early_in_a_long_ledger_leaves_the_transaction_usable(department):
    # On PostgreSQL the entries stream; stopping early must not cancel the statement, which
    # would abort the caller's transaction (tests run inside one).
    # 3,000 entries of 5 kB: more than the socket buffers hold, so the server is still sending.
    bulk_chain(department, 3000, data={"attachment": "x" * 5000})
    tamper("UPDATE sharing_ledgerentry SET prev_hash = %s WHERE seq = 2", ["f" * 64])
    assert ledger.verify(chunk_size=100).first_broken_seq == 2
    assert LedgerEntry.objects.count() == 3000


def test_the_shortcut_recognises_every_kind_of_entry_append_writes(department, actor, monkeypatch):
    # Otherwise verify() stays right but falls back to parsing every payload, several times slower.
    ledger.append(action='odd "action" \\ \n 审批', obj=department, actor=actor, reason='"},"reason":"', data={"x": 1})
    ledger.append(action="test.step", obj=department, actor=None, reason="理由", data={"嵌套": {"seq": 1}})
    monkeypatch.setattr(ledger.timezone, "now", lambda: datetime(2025, 5, 1, 9, 30, 0, tzinfo=UTC))
    ledger.append(action="test.step", obj=department, actor=actor)
    agree = ledger._canonical_columns_check()
    for e in LedgerEntry.objects.order_by("seq"):
        assert agree(e.seq, e.payload.encode(), e.recorded_at, e.action, e.object_type, e.object_id, e.actor_id), (
            e.payload
        )
