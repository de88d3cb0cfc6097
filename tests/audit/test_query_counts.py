"""Every audit page costs the same number of queries with 5 rows as with 50 (CONVENTIONS: query
counts must not grow with rows). The timeline, its filters, an object's history, the export and
the ledger pages are measured at both sizes."""

import pytest
from django.urls import reverse

from sharing import checkpoints
from tests.factories import Role, make_duty, make_resource, make_user

from .utils import append_entries, build_changes, build_mixed_changes, count_queries, edit_repeatedly

pytestmark = pytest.mark.django_db

SIZES = (5, 50)


@pytest.fixture
def measure(auditor_client):
    """Run `build(n)` in a fresh state for each size and count the queries of one request."""

    def run(build, url, **kwargs):
        counts = []
        for n in SIZES:
            with _fresh_rows():
                url_n = build(n)
                counts.append(count_queries(auditor_client, url_n or url, **kwargs))
        return counts

    return run


class _fresh_rows:
    """Each size in its own savepoint, rolled back afterwards, so the second size starts clean."""

    def __enter__(self):
        from django.db import transaction

        self.atomic = transaction.atomic()
        self.atomic.__enter__()

    def __exit__(self, *exc):
        from django.db import transaction

        transaction.set_rollback(True)
        self.atomic.__exit__(*exc)
        return False


def test_timeline_query_count_does_not_grow(measure, dept_a, liaison_a, officer):
    small, large = measure(lambda n: build_mixed_changes(n, dept_a, liaison_a, officer) and None, "/audit/")
    assert small == large


def test_filtered_timeline_query_count_does_not_grow(measure, dept_a, liaison_a):
    url = f"/audit/?model=catalog.dataresource&user=liaison_a&department={dept_a.pk}&change_type=~"
    small, large = measure(lambda n: build_changes(n, dept_a, liaison_a) and None, url)
    assert small == large


def test_department_timeline_query_count_does_not_grow(measure, dept_a, liaison_a):
    # Two users in the department: on PostgreSQL their index ranges of every model are merged in one query.
    make_user("liaison_a2", Role.LIAISON, department=dept_a)
    small, large = measure(lambda n: build_changes(n, dept_a, liaison_a) and None, f"/audit/?department={dept_a.pk}")
    # A page with fewer rows may span more kinds of object (one query each for their full rows),
    # so the small page can cost a query or two more; more rows must never cost more.
    assert large <= small


def test_second_timeline_page_query_count_does_not_grow(measure, dept_a, liaison_a, auditor_client):
    def build(n):
        build_changes(n + 30, dept_a, liaison_a)  # page 2 lies within these rows at both sizes
        return "/audit/?cursor=" + auditor_client.get("/audit/").context["next_cursor"]

    small, large = measure(build, None)
    assert small == large


def test_object_history_query_count_does_not_grow(measure, dept_a, liaison_a):
    duties = [make_duty(dept_a, liaison_a) for _ in range(3)]

    def build(n):
        resource = make_resource(dept_a, liaison_a)
        edit_repeatedly(resource, liaison_a, duties, n)
        return reverse("audit:object_history", args=["catalog.dataresource", resource.pk])

    small, large = measure(build, None)
    assert small == large


def test_liaison_object_history_query_count_does_not_grow(dept_a, liaison_a, client_a):
    duties = [make_duty(dept_a, liaison_a) for _ in range(3)]
    counts = []
    for n in SIZES:
        resource = make_resource(dept_a, liaison_a)
        edit_repeatedly(resource, liaison_a, duties, n)
        counts.append(
            count_queries(client_a, reverse("audit:object_history", args=["catalog.dataresource", resource.pk]))
        )
    assert counts[0] == counts[1]


def test_export_query_count_does_not_grow(measure, dept_a, liaison_a):
    url = "/audit/export.csv?model=catalog.dataresource"
    small, large = measure(lambda n: build_changes(n, dept_a, liaison_a) and None, url, consume=True)
    assert small == large


def test_ledger_list_query_count_does_not_grow(measure, dept_a, liaison_a, officer, signing_key):
    def build(n):
        resource = make_resource(dept_a, liaison_a)
        append_entries(n, [resource, dept_a], [liaison_a, officer, None])
        checkpoints.checkpoint_create()

    small, large = measure(build, "/audit/ledger/")
    assert small == large


def test_ledger_verify_query_count_does_not_grow(measure, dept_a, liaison_a, officer, signing_key):
    def build(n):
        resource = make_resource(dept_a, liaison_a)
        append_entries(n, [resource, dept_a], [liaison_a, officer])
        checkpoints.checkpoint_create()

    small, large = measure(build, reverse("audit:ledger_verify"), method="post")
    assert small == large


def test_ledger_entry_query_count_does_not_grow(measure, dept_a, liaison_a, signing_key):
    def build(n):
        resource = make_resource(dept_a, liaison_a)
        append_entries(n, [resource], [liaison_a])
        checkpoints.checkpoint_create()
        return reverse("audit:ledger_entry", args=[3])

    small, large = measure(build, None)
    assert small == large


def test_checkpoint_list_query_count_does_not_grow(measure, dept_a, liaison_a, signing_key):
    def build(n):
        resource = make_resource(dept_a, liaison_a)
        for _ in range(n):
            append_entries(1, [resource], [liaison_a])
            checkpoints.checkpoint_create()

    small, large = measure(build, reverse("audit:checkpoint_list"))
    assert small == large
