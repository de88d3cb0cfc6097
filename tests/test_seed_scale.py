"""seed_scale: a small province (--scale 0.002) that obeys the product's rules, with history for
everything, a verifiable ledger, the grants the services would give, and a refusal to run twice."""

import io
import random

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from catalog import services as catalog_services
from catalog.choices import ResourceStatus
from catalog.models import DataItem, DataResource, Department, Duty, User
from govdata.models import GovernanceSnapshot
from govdata.permissions import restrict
from govdata.scale import Sizes
from sharing.models import LedgerCheckpoint, LedgerEntry, ShareAgreement, UsageRecord

SCALE = 0.002
SIZES = Sizes().scaled(SCALE)


def on_postgres(test):
    """PostgreSQL only: the command loads with COPY."""
    marks = [
        pytest.mark.postgres,
        pytest.mark.django_db,
        pytest.mark.skipif(connection.vendor != "postgresql", reason="seed_scale loads with PostgreSQL's COPY"),
    ]
    for mark in marks:
        test = mark(test)
    return test


def seed_scale(**options) -> str:
    out = io.StringIO()
    call_command("seed_scale", scale=SCALE, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker, tmp_path_factory):
    """One seeded province for the whole module, committed like a real run (ANALYZE and the governance
    snapshot follow the command's own commit); each test then runs in a transaction rolled back after
    it, and the module empties the database when it is done."""
    if connection.vendor != "postgresql":
        pytest.skip("seed_scale loads with PostgreSQL's COPY")
    key_file = tmp_path_factory.mktemp("ledger") / "ledger.pem"
    with override_settings(LEDGER_SIGNING_KEY="", LEDGER_SIGNING_KEY_FILE=key_file), django_db_blocker.unblock():
        try:
            yield seed_scale()
        finally:
            with connection.cursor() as cursor:
                # The ledger refuses TRUNCATE; replica mode lifts its trigger for this connection only,
                # which is closed right after the flush so the next test has the trigger back.
                cursor.execute("SET session_replication_role = replica")
            call_command("flush", interactive=False, verbosity=0)
            connection.close()


def sample(queryset, size=60):
    ids = list(queryset.values_list("pk", flat=True))
    return queryset.model.objects.filter(pk__in=random.Random(7).sample(ids, min(size, len(ids))))


@on_postgres
@pytest.mark.usefixtures("seeded")
def test_counts_match_the_sizes_asked_for():
    counts = {
        "departments": Department.objects.count(),
        "users": User.objects.count(),
        "duties": Duty.objects.count(),
        "resources": DataResource.objects.count(),
        "items_per_resource": DataItem.objects.count() / DataResource.objects.count(),
        "agreements": ShareAgreement.objects.count(),
        "usage_records": UsageRecord.objects.count(),
        "ledger_entries": LedgerEntry.objects.count(),
    }
    assert counts == {name: getattr(SIZES, name) for name in counts}


@on_postgres
@pytest.mark.usefixtures("seeded")
def test_every_resource_and_item_has_a_creation_record_with_a_user():
    for model in (DataResource, DataItem, Duty, ShareAgreement, UsageRecord):
        created = model.history.filter(history_type="+", history_user__isnull=False)
        assert created.values("id").distinct().count() == model.objects.count(), model


@on_postgres
@pytest.mark.usefixtures("seeded")
def test_workflow_steps_leave_change_records_by_the_acting_user():
    published = DataResource.objects.filter(status=ResourceStatus.PUBLISHED).first()
    steps = published.history.filter(history_type="~").order_by("history_date")
    assert [s.status for s in steps][-1] == ResourceStatus.PUBLISHED
    assert steps.last().history_user.username == "officer"
    assert list(published.history.order_by("history_date").values_list("history_type", flat=True))[0] == "+"


@on_postgres
@pytest.mark.usefixtures("seeded")
def test_a_sample_of_every_kind_passes_full_clean():
    for model in (DataResource, DataItem, ShareAgreement, UsageRecord, Duty):
        for obj in sample(model.objects.all()):
            obj.full_clean()


