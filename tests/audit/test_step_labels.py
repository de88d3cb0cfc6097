"""A workflow step taken without a reason stores its code ("publish") as the history's change
reason; every page that shows the history shows the step's translated label instead, and a reason
someone wrote is shown as written."""

import csv
import io

import pytest
from django.urls import reverse

from catalog import choices as catalog_choices
from catalog import services
from catalog.models import DataResource
from govdata.timeline import shown_reason
from operations import choices as operations_choices
from sharing import choices as sharing_choices
from tests.factories import make_published_resource, make_resource

pytestmark = pytest.mark.django_db


def reasons(response, key="changes"):
    return [change.reason_shown for change in response.context[key]]


@pytest.fixture
def published(dept_a, liaison_a, officer):
    """Submitted and published without a reason: the history stores "submit" and "publish"."""
    return make_published_resource(dept_a, liaison_a, officer)


@pytest.fixture
def returned(dept_a, liaison_a, officer):
    resource = make_resource(dept_a, liaison_a)
    services.resource_submit(resource=resource, actor=liaison_a)
    return services.resource_return(resource=resource, actor=officer, reason="缺少更新周期说明")


def test_the_stored_reason_stays_the_step_code(published):
    assert published.history.latest().history_change_reason == "publish"


def test_timeline_shows_the_label_of_a_step_taken_without_a_reason(auditor_client, published):
    response = auditor_client.get("/audit/", {"model": "catalog.dataresource", "object_id": published.pk})

    assert reasons(response)[:2] == ["Published", "Submitted for publication"]
    body = response.content.decode()
    assert '<td class="small reason-box">Published</td>' in body
    assert '<td class="small reason-box">publish</td>' not in body


def test_timeline_shows_a_written_reason_unchanged(auditor_client, returned):
    response = auditor_client.get("/audit/", {"model": "catalog.dataresource", "object_id": returned.pk})

    assert reasons(response)[0] == "缺少更新周期说明"
    assert '<td class="small reason-box">缺少更新周期说明</td>' in response.content.decode()


def test_object_history_shows_the_label_of_a_step_taken_without_a_reason(auditor_client, published):
    response = auditor_client.get(reverse("audit:object_history", args=["catalog.dataresource", published.pk]))

    assert reasons(response, "versions")[:2] == ["Published", "Submitted for publication"]
    body = response.content.decode()
    assert '<td class="small reason-box">Published</td>' in body
    assert '<td class="small reason-box">publish</td>' not in body


def test_the_label_is_shown_in_the_readers_language(auditor_client, published):
    auditor_client.cookies["django_language"] = "zh-hans"

    response = auditor_client.get("/audit/", {"model": "catalog.dataresource", "object_id": published.pk})

    assert reasons(response)[0] == "已发布"


def test_export_writes_the_label_of_a_step_taken_without_a_reason(auditor_client, published):
    auditor_client.cookies["django_language"] = "en"

    response = auditor_client.get("/audit/export.csv", {"model": "catalog.dataresource", "object_id": published.pk})

    raw = b"".join(response.streaming_content).decode("utf-8-sig")
    header, newest, *_rest = csv.reader(io.StringIO(raw))
    assert newest[header.index("Reason")] == "Published"


def test_admin_history_shows_the_label_of_a_step_taken_without_a_reason(officer_client, published):
    response = officer_client.get(reverse("admin:catalog_dataresource_history", args=[published.pk]))

    shown = [record.history_change_reason for record in response.context["page_obj"]]
    assert shown[:2] == ["Published", "Submitted for publication"]
    assert DataResource.history.filter(id=published.pk).latest().history_change_reason == "publish"


def test_the_same_code_reads_as_each_apps_own_step():
    assert shown_reason("catalog.dataresource", "submit") == "Submitted for publication"
    assert shown_reason("operations.dataproduct", "submit") == "Submitted for bureau review"
    assert shown_reason("sharing.shareagreement", "submit") == "Submitted to the provider"


def test_a_code_of_another_app_is_not_translated():
    # "publish" is a catalogue step only; on a licence it could only be something somebody wrote.
    assert shown_reason("operations.operatinglicense", "publish") == "publish"


@pytest.mark.parametrize(
    ("labels", "steps"),
    [
        (
            catalog_choices.STEP_LABELS,
            {*catalog_choices.RESOURCE_TRANSITIONS.values(), *catalog_choices.CLAIM_TRANSITIONS.values()},
        ),
        (sharing_choices.STEP_LABELS, {*sharing_choices.AGREEMENT_TRANSITIONS, "responsibilities"}),
        (
            operations_choices.STEP_LABELS,
            {
                *operations_choices.LICENSE_TRANSITIONS,
                *operations_choices.PRODUCT_TRANSITIONS,
                "assign",
                operations_choices.AuditStatus.IN_PROGRESS,
                operations_choices.AuditStatus.COMPLETED,
            },
        ),
    ],
    ids=["catalog", "sharing", "operations"],
)
def test_every_step_an_app_can_store_has_a_label(labels, steps):
    assert steps - set(labels) == set()
