"""Two deciders at once (PostgreSQL): the agreement row is locked, so the second decider waits for
the first, then sees the new state and gets a clear refusal; only the winner is ledgered."""

import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from govdata.roles import Role
from sharing import ledger, services
from sharing.choices import AgreementStatus
from sharing.models import LedgerEntry
from tests.factories import make_user

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

# Long enough that, without the row lock, the second decider would read the old state before the
# first one commits.
HOLD_SECONDS = 0.3


@pytest.fixture(autouse=True)
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks (SELECT … FOR UPDATE) are only meaningful on PostgreSQL; SQLite serializes writers")


def decide_at_once(step, agreement, actors):
    """Run `step(agreement=…, actor=…)` for every actor in its own thread, all released together.

    Each call keeps its transaction open a moment after the step, as a slow request would, so a
    decider that did not wait for the lock would still see the state from before.
    """
    barrier = threading.Barrier(len(actors))
    outcomes = [None] * len(actors)

    def decide(index, actor):
        try:
            barrier.wait(timeout=10)
            with transaction.atomic():
                step(agreement=agreement.__class__(pk=agreement.pk), actor=actor)
                time.sleep(HOLD_SECONDS)
            outcomes[index] = "done"
        except ValidationError as exc:
            outcomes[index] = exc
        except Exception as exc:  # noqa: BLE001  (reported by the assertion, not lost in the thread)
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=decide, args=(i, actor)) for i, actor in enumerate(actors)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def assert_one_winner(outcomes):
    assert outcomes.count("done") == 1, outcomes
    losers = [o for o in outcomes if o != "done"]
    assert all(isinstance(o, ValidationError) for o in losers), losers


def ledger_actions(agreement, action):
    return LedgerEntry.objects.filter(object_type="sharing.shareagreement", object_id=str(agreement.pk), action=action)


def test_two_provider_liaisons_approving_at_once_one_wins(conditional_submitted, liaison_b, dept_b):
    colleague = make_user("liaison_b2", Role.LIAISON, department=dept_b)

    outcomes = decide_at_once(services.agreement_provider_approve, conditional_submitted, [liaison_b, colleague])

    assert_one_winner(outcomes)
    conditional_submitted.refresh_from_db()
    assert conditional_submitted.status == AgreementStatus.PROVIDER_APPROVED
    assert ledger_actions(conditional_submitted, "agreement.provider_approve").count() == 1


def test_two_officers_approving_at_once_one_wins(conditional_provider_approved, officer, bureau):
    colleague = make_user("officer2", Role.OFFICER, department=bureau, is_staff=True)

    outcomes = decide_at_once(services.agreement_bureau_approve, conditional_provider_approved, [officer, colleague])

    assert_one_winner(outcomes)
    conditional_provider_approved.refresh_from_db()
    assert conditional_provider_approved.status == AgreementStatus.ACTIVE
    assert ledger_actions(conditional_provider_approved, "agreement.bureau_approve").count() == 1


def test_ledger_chain_stays_intact_under_concurrent_decisions(conditional_submitted, liaison_b, dept_b):
    colleague = make_user("liaison_b2", Role.LIAISON, department=dept_b)

    decide_at_once(services.agreement_provider_approve, conditional_submitted, [liaison_b, colleague])

    assert ledger.verify().ok
