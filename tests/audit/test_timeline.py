"""The change timeline: every tracked model in one list, newest first, filtered, keyset-paginated,
with field-level differences that name foreign keys and include many-to-many changes."""

from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from catalog import services
from catalog.choices import AggregationMode
from catalog.models import DataItem, DataResource, Duty
from govdata.audit_views import TIMELINE_PAGE_SIZE
from govdata.timeline import Cursor, Filters, object_history, timeline_page, tracked_models
from tests.factories import Role, make_duty, make_element, make_resource, make_system, make_user

from .utils import build_changes

pytestmark = pytest.mark.django_db

TIMELINE = "/audit/"


@pytest.fixture(autouse=True)
def english():
    # Field names and labels below are the English source strings.
    with translation.override("en"):
        yield


def rows(response):
    return response.context["changes"]


def keys(changes):
    return [(c.label, c.history_id) for c in changes]


# --- The list -------------------------------------------------------------------------------


def test_timeline_lists_changes_of_several_models_newest_first(auditor_client, dept_a, liaison_a):
    build_changes(2, dept_a, liaison_a)

    changes = rows(auditor_client.get(TIMELINE))

    assert {"catalog.dataresource", "catalog.dataitem", "catalog.duty", "catalog.informationsystem"} <= {
        c.label for c in changes
    }
    assert [c.when for c in changes] == sorted((c.when for c in changes), reverse=True)


def test_timeline_shows_who_with_department_and_the_reason(auditor_client, dept_a, liaison_a):
    build_changes(1, dept_a, liaison_a)

    body = auditor_client.get(TIMELINE).content.decode()

    assert "liaison_a" in body and dept_a.name in body and "补充来源系统" in body


def test_timeline_links_each_object_to_its_history(auditor_client, dept_a, liaison_a):
    (resource,) = build_changes(1, dept_a, liaison_a)

    body = auditor_client.get(TIMELINE).content.decode()

    assert reverse("audit:object_history", args=["catalog.dataresource", resource.pk]) in body


def test_timeline_shows_the_change_type_translated(auditor_client, dept_a, liaison_a):
    build_changes(1, dept_a, liaison_a)
    auditor_client.cookies["django_language"] = "en"

    body = auditor_client.get(TIMELINE).content.decode()

    assert ">created<" in body and ">changed<" in body


def test_no_matching_change_says_so(auditor_client):
    auditor_client.cookies["django_language"] = "en"
    response = auditor_client.get(TIMELINE, {"model": "catalog.duty"})
    assert "No change matches these filters." in response.content.decode()


# --- Filters --------------------------------------------------------------------------------


@pytest.fixture
def two_departments(dept_a, dept_b, liaison_a, liaison_b):
    return build_changes(2, dept_a, liaison_a), build_changes(2, dept_b, liaison_b)


def test_filter_by_model(auditor_client, two_departments):
    changes = rows(auditor_client.get(TIMELINE, {"model": "catalog.duty"}))
    assert changes and {c.label for c in changes} == {"catalog.duty"}


def test_filter_by_object_id(auditor_client, two_departments):
    resource = two_departments[0][0]

    changes = rows(auditor_client.get(TIMELINE, {"model": "catalog.dataresource", "object_id": resource.pk}))

    assert changes and {(c.label, c.object_id) for c in changes} == {("catalog.dataresource", str(resource.pk))}


def test_filter_by_object_id_without_model_searches_every_model(auditor_client, two_departments):
    resource = two_departments[0][0]

    changes = rows(auditor_client.get(TIMELINE, {"object_id": resource.pk}))

    assert {c.object_id for c in changes} == {str(resource.pk)}
    assert "catalog.dataresource" in {c.label for c in changes}


def test_filter_by_user(auditor_client, two_departments, liaison_b):
    changes = rows(auditor_client.get(TIMELINE, {"user": "liaison_b"}))
    assert changes and {c.user for c in changes} == {liaison_b}


def test_filter_by_department_of_the_acting_user(auditor_client, two_departments, dept_a, liaison_a):
    changes = rows(auditor_client.get(TIMELINE, {"department": dept_a.pk}))
    assert changes and {c.user for c in changes} == {liaison_a}


def test_department_filter_merges_every_user_of_the_department_newest_first(
    two_departments, dept_a, liaison_a, liaison_b
):
    second = make_user("liaison_a2", Role.LIAISON, department=dept_a)
    build_changes(2, dept_a, second)

    changes, _cursor = timeline_page(Filters(department_id=dept_a.pk), limit=500)

    assert {c.user for c in changes} == {liaison_a, second}
    keys = [(c.when, c.label, c.history_id) for c in changes]
    assert keys == sorted(keys, reverse=True)
    # Paging by the department: the pages together are the whole list, without overlap.
    first, cursor = timeline_page(Filters(department_id=dept_a.pk), limit=3)
    rest, _end = timeline_page(Filters(department_id=dept_a.pk), cursor=cursor, limit=500)
    assert [c.cursor for c in first + rest] == [c.cursor for c in changes]


