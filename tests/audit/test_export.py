"""The CSV export: the filtered timeline, streamed, readable by Excel, with the page's permissions."""

import csv
import io

import pytest
from django.http import StreamingHttpResponse

from catalog import services
from govdata import audit_views
from tests.factories import make_resource

from .utils import build_changes

pytestmark = pytest.mark.django_db

EXPORT = "/audit/export.csv"


def read_csv(response):
    raw = b"".join(response.streaming_content)
    assert raw.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


@pytest.fixture
def english(auditor_client):
    auditor_client.cookies["django_language"] = "en"
    return auditor_client


def test_export_streams(auditor_client, dept_a, liaison_a):
    build_changes(1, dept_a, liaison_a)

    response = auditor_client.get(EXPORT)

    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="audit-timeline-')


def test_export_starts_with_a_bom_and_a_translated_header(english, dept_a, liaison_a):
    build_changes(1, dept_a, liaison_a)

    header = read_csv(english.get(EXPORT))[0]

    assert header[:3] == ["When", "User", "Department"]
    assert "Changed fields" in header and "Reason" in header


def test_export_has_one_row_per_change_with_the_timeline_contents(english, dept_a, liaison_a):
    (resource,) = build_changes(1, dept_a, liaison_a)

    rows = read_csv(english.get(EXPORT, {"model": "catalog.dataresource"}))[1:]

    # The creation, the edit, and the duty link that the edit set.
    assert len(rows) == 3
    edit = next(r for r in rows if "source system" in r[7])
    assert edit[1] == "liaison_a" and edit[2] == dept_a.name
    assert edit[4] == str(resource.pk) and edit[6] == "changed" and edit[8] == "补充来源系统"
    assert f"source system: — → {resource.source_system.name}" in edit[7]


def test_export_applies_every_filter(english, dept_a, dept_b, liaison_a, liaison_b):
    build_changes(2, dept_a, liaison_a)
    build_changes(2, dept_b, liaison_b)

    rows = read_csv(english.get(EXPORT, {"user": "liaison_b", "change_type": "+", "model": "catalog.dataresource"}))

    assert len(rows) == 1 + 2
    assert {r[1] for r in rows[1:]} == {"liaison_b"}


def test_export_walks_every_page_of_the_timeline(english, dept_a, liaison_a, monkeypatch):
    build_changes(4, dept_a, liaison_a)
    everything = read_csv(english.get(EXPORT))
    monkeypatch.setattr(audit_views, "EXPORT_BATCH", 3)

    in_small_batches = read_csv(english.get(EXPORT))

    assert in_small_batches == everything
    assert len({r[-1] + r[3] for r in everything[1:]}) == len(everything) - 1


def test_export_neutralises_spreadsheet_formulas(english, dept_a, liaison_a):
    resource = make_resource(dept_a, liaison_a)
    services.resource_save(resource=resource, actor=liaison_a, reason='=HYPERLINK("http://x")')

    rows = read_csv(english.get(EXPORT, {"model": "catalog.dataresource"}))

    assert '\'=HYPERLINK("http://x")' in [r[8] for r in rows]


def test_export_with_bad_filters_is_a_message_not_a_file(english, db):
    response = english.get(EXPORT, {"user": "nobody"})

    assert response.status_code == 400
    assert "There is no user named" in response.content.decode()


def test_liaison_cannot_export(client_a):
    assert client_a.get(EXPORT).status_code == 403
