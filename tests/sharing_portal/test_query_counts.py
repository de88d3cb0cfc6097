"""Every share-agreement page costs the same number of queries for 5 rows as for 50."""

import pytest
from django.urls import reverse

from catalog import services as catalog_services
from catalog.models import DataItem
from sharing import services
from sharing.choices import UsageMode
from tests.factories import make_published_resource, make_resource
from tests.portal.utils import count_queries

pytestmark = pytest.mark.django_db

SMALL, LARGE = 5, 50


def assert_constant(client, url, grow, django_assert_num_queries):
    """Count the page's queries at SMALL rows, grow() to LARGE, and require the same count."""
    at_small = count_queries(client, url)
    grow()
    client.get(url)
    with django_assert_num_queries(at_small):
        response = client.get(url)
    assert response.status_code == 200


def published_with_items(department, liaison, officer, n):
    resource = make_resource(
        department,
        liaison,
        items=n,
        share_type="conditional",
        share_conditions="仅限执法",
        item_fields={"share_type": "conditional"},
    )
    catalog_services.resource_submit(resource=resource, actor=liaison)
    return catalog_services.resource_publish(resource=resource, actor=officer)


def grow_items(resource, liaison, officer, n):
    """Add n items to a published resource through a revision, as a department would."""
    catalog_services.resource_revise(resource=resource, actor=liaison, reason="加项")
    start = resource.items.count()
    items = [*resource.items.all()] + [
        DataItem(code=f"G{start + i}", name=f"字段{start + i}", share_type="conditional") for i in range(n)
    ]
    catalog_services.resource_save(resource=resource, actor=liaison, items=items)
    catalog_services.resource_submit(resource=resource, actor=liaison)
    catalog_services.resource_publish(resource=resource, actor=officer)


@pytest.mark.parametrize("side", ["", "requested", "received"])
def test_agreement_list(
    client_a,
    make_agreement,
    conditional_resource,
    liaison_a,
    liaison_b,
    dept_a,
    officer,
    side,
    django_assert_num_queries,
):
    ours = make_published_resource(
        dept_a,
        liaison_a,
        officer,
        share_type="conditional",
        share_conditions="仅限执法",
        item_fields={"share_type": "conditional"},
    )

    def add(n):
        for i in range(n):
            agreement = make_agreement(conditional_resource.items.all())
            if i % 2:
                services.agreement_submit(agreement=agreement, actor=liaison_a)
            received = make_agreement(ours.items.all(), actor=liaison_b)
            services.agreement_submit(agreement=received, actor=liaison_b)

    add(SMALL)
    url = reverse("portal:agreement_list") + (f"?side={side}" if side else "")
    assert_constant(client_a, url, lambda: add(LARGE - SMALL), django_assert_num_queries)


def test_agreement_detail_with_5_and_50_items(
    client_a, make_agreement, dept_b, liaison_a, liaison_b, officer, django_assert_num_queries
):
    resource = published_with_items(dept_b, liaison_b, officer, SMALL)
    agreement = make_agreement(resource.items.all())

    def grow():
        grow_items(resource, liaison_b, officer, LARGE - SMALL)
        services.agreement_save(agreement=agreement, actor=liaison_a, items=list(resource.items.all()))

    assert_constant(client_a, reverse("portal:agreement_detail", args=[agreement.pk]), grow, django_assert_num_queries)


def test_agreement_detail_with_5_and_50_usage_records(client_b, active, liaison_a, django_assert_num_queries):
    codes = list(active.items.values_list("code", flat=True))

    def add(n):
        for i in range(n):
            services.usage_record(
                agreement=active,
                actor=liaison_a,
                mode=UsageMode.QUERY if i % 3 else UsageMode.BULK,  # bulk is refused: both outcomes listed
                item_codes=codes,
                record_count=i,
            )

    add(SMALL)
    url = reverse("portal:agreement_detail", args=[active.pk])
    assert_constant(client_b, url, lambda: add(LARGE - SMALL), django_assert_num_queries)


def test_request_form_with_5_and_50_items_of_the_provider(
    client_a, dept_b, liaison_b, officer, django_assert_num_queries
):
    resource = published_with_items(dept_b, liaison_b, officer, SMALL)

    def grow():
        grow_items(resource, liaison_b, officer, LARGE - SMALL)
        for _ in range(3):
            published_with_items(dept_b, liaison_b, officer, 2)

    url = f"{reverse('portal:agreement_create')}?resource={resource.pk}"
    assert_constant(client_a, url, grow, django_assert_num_queries)


def test_edit_page_with_5_and_50_items(
    client_a, make_agreement, dept_b, liaison_a, liaison_b, officer, django_assert_num_queries
):
    resource = published_with_items(dept_b, liaison_b, officer, SMALL)
    agreement = make_agreement(resource.items.all())

    def grow():
        grow_items(resource, liaison_b, officer, LARGE - SMALL)
        services.agreement_save(agreement=agreement, actor=liaison_a, items=list(resource.items.all()))

    assert_constant(client_a, reverse("portal:agreement_edit", args=[agreement.pk]), grow, django_assert_num_queries)


def test_resource_choice_page(client_a, dept_b, liaison_b, officer, django_assert_num_queries):
    def add(n):
        for _ in range(n):
            make_published_resource(dept_b, liaison_b, officer)

    add(SMALL)
    assert_constant(client_a, reverse("portal:agreement_create"), lambda: add(LARGE - SMALL), django_assert_num_queries)


def test_timeline_with_more_steps_costs_the_same(
    client_a, make_agreement, conditional_resource, liaison_a, django_assert_num_queries
):
    agreement = make_agreement(conditional_resource.items.all())

    def grow():
        for n in range(10):
            agreement.purpose = f"用途{n}"
            services.agreement_save(agreement=agreement, actor=liaison_a, items=list(conditional_resource.items.all()))
        services.agreement_submit(agreement=agreement, actor=liaison_a)

    assert_constant(client_a, reverse("portal:agreement_detail", args=[agreement.pk]), grow, django_assert_num_queries)