def test_filter_by_change_type(auditor_client, two_departments):
    changes = rows(auditor_client.get(TIMELINE, {"change_type": "~"}))
    assert changes and {c.change_type for c in changes} == {"~"}


def test_filter_by_date_range_uses_local_days(auditor_client, dept_a, liaison_a):
    old, new = build_changes(2, dept_a, liaison_a)
    # Shanghai is UTC+8: 2025-03-01 23:30 local is still 2025-03-01 although it is 15:30 UTC.
    late_evening = timezone.make_aware(datetime(2025, 3, 1, 23, 30))
    DataResource.history.filter(id=old.pk).update(history_date=late_evening)
    DataResource.history.filter(id=new.pk).update(history_date=late_evening + timedelta(days=3))

    changes = rows(
        auditor_client.get(
            TIMELINE, {"model": "catalog.dataresource", "date_from": "2025-03-01", "date_to": "2025-03-01"}
        )
    )

    assert changes and {c.object_id for c in changes} == {str(old.pk)}


def test_date_from_alone_excludes_older_changes(auditor_client, dept_a, liaison_a):
    old, new = build_changes(2, dept_a, liaison_a)
    DataResource.history.filter(id=old.pk).update(history_date=timezone.now() - timedelta(days=30))

    changes = rows(
        auditor_client.get(TIMELINE, {"model": "catalog.dataresource", "date_from": timezone.localdate().isoformat()})
    )

    assert changes and {c.object_id for c in changes} == {str(new.pk)}


def test_filters_combine(auditor_client, two_departments, liaison_a):
    changes = rows(
        auditor_client.get(TIMELINE, {"model": "catalog.dataresource", "user": "liaison_a", "change_type": "+"})
    )
    assert len(changes) == 2
    assert {(c.label, c.change_type, c.user) for c in changes} == {("catalog.dataresource", "+", liaison_a)}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"user": "nobody"}, "There is no user named “nobody”."),
        ({"object_id": "abc"}, "Enter a whole number."),
        ({"date_from": "2025-13-45"}, "Enter a valid date."),
        ({"date_from": "2025-03-02", "date_to": "2025-03-01"}, "The end date is before the start date."),
        ({"model": "auth.group"}, "Select a valid choice."),
    ],
)
def test_bad_filters_get_a_message_not_an_error(auditor_client, db, params, message):
    auditor_client.cookies["django_language"] = "en"

    response = auditor_client.get(TIMELINE, params)

    assert response.status_code == 400
    assert message in response.content.decode()


def test_a_broken_page_link_shows_the_newest_changes(auditor_client, dept_a, liaison_a):
    build_changes(1, dept_a, liaison_a)

    response = auditor_client.get(TIMELINE, {"cursor": "not-a-cursor"})

    assert response.status_code == 200 and rows(response)


# --- Keyset pagination ----------------------------------------------------------------------


def all_changes():
    return timeline_page(Filters(), None, limit=10_000)[0]


def test_pages_continue_without_duplicates_or_gaps_across_identical_timestamps(dept_a, liaison_a):
    build_changes(3, dept_a, liaison_a)
    # Several models, every row at the very same instant: only the label and id order them.
    same_instant = timezone.now().replace(microsecond=0)
    for model in (DataResource, DataItem, Duty):
        model.history.update(history_date=same_instant)
    expected = keys(all_changes())

    seen, cursor = [], None
    while True:
        page, cursor = timeline_page(Filters(), cursor, limit=4)
        seen.extend(keys(page))
        if cursor is None:
            break

    assert seen == expected
    assert len(set(seen)) == len(seen)


def test_last_page_has_no_next_cursor(dept_a, liaison_a):
    build_changes(1, dept_a, liaison_a)
    total = len(all_changes())

    page, cursor = timeline_page(Filters(), None, limit=total)

    assert len(page) == total and cursor is None


def test_page_two_continues_exactly_after_page_one(auditor_client, dept_a, liaison_a):
    build_changes(15, dept_a, liaison_a)  # more than two pages of history rows
    same_instant = timezone.now().replace(microsecond=0)
    DataResource.history.update(history_date=same_instant)
    DataItem.history.update(history_date=same_instant)
    expected = keys(all_changes())

    first = auditor_client.get(TIMELINE)
    second = auditor_client.get(TIMELINE, {"cursor": first.context["next_cursor"]})

    assert len(rows(first)) == TIMELINE_PAGE_SIZE
    assert keys(rows(first)) + keys(rows(second)) == expected[: TIMELINE_PAGE_SIZE + len(rows(second))]
    assert not set(keys(rows(first))) & set(keys(rows(second)))


