"""Long lists show an estimated length and page by one row more; short lists keep exact counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from catalog.models import DataResource
from govdata.pagination import LongListPaginator, _two_figures, planner_estimate
from tests.factories import make_published_resource, make_resource

needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the planner's estimate is read from PostgreSQL"
)


class FiveExact(LongListPaginator):
    exact_up_to = 5


def resources(dept, actor, n):
    for i in range(n):
        make_resource(dept, actor, items=0, name=f"资源{i:02d}")
    return DataResource.objects.filter(department=dept).order_by("catalogue_code")


def analyze():
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE catalog_dataresource")


@pytest.mark.django_db
def test_a_list_within_the_limit_is_counted_exactly(dept_a, liaison_a):
    listed = resources(dept_a, liaison_a, 12)
    paginator = LongListPaginator(listed, 5)
    assert (paginator.count, paginator.is_estimate, paginator.num_pages) == (12, False, 3)
    last = paginator.get_page(3)
    assert [r.pk for r in last.object_list] == [r.pk for r in listed][10:]
    assert not last.has_next()
    assert last.end_index() == 12


def test_an_estimate_is_shown_to_two_figures():
    assert [_two_figures(n) for n in (77_793, 12_345, 10_050, 999_999)] == [78_000, 12_000, 10_000, 1_000_000]


@pytest.mark.django_db
def test_an_empty_queryset_is_an_empty_first_page():
    page = LongListPaginator(DataResource.objects.none(), 5).get_page(3)
    assert (page.number, list(page.object_list), page.paginator.count) == (1, [], 0)


@needs_postgres
@pytest.mark.django_db
def test_a_long_list_shows_the_estimate_and_every_row_once_page_by_page(dept_a, liaison_a):
    listed = resources(dept_a, liaison_a, 23)
    analyze()
    paginator = FiveExact(listed, 5)
    assert paginator.is_estimate
    assert paginator.count == max(_two_figures(planner_estimate(listed)), 6)
    seen, number = [], 1
    while True:
        page = paginator.get_page(number)
        seen += [r.pk for r in page.object_list]
        assert page.end_index() == len(seen)
        if not page.has_next():
            break
        number = page.next_page_number()
    assert seen == [r.pk for r in listed]
    assert number == 5
    # However low the estimate, the length shown covers every row shown.
    assert paginator.count >= 23 and paginator.num_pages >= 5
    # A page number past the end (an old link, a hand-typed URL) shows the real last page.
    assert [r.pk for r in paginator.get_page(99).object_list] == [r.pk for r in listed][20:]
    assert paginator.get_page("x").number == 1
    assert paginator.get_page(10**30).number == 5


@needs_postgres
@pytest.mark.django_db
def test_a_short_list_the_planner_misjudges_is_still_counted_exactly(dept_a, liaison_a):
    listed = resources(dept_a, liaison_a, 23)
    analyze()
    # The statistics still speak of 23 rows; only 3 are left.
    DataResource.objects.filter(pk__in=[r.pk for r in listed][3:]).delete()
    left = listed.all()  # not the list read above
    assert planner_estimate(left) > 5
    paginator = FiveExact(left, 5)
    assert (paginator.count, paginator.is_estimate) == (3, False)


@needs_postgres
@pytest.mark.django_db
def test_the_catalogue_says_about_and_offers_no_last_page_when_estimated(
    monkeypatch, client, dept_a, dept_b, liaison_a, liaison_b, officer
):
    for i in range(30):
        make_published_resource(dept_b, liaison_b, officer, name=f"公开资源{i:02d}")
    analyze()
    monkeypatch.setattr(LongListPaginator, "exact_up_to", 5)
    client.force_login(liaison_a)
    response = client.get(reverse("portal:catalogue_list"), HTTP_ACCEPT_LANGUAGE="en")
    page = response.context["page"]
    assert page.paginator.is_estimate
    html = response.content.decode()
    assert f"of about {page.paginator.count}" in html
    assert ">Next<" in html and ">Last<" not in html


@pytest.mark.django_db
def test_the_catalogue_counts_a_short_list_exactly(client, dept_a, dept_b, liaison_a, liaison_b, officer):
    for i in range(30):
        make_published_resource(dept_b, liaison_b, officer, name=f"公开资源{i:02d}")
    client.force_login(liaison_a)
    response = client.get(reverse("portal:catalogue_list"), HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert "of 30" in html and "about" not in html
    assert ">Last<" in html
