"""The evidence ledger: entries chain, verify() holds on an intact chain and names the first entry
a tamperer touched. On PostgreSQL the table itself refuses UPDATE, DELETE and TRUNCATE."""

import json
from datetime import UTC, datetime

import pytest
from django.db import DatabaseError, connection, transaction

from catalog.models import User
from sharing import ledger
from sharing.models import LedgerEntry

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the append-only trigger exists on PostgreSQL only"
)


@pytest.fixture
def entries(department):
    actor = User.objects.create(username="clerk")
    return [
        ledger.append(action="test.step", obj=department, actor=actor, reason=f"step {i}", data={"n": i})
        for i in range(1, 6)
    ]


@pytest.fixture
def tamper():
    """Run raw SQL against the ledger as a DBA would: on PostgreSQL, with the triggers disabled first.

    The ALTER TABLE is part of the test's transaction and rolled back with it.
    """

    def run(sql, params=()):
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("ALTER TABLE sharing_ledgerentry DISABLE TRIGGER USER")
            cursor.execute(sql, params)

    return run


# --- Appending -----------------------------------------------------------------------------------


def test_entries_are_numbered_from_one_without_gaps(entries):
    assert list(LedgerEntry.objects.values_list("seq", flat=True)) == [1, 2, 3, 4, 5]


def test_first_entry_chains_to_the_genesis_hash(entries):
    assert entries[0].prev_hash == ledger.GENESIS_HASH


def test_each_entry_chains_to_the_previous_entry_hash(entries):
    stored = list(LedgerEntry.objects.order_by("seq"))
    assert [e.prev_hash for e in stored[1:]] == [e.entry_hash for e in stored[:-1]]


def test_entry_hash_is_sha256_of_the_previous_hash_and_the_payload(entries):
    entry = LedgerEntry.objects.get(seq=3)
    assert entry.entry_hash == ledger.chain_hash(entry.prev_hash, entry.payload)


def test_payload_records_action_object_actor_reason_and_data(department, entries):
    body = json.loads(LedgerEntry.objects.get(seq=2).payload)
    assert body["action"] == "test.step"
    assert body["object"] == {"type": "catalog.department", "id": str(department.pk), "repr": "市公安局"}
    assert body["actor"]["username"] == "clerk"
    assert (body["reason"], body["data"], body["seq"]) == ("step 2", {"n": 2}, 2)


@pytest.mark.parametrize("with_actor", [True, False])
@pytest.mark.parametrize(
    "now", [datetime(2025, 5, 1, 9, 30, 0, 123456, tzinfo=UTC), datetime(2025, 5, 1, 9, 30, 0, tzinfo=UTC)]
)
def test_append_hashes_exactly_what_entry_payload_builds(department, monkeypatch, with_actor, now):
    # Bulk writers (seed_scale) build entries with entry_payload: they must match append's.
    monkeypatch.setattr(ledger.timezone, "now", lambda: now)
    actor = User.objects.create(username="clerk") if with_actor else None
    data = {"k": [1, "二"], "z": {"seq": 0}, "a": None}
    entry = ledger.append(action="test.step", obj=department, actor=actor, reason='原因 "引号"', data=data)
    assert entry.payload == ledger.entry_payload(
        seq=entry.seq, recorded_at=now, action="test.step", obj=department, actor=actor, reason='原因 "引号"', data=data
    )
    assert LedgerEntry.objects.get(seq=entry.seq).payload == entry.payload


def test_recorded_at_never_goes_backwards_along_the_chain(entries):
    times = list(LedgerEntry.objects.order_by("seq").values_list("recorded_at", flat=True))
    assert times == sorted(times)


def test_payload_is_canonical_json():
    assert ledger.canonical_json({"b": 1, "a": "数据"}) == '{"a":"数据","b":1}'


def test_entry_without_an_actor_records_none(department):
    entry = ledger.append(action="system.step", obj=department, actor=None)
    assert json.loads(entry.payload)["actor"] is None and entry.actor is None


def test_append_inside_a_rolled_back_step_leaves_no_entry(department):
    with pytest.raises(RuntimeError), transaction.atomic():
        ledger.append(action="test.step", obj=department, actor=None)
        raise RuntimeError("the step failed after its ledger entry")
    assert not LedgerEntry.objects.exists()


# --- Verifying an intact chain --------------------------------------------------------------------


def test_intact_chain_verifies(entries):
    result = ledger.verify()
    assert (result.ok, result.checked, result.first_broken_seq, result.problem) == (True, 5, None, "")


def test_empty_ledger_verifies(db):
    assert ledger.verify().ok


def test_verify_reports_progress_per_chunk(entries):
    seen = []
    ledger.verify(progress=seen.append, chunk_size=2)
    assert seen == [2, 4]


# --- Tampering is detected and named ------------------------------------------------------------


def test_changed_payload_is_detected_at_that_entry(entries, tamper):
    payload = LedgerEntry.objects.get(seq=3).payload.replace("step 3", "step 3 (edited)")
    tamper("UPDATE sharing_ledgerentry SET payload = %s WHERE seq = 3", [payload])
    result = ledger.verify()
    assert (result.ok, result.first_broken_seq, result.checked) == (False, 3, 2)
    assert result.problem == "its hash does not match its content"