def test_older_link_keeps_the_filters(auditor_client, dept_a, liaison_a):
    build_changes(30, dept_a, liaison_a)

    response = auditor_client.get(TIMELINE, {"model": "catalog.dataresource"})

    assert response.context["next_cursor"]
    assert "model=catalog.dataresource&amp;cursor=" in response.content.decode()


def test_cursor_round_trips():
    cursor = Cursor(timezone.now(), "catalog.duty", 42)
    assert Cursor.decode(cursor.encode()) == cursor


@pytest.mark.parametrize("token", ["", "abc", "MjAyNXxhfGI", "bm90LWEtZGF0ZXxjYXRhbG9nLmR1dHl8MQ"])
def test_broken_cursors_decode_to_none(token):
    assert Cursor.decode(token) is None


def test_every_governed_model_with_history_is_tracked():
    labels = set(tracked_models())
    assert {"catalog.dataresource", "catalog.user", "sharing.shareagreement", "operations.operatinglicense"} <= labels
    assert "sharing.ledgerentry" not in labels


# --- Differences ----------------------------------------------------------------------------


def test_diff_names_foreign_keys(dept_a, liaison_a):
    (resource,) = build_changes(1, dept_a, liaison_a)

    changes = [c for version in object_history(DataResource, resource.pk)[:-1] for c in version.changes]

    (source,) = [c for c in changes if c.field == "source system"]
    assert (source.old, source.new) == ("", resource.source_system.name)


def test_diff_includes_many_to_many_changes(dept_a, liaison_a):
    (resource,) = build_changes(1, dept_a, liaison_a)
    duty = resource.duties.get()

    changes = [c for version in object_history(DataResource, resource.pk) for c in version.changes]

    assert any(c.field == "duties" and c.old == "" and c.new == str(duty) for c in changes)


def test_diff_shows_old_and_new_values_and_choice_labels(dept_a, liaison_a):
    resource = make_resource(dept_a, liaison_a, aggregation_mode="logical")
    resource.aggregation_mode = "physical"
    resource.name = "新名称"
    old_name = DataResource.objects.get(pk=resource.pk).name
    services.resource_save(resource=resource, actor=liaison_a)

    latest = object_history(DataResource, resource.pk)[0]

    fields = {c.field: (c.old, c.new) for c in latest.changes}
    assert fields["name"] == (old_name, "新名称")
    assert fields["aggregation mode"] == (AggregationMode.LOGICAL.label, AggregationMode.PHYSICAL.label)


def test_diff_names_a_deleted_related_object_from_its_history(dept_a, liaison_a):
    duty = make_duty(dept_a, liaison_a)
    resource = make_resource(dept_a, liaison_a)
    services.resource_save(resource=resource, actor=liaison_a, duties=[duty])
    services.resource_save(resource=resource, actor=liaison_a, duties=[])
    duty._history_user = liaison_a
    duty.delete()

    unlinked = object_history(DataResource, resource.pk)[0]

    (change,) = unlinked.changes
    assert change.field == "duties"
    assert (change.old, change.new) == (f"{duty.code} {duty.name} (deleted)", "")


def test_object_history_lists_initial_values_of_a_creation(dept_a, liaison_a):
    system = make_system(dept_a, liaison_a)
    resource = make_resource(dept_a, liaison_a, source_system=system)

    creation = object_history(DataResource, resource.pk)[-1]

    fields = {c.field: c.new for c in creation.changes}
    assert creation.change_type == "+"
    assert fields["catalogue code"] == resource.catalogue_code
    assert fields["source system"] == system.name
    assert fields["owning department"] == dept_a.name


def test_timeline_keeps_creations_to_one_line(dept_a, liaison_a):
    make_resource(dept_a, liaison_a)

    creations = [c for c in all_changes() if c.change_type == "+"]

    assert creations and all(c.changes == [] for c in creations)


def test_object_history_page_shows_fk_names_and_m2m(auditor_client, dept_a, liaison_a):
    (resource,) = build_changes(1, dept_a, liaison_a)

    body = auditor_client.get(
        reverse("audit:object_history", args=["catalog.dataresource", resource.pk])
    ).content.decode()

    assert resource.source_system.name in body
    assert str(resource.duties.get()) in body


def test_objects_without_a_name_field_are_named_by_their_current_text(auditor_client, dept_a, liaison_a):
    element = make_element()
    claim = services.source_claim(element=element, department=dept_a, actor=liaison_a, legal_basis="《统计法》")

    changes = rows(auditor_client.get(TIMELINE, {"model": "catalog.sourceassignment"}))

    assert [c.object_name for c in changes] == [str(claim)]
