"""Races that only a real database server can show: two officers confirming competing claims at
once, and many workflow steps appending to the ledger at once."""

import threading

from django.core.exceptions import ValidationError
from django.db import connection

from catalog import services
from catalog.choices import ClaimStatus
from catalog.models import Department, SourceAssignment, User
from sharing import ledger
from sharing.models import LedgerEntry
from tests.factories import make_element
from tests.marks import RACING_WRITERS

pytestmark = RACING_WRITERS


def run_at_once(targets):
    """Start every target at the same moment in its own thread, each with its own connection.

    Returns what each target returned or raised, in order.
    """
    barrier = threading.Barrier(len(targets))
    outcomes = [None] * len(targets)

    def worker(index, target):
        try:
            barrier.wait()
            outcomes[index] = target()
        except Exception as exc:  # noqa: BLE001  (the outcome is what the test asserts on)
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, t)) for i, t in enumerate(targets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread hung (deadlock?)"
    return outcomes


def test_two_officers_confirming_competing_claims_at_once_confirm_exactly_one(
    dept_a, dept_b, liaison_a, liaison_b, officer
):
    element = make_element()
    claims = [
        services.source_claim(element=element, department=d, actor=liaison, legal_basis="依据")
        for d, liaison in ((dept_a, liaison_a), (dept_b, liaison_b))
    ]

    def confirm(assignment):
        # Each thread acts as its own request: its own user object, its own permission caches.
        actor = User.objects.get(pk=officer.pk)
        return lambda: services.source_confirm(assignment=SourceAssignment.objects.get(pk=assignment.pk), actor=actor)

    outcomes = run_at_once([confirm(c) for c in claims])

    confirmed = [o for o in outcomes if isinstance(o, SourceAssignment)]
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert (len(confirmed), len(refused)) == (1, 1), outcomes
    assert SourceAssignment.objects.filter(element=element, status=ClaimStatus.CONFIRMED).count() == 1
    assert SourceAssignment.objects.filter(element=element, status=ClaimStatus.REJECTED).count() == 1


def test_concurrent_confirmations_leave_a_valid_ledger(dept_a, dept_b, liaison_a, liaison_b, officer):
    element = make_element()
    claims = [
        services.source_claim(element=element, department=d, actor=liaison, legal_basis="依据")
        for d, liaison in ((dept_a, liaison_a), (dept_b, liaison_b))
    ]
    run_at_once(
        [(lambda c=c: services.source_confirm(assignment=c, actor=User.objects.get(pk=officer.pk))) for c in claims]
    )
    # Two claims, one confirmation and the rejection of the competitor; the loser's attempt left nothing.
    assert list(LedgerEntry.objects.values_list("action", flat=True)) == [
        "source.claim",
        "source.claim",
        "source.confirm",
        "source.reject",
    ]
    assert ledger.verify().ok


def test_four_threads_appending_25_entries_each_keep_one_valid_chain(db):
    department = Department.objects.create(code="PSB", name="市公安局")

    def append_many(thread_no):
        def run():
            for i in range(25):
                ledger.append(action="test.step", obj=department, actor=None, reason=f"thread {thread_no} step {i}")

        return run

    outcomes = run_at_once([append_many(n) for n in range(4)])

    assert outcomes == [None] * 4
    assert list(LedgerEntry.objects.order_by("seq").values_list("seq", flat=True)) == list(range(1, 101))
    result = ledger.verify()
    assert (result.ok, result.checked) == (True, 100)
