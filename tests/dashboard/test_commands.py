"""recommend_aggregation and snapshot_governance, run as cron would run them."""

from io import StringIO

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import translation

from catalog.models import DataResource
from govdata.management.commands.snapshot_governance import SNAPSHOT_LOCK_KEY
from govdata.models import GovernanceSnapshot
from tests.dashboard.conftest import NOW

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    # English messages, so the assertions read the same whatever the translations hold.
    with translation.override("en"):
        call_command(*args, stdout=out)
    return out.getvalue()


def modes(world):
    by_pk = dict(DataResource.objects.values_list("pk", "recommended_mode"))
    return {code: by_pk[resource.pk] for code, resource in world.resources.items()}


def test_recommend_aggregation_stores_the_recommendation_of_every_published_resource(world, officer):
    output = run("recommend_aggregation", "--actor", officer.username)
    # RB2 has high use but one department: no firm recommendation, stored empty as it already
    # was (5 changes for 6 resources); drafts and retired resources are left alone.
    assert "6 published resource(s) considered, 5 recommendation(s) changed." in output
    assert modes(world) == {
        "RA1": "physical",
        "RA2": "logical",
        "RA3": "",
        "RA4": "",
        "RA5": "logical",
        "RA6": "logical",
        "RB1": "logical",
        "RB2": "",
    }


def test_recommendations_are_attributed_to_the_actor_in_history(world, officer):
    run("recommend_aggregation", "--actor", officer.username)
    record = world.resources["RA1"].history.latest()
    assert (record.recommended_mode, record.history_user) == ("physical", officer)
    assert "90" in record.history_change_reason


def test_recommendation_keeps_the_duty_links_in_history(world, officer):
    run("recommend_aggregation", "--actor", officer.username)
    record = world.resources["RA1"].history.latest()
    assert [d.duty_id for d in record.duties.all()] == [world.duties["A1"].pk]


def test_recommend_aggregation_leaves_updated_at_alone(world, officer):
    before = DataResource.objects.get(pk=world.resources["RA1"].pk).updated_at
    run("recommend_aggregation", "--actor", officer.username)
    assert DataResource.objects.get(pk=world.resources["RA1"].pk).updated_at == before


def test_recommend_aggregation_is_idempotent(world, officer):
    run("recommend_aggregation", "--actor", officer.username)
    history_rows = DataResource.history.count()
    output = run("recommend_aggregation", "--actor", officer.username)
    assert "0 recommendation(s) changed." in output
    assert DataResource.history.count() == history_rows


def test_recommend_aggregation_over_another_window(world, officer):
    run("recommend_aggregation", "--actor", officer.username, "--window", "30")
    # In 30 days RA1 is used twice by one department.
    assert modes(world)["RA1"] == "logical"


def test_recommend_aggregation_refuses_a_liaison(world):
    with pytest.raises(CommandError, match="bureau"):
        run("recommend_aggregation", "--actor", world.liaisons["A"].username)
    assert set(modes(world).values()) == {""}


def test_recommend_aggregation_refuses_an_unknown_actor(world):
    with pytest.raises(CommandError, match="nobody"):
        run("recommend_aggregation", "--actor", "nobody")


def test_snapshot_governance_stores_a_snapshot_without_actor(world):
    output = run("snapshot_governance")
    snapshot = GovernanceSnapshot.objects.get()
    assert f"Snapshot {snapshot.pk} taken at" in output
    assert snapshot.taken_by is None and snapshot.taken_at == NOW
    assert snapshot.figures["scorecards"]["bureau"]["duties"] == 7


def test_snapshot_governance_adds_to_the_history(world, clock):
    run("snapshot_governance")
    clock.day(1)
    run("snapshot_governance")
    assert GovernanceSnapshot.objects.count() == 2


@pytest.mark.postgres
def test_snapshot_governance_skips_while_another_run_holds_the_lock(db):
    if connection.vendor != "postgresql":
        pytest.skip("The overlapping-run lock is a PostgreSQL advisory lock; SQLite serializes writes instead.")
    params = connection.get_connection_params()
    other = psycopg.connect(**{k: v for k, v in params.items() if k in {"dbname", "user", "host", "port", "password"}})
    try:
        other.execute("SELECT pg_advisory_lock(%s)", [SNAPSHOT_LOCK_KEY])
        output = run("snapshot_governance")
    finally:
        other.close()
    assert "skipped" in output
    assert not GovernanceSnapshot.objects.exists()
