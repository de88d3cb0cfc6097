"""An auditor sees everything and changes nothing, on every channel: portal, admin, API, audit."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog.choices import ResourceStatus
from catalog.models import DataResource, SourceAssignment
from sharing import services as sharing_services
from sharing.choices import UsageMode
from sharing.models import LedgerEntry, ShareAgreement, UsageRecord
from tests.factories import make_element, make_published_resource, make_resource
from tests.portal.utils import resource_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(dept_a, liaison_a):
    return make_resource(dept_a, liaison_a, name="原名称")


@pytest.fixture
def submitted(draft, liaison_a):
    from catalog import services

    return services.resource_submit(resource=draft, actor=liaison_a)


def snapshot():
    return (
        list(DataResource.objects.order_by("pk").values_list("pk", "name", "status")),
        list(DataResource.history.values_list("history_id", flat=True)),
        LedgerEntry.objects.count(),
    )


def test_auditor_cannot_create_a_resource_in_the_portal(auditor_client, dept_a):
    before = snapshot()
    response = auditor_client.post(reverse("portal:resource_create"), resource_post(catalogue_code="AUD-1"))
    assert response.status_code == 403
    assert snapshot() == before


def test_auditor_cannot_claim_a_source_in_the_portal(auditor_client, db):
    element = make_element()
    response = auditor_client.post(reverse("portal:element_claim", args=[element.pk]), {"legal_basis": "《审计法》"})
    assert response.status_code == 403
    assert not SourceAssignment.objects.exists()


def test_auditor_cannot_change_a_resource_in_the_admin(auditor_client, draft):
    before = snapshot()
    response = auditor_client.post(
        reverse("admin:catalog_dataresource_change", args=[draft.pk]), {"name": "审计员改的"}
    )
    assert response.status_code == 403
    assert snapshot() == before


def test_auditor_can_read_a_resource_in_the_admin(auditor_client, draft):
    assert auditor_client.get(reverse("admin:catalog_dataresource_change", args=[draft.pk])).status_code == 200


def test_auditor_cannot_add_a_resource_in_the_admin(auditor_client, dept_a):
    before = snapshot()
    response = auditor_client.post(reverse("admin:catalog_dataresource_add"), {"catalogue_code": "AUD-2"})
    assert response.status_code == 403
    assert snapshot() == before


def test_auditor_cannot_delete_in_the_admin(auditor_client, draft):
    before = snapshot()
    response = auditor_client.post(reverse("admin:catalog_dataresource_delete", args=[draft.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert snapshot() == before


def test_auditor_cannot_run_a_workflow_step_in_the_admin(auditor_client, submitted):
    before = snapshot()
    url = reverse("admin:catalog_dataresource_workflow", args=[submitted.pk, "publish"])
    response = auditor_client.post(url, {"reason": "审计员发布"})
    assert response.status_code in (403, 404)
    submitted.refresh_from_db()
    assert submitted.status == ResourceStatus.SUBMITTED
    assert snapshot() == before


def test_auditor_cannot_run_a_bulk_action_in_the_admin(auditor_client, draft):
    before = snapshot()
    auditor_client.post(
        reverse("admin:catalog_dataresource_changelist"),
        {"action": "delete_selected", "_selected_action": [draft.pk], "post": "yes", "index": "0"},
    )
    assert snapshot() == before


@pytest.fixture
def agreement(dept_b, liaison_a, liaison_b, officer):
    provided = make_published_resource(dept_b, liaison_b, officer)
    today = timezone.localdate()
    draft = ShareAgreement(
        provider=dept_b,
        purpose="核验企业登记信息",
        legal_basis="《政务数据共享条例》第十二条",
        usage_mode=UsageMode.QUERY,
        valid_from=today,
        valid_to=today + timedelta(days=30),
        requester_contact="张三",
    )
    return sharing_services.agreement_save(agreement=draft, actor=liaison_a, items=list(provided.items.all()))


def test_auditor_cannot_record_usage_through_the_api(auditor_client, agreement):
    entries = LedgerEntry.objects.count()
    response = auditor_client.post(
        "/api/usage/",
        {"agreement": agreement.number, "mode": UsageMode.QUERY, "items": ["F0"], "record_count": 1},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert not UsageRecord.objects.exists()
    assert LedgerEntry.objects.count() == entries


def test_verifying_the_ledger_writes_nothing(auditor_client, draft, liaison_a):
    from catalog import services

    services.resource_submit(resource=draft, actor=liaison_a)
    before = snapshot()
    assert auditor_client.post(reverse("audit:ledger_verify")).status_code == 200
    assert snapshot() == before