def test_changed_payload_with_a_recomputed_hash_is_detected_at_the_next_entry(entries, tamper):
    entry = LedgerEntry.objects.get(seq=3)
    payload = entry.payload.replace("step 3", "step 3 (edited)")
    tamper(
        "UPDATE sharing_ledgerentry SET payload = %s, entry_hash = %s WHERE seq = 3",
        [payload, ledger.chain_hash(entry.prev_hash, payload)],
    )
    result = ledger.verify()
    assert (result.ok, result.first_broken_seq) == (False, 4)
    assert result.problem == "its previous-hash does not match the entry before it"


def test_deleted_entry_is_detected_and_named(entries, tamper):
    tamper("DELETE FROM sharing_ledgerentry WHERE seq = 3")
    result = ledger.verify()
    assert (result.ok, result.first_broken_seq) == (False, 4)
    assert result.problem == "entry 3 is missing (next entry is 4)"


def test_swapped_entries_are_detected_at_the_first_of_them(entries, tamper):
    second, third = LedgerEntry.objects.get(seq=2), LedgerEntry.objects.get(seq=3)
    for seq, other in ((2, third), (3, second)):
        tamper(
            "UPDATE sharing_ledgerentry SET action = %s, payload = %s, prev_hash = %s, entry_hash = %s WHERE seq = %s",
            [other.action, other.payload, other.prev_hash, other.entry_hash, seq],
        )
    result = ledger.verify()
    assert (result.ok, result.first_broken_seq) == (False, 2)
    assert result.problem == "its previous-hash does not match the entry before it"


def test_swapped_sequence_numbers_are_detected(entries, tamper):
    tamper("UPDATE sharing_ledgerentry SET seq = -2 WHERE seq = 2")
    tamper("UPDATE sharing_ledgerentry SET seq = 2 WHERE seq = 3")
    tamper("UPDATE sharing_ledgerentry SET seq = 3 WHERE seq = -2")
    result = ledger.verify()
    assert (result.ok, result.first_broken_seq) == (False, 2)


def test_changed_prev_hash_is_detected_at_that_entry(entries, tamper):
    tamper("UPDATE sharing_ledgerentry SET prev_hash = %s WHERE seq = 4", ["f" * 64])
    result = ledger.verify()
    assert (result.ok, result.first_broken_seq) == (False, 4)
    assert result.problem == "its previous-hash does not match the entry before it"


def test_changed_actor_column_is_detected(entries, tamper):
    someone_else = User.objects.create(username="someone_else")
    tamper("UPDATE sharing_ledgerentry SET actor_id = %s WHERE seq = 2", [someone_else.pk])
    result = ledger.verify()
    assert (result.ok, result.first_broken_seq) == (False, 2)
    assert result.problem == "its columns disagree with its hashed payload"


def test_changed_time_column_is_detected(entries, tamper):
    entry = LedgerEntry.objects.get(seq=2)
    backdated = entry.recorded_at.replace(year=entry.recorded_at.year - 1)
    tamper(
        "UPDATE sharing_ledgerentry SET recorded_at = %s WHERE seq = 2",
        [connection.ops.adapt_datetimefield_value(backdated)],
    )
    result = ledger.verify()
    assert (result.ok, result.first_broken_seq) == (False, 2)
    assert result.problem == "its columns disagree with its hashed payload"


def test_changed_action_column_is_detected(entries, tamper):
    tamper("UPDATE sharing_ledgerentry SET action = 'agreement.approve' WHERE seq = 5")
    result = ledger.verify()
    assert (result.ok, result.first_broken_seq) == (False, 5)


def test_verify_stops_at_the_first_broken_entry(entries, tamper):
    tamper("UPDATE sharing_ledgerentry SET prev_hash = %s WHERE seq IN (2, 4)", ["f" * 64])
    assert ledger.verify().first_broken_seq == 2


# --- PostgreSQL: the table refuses changes -------------------------------------------------------


@pytest.mark.postgres
@postgres_only
def test_postgres_refuses_update_of_an_entry(entries):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        LedgerEntry.objects.filter(seq=2).update(payload="{}")
    assert LedgerEntry.objects.get(seq=2).payload == entries[1].payload


@pytest.mark.postgres
@postgres_only
def test_postgres_refuses_delete_of_an_entry(entries):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        LedgerEntry.objects.filter(seq=2).delete()
    assert LedgerEntry.objects.count() == 5


@pytest.mark.postgres
@postgres_only
def test_postgres_refuses_truncate_of_the_ledger(entries):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE sharing_ledgerentry")
    assert LedgerEntry.objects.count() == 5


@pytest.mark.postgres
@postgres_only
def test_postgres_dba_who_disables_the_trigger_is_still_caught_by_verify(entries):
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE sharing_ledgerentry DISABLE TRIGGER USER")
    LedgerEntry.objects.filter(seq=2).update(payload=entries[1].payload.replace("step 2", "step 2 (edited)"))
    result = ledger.verify()
    assert (result.ok, result.first_broken_seq) == (False, 2)
