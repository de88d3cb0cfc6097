"""Concurrent appenders on PostgreSQL: one call takes the ledger lock and reads the head, and the
head it reads is the one the previous holder committed while it waited (READ COMMITTED), so the
chain stays linear with writers in several threads or processes."""

import json
import threading
import time

import pytest
from django.db import connection, transaction

from benchmarks.ledger import BENCH_ACTION, measure_append
from catalog.models import Department
from sharing import ledger
from sharing.models import LedgerEntry
from tests.marks import RACING_WRITERS

pytestmark = RACING_WRITERS


@pytest.fixture
def department():
    return Department.objects.create(code="PSB", name="市公安局")


def test_a_waiting_appender_chains_to_the_entry_committed_while_it_waited(department):
    ledger.append(action="test.first", obj=department, actor=None)
    appended = {}

    def second_writer():
        try:
            with transaction.atomic():
                appended["entry"] = ledger.append(action="test.waiter", obj=department, actor=None)
        finally:
            connection.close()

    with transaction.atomic():
        holder = ledger.append(action="test.holder", obj=department, actor=None)
        waiter = threading.Thread(target=second_writer)
        waiter.start()
        time.sleep(0.5)
        # The waiter is blocked on the lock this transaction holds until it commits.
        assert waiter.is_alive() and "entry" not in appended
    waiter.join(timeout=30)

    entry = appended["entry"]
    assert (entry.seq, entry.prev_hash) == (holder.seq + 1, holder.entry_hash) == (3, holder.entry_hash)
    assert ledger.verify().ok


def test_an_append_rolled_back_releases_the_lock_and_leaves_no_gap(department):
    with pytest.raises(RuntimeError), transaction.atomic():
        ledger.append(action="test.lost", obj=department, actor=None)
        raise RuntimeError("the step failed")
    entry = ledger.append(action="test.kept", obj=department, actor=None)
    assert (entry.seq, entry.prev_hash) == (1, ledger.GENESIS_HASH)


def test_four_writer_processes_keep_one_linear_chain(department):
    ledger.append(action="test.before", obj=department, actor=None)
    settings = connection.settings_dict
    url = f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"

    outcome = measure_append(url, entries=200, writers=4)

    assert outcome["intact"] and outcome["entries"] == 200
    assert list(LedgerEntry.objects.order_by("seq").values_list("seq", flat=True)) == list(range(1, 202))
    reasons = [
        json.loads(p)["reason"]
        for p in LedgerEntry.objects.filter(action=BENCH_ACTION).values_list("payload", flat=True)
    ]
    assert {reason.split(" #")[0] for reason in reasons} == {"writer 0", "writer 1", "writer 2", "writer 3"}
    result = ledger.verify()
    assert (result.ok, result.checked) == (True, 201)