@on_postgres
@pytest.mark.usefixtures("seeded")
def test_resources_satisfy_the_rules_on_their_items():
    for resource in sample(DataResource.objects.prefetch_related("items")):
        catalog_services.validate_resource_items(resource, list(resource.items.all()))


@on_postgres
@pytest.mark.usefixtures("seeded")
def test_uses_fall_inside_active_periods_of_their_agreements():
    for use in sample(UsageRecord.objects.select_related("agreement")):
        agreement = use.agreement
        assert agreement.valid_from <= timezone.localdate(use.used_at) <= agreement.valid_to
        assert agreement.decided_at is not None and agreement.decided_at <= use.used_at
        granted = set(agreement.items.values_list("resource__catalogue_code", "code"))
        touched = {tuple(code.split("/")) for code in use.item_codes}
        assert use.outcome == "rejected" or touched <= granted


@on_postgres
@pytest.mark.usefixtures("seeded")
def test_the_ledger_verifies_with_signed_checkpoints():
    out = io.StringIO()
    call_command("verify_ledger", stdout=out, stderr=io.StringIO())
    assert "Ledger intact" in out.getvalue()
    assert LedgerCheckpoint.objects.filter(tree_size=LedgerEntry.objects.count()).exists()


@on_postgres
@pytest.mark.usefixtures("seeded")
def test_ledger_entries_record_steps_of_seeded_objects():
    models = {"catalog.dataresource": DataResource, "sharing.shareagreement": ShareAgreement}
    models["sharing.usagerecord"] = UsageRecord
    entries = LedgerEntry.objects.filter(object_type__in=models)
    assert entries.exists()
    for entry in entries:
        assert models[entry.object_type].objects.filter(pk=entry.object_id).exists(), entry


@on_postgres
@pytest.mark.usefixtures("seeded")
def test_a_liaison_sees_only_their_own_departments_unpublished_resources():
    liaison = User.objects.get(username="liaison_ga")
    unpublished = DataResource.objects.exclude(status=ResourceStatus.PUBLISHED)
    visible = restrict(unpublished, liaison)
    assert visible.exists()
    assert set(visible.values_list("department__code", flat=True)) == {"GA"}
    assert visible.count() == unpublished.filter(department__code="GA").count()


@on_postgres
@pytest.mark.usefixtures("seeded")
def test_objects_created_after_the_seed_get_fresh_ids():
    liaison = User.objects.get(username="liaison_ga")
    resource = catalog_services.resource_save(
        resource=DataResource(
            catalogue_code="GA-NEW-1",
            name="新增数据资源",
            department=liaison.department,
            subject="departmental",
            share_type="unconditional",
            update_frequency="daily",
        ),
        actor=liaison,
        items=[DataItem(code="XM", name="姓名")],
    )
    assert resource.pk > SIZES.resources
    assert resource.items.get().pk > SIZES.resources * SIZES.items_per_resource


@on_postgres
def test_the_dashboard_has_figures_and_the_summary_tells_how_to_sign_in(seeded):
    assert GovernanceSnapshot.objects.exists()
    assert "officer" in seeded and "liaison_ga" in seeded and "govdata-demo-2026" in seeded


@on_postgres
@pytest.mark.usefixtures("seeded")
def test_a_second_run_refuses():
    with pytest.raises(CommandError, match="already holds data resources"):
        seed_scale()
    assert DataResource.objects.count() == SIZES.resources


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor == "postgresql", reason="the refusal of another database engine")
def test_refuses_a_database_that_is_not_postgresql():
    with pytest.raises(CommandError, match="needs PostgreSQL"):
        seed_scale()


@pytest.mark.django_db
def test_refuses_sizes_that_leave_a_department_without_a_liaison():
    users_before = User.objects.count()
    with pytest.raises(CommandError, match="at least the number of departments plus two"):
        seed_scale(departments=10, users=11)
    assert User.objects.count() == users_before
