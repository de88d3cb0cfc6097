"""Every portal page costs the same number of queries for 5 rows as for 50.

Each test measures the page with 5 rows, grows the data to 50, and requires the same count.
"""

import itertools

import pytest
from django.urls import reverse

from catalog import services
from catalog.models import DataItem, DataResource, Department
from tests.factories import make_duty, make_element, make_published_resource, make_resource, make_system
from tests.portal.utils import count_queries

pytestmark = pytest.mark.django_db

SMALL, LARGE = 5, 50
_codes = itertools.count(1)


def assert_constant(client, url, grow, django_assert_num_queries):
    """Count the page's queries at SMALL rows, call grow() to reach LARGE, and require the same count."""
    at_small = count_queries(client, url)
    grow()
    client.get(url)
    with django_assert_num_queries(at_small):
        response = client.get(url)
    assert response.status_code == 200


def make_resources(department, actor, n, **fields):
    return [make_resource(department, actor, **fields) for _ in range(n)]


def test_dashboard(client_a, liaison_a, liaison_b, officer, dept_a, django_assert_num_queries):
    from tests.portal.test_dashboard import request_for

    shared = make_published_resource(
        dept_a,
        liaison_a,
        officer,
        share_type="conditional",
        share_conditions="仅限执法",
        item_fields={"share_type": "conditional"},
    )

    def add(n):
        for _ in range(n):
            request_for(shared, liaison_b)
        for resource in make_resources(dept_a, liaison_a, n):
            make_duty(dept_a, liaison_a)
            services.source_claim(element=make_element(), department=dept_a, actor=liaison_a, legal_basis="依法")
            services.resource_submit(resource=resource, actor=liaison_a)
            services.resource_return(resource=resource, actor=officer, reason="补充")
        make_resources(dept_a, liaison_a, n)

    add(SMALL)
    assert_constant(client_a, reverse("portal:dashboard"), lambda: add(LARGE - SMALL), django_assert_num_queries)


def test_resource_list(client_a, liaison_a, dept_a, django_assert_num_queries):
    system = make_system(dept_a, liaison_a)
    make_resources(dept_a, liaison_a, SMALL, source_system=system)
    assert_constant(
        client_a,
        reverse("portal:resource_list"),
        lambda: make_resources(dept_a, liaison_a, LARGE - SMALL, source_system=system),
        django_assert_num_queries,
    )


def test_resource_create_page_with_duties_and_systems(client_a, liaison_a, dept_a, django_assert_num_queries):
    def add(n):
        for _ in range(n):
            make_duty(dept_a, liaison_a, systems=[make_system(dept_a, liaison_a)])
            make_element()

    add(SMALL)
    assert_constant(client_a, reverse("portal:resource_create"), lambda: add(LARGE - SMALL), django_assert_num_queries)


def _resource_with_items(department, actor, n):
    elements = [make_element() for _ in range(n)]
    items = [DataItem(code=f"F{i}", name=f"字段{i}", element=elements[i]) for i in range(n)]
    resource = make_resource(department, actor, items=0)
    return services.resource_save(resource=resource, actor=actor, items=items)


def _grow_items(resource, actor, n):
    start = resource.items.count()
    items = [*resource.items.all()]
    items += [DataItem(code=f"G{start + i}", name=f"字段{start + i}", element=make_element()) for i in range(n)]
    services.resource_save(resource=resource, actor=actor, items=items)


def test_resource_edit_page_with_5_and_50_items(client_a, liaison_a, dept_a, django_assert_num_queries):
    resource = _resource_with_items(dept_a, liaison_a, SMALL)
    assert_constant(
        client_a,
        reverse("portal:resource_edit", args=[resource.pk]),
        lambda: _grow_items(resource, liaison_a, LARGE - SMALL),
        django_assert_num_queries,
    )


def test_resource_detail_with_5_and_50_items(client_a, liaison_a, dept_a, django_assert_num_queries):
    resource = _resource_with_items(dept_a, liaison_a, SMALL)
    assert_constant(
        client_a,
        reverse("portal:resource_detail", args=[resource.pk]),
        lambda: _grow_items(resource, liaison_a, LARGE - SMALL),
        django_assert_num_queries,
    )


def test_published_resource_read_only_edit_page(client_a, liaison_a, officer, dept_a, django_assert_num_queries):
    resource = _resource_with_items(dept_a, liaison_a, SMALL)
    services.resource_submit(resource=resource, actor=liaison_a)
    services.resource_publish(resource=resource, actor=officer)

    def grow():
        services.resource_revise(resource=resource, actor=liaison_a, reason="加项")
        _grow_items(resource, liaison_a, LARGE - SMALL)
        services.resource_submit(resource=resource, actor=liaison_a)
        services.resource_publish(resource=resource, actor=officer)

    url = reverse("portal:resource_edit", args=[resource.pk])
    assert_constant(client_a, url, grow, django_assert_num_queries)


def test_duty_list(client_a, liaison_a, dept_a, django_assert_num_queries):
    def add(n):
        for _ in range(n):
            duty = make_duty(dept_a, liaison_a, systems=[make_system(dept_a, liaison_a)])
            services.resource_save(resource=make_resource(dept_a, liaison_a), actor=liaison_a, duties=[duty])

    add(SMALL)
    assert_constant(client_a, reverse("portal:duty_list"), lambda: add(LARGE - SMALL), django_assert_num_queries)


def test_duty_edit_page_with_5_and_50_systems(client_a, liaison_a, dept_a, django_assert_num_queries):
    systems = [make_system(dept_a, liaison_a) for _ in range(SMALL)]
    duty = make_duty(dept_a, liaison_a, systems=systems)

    def grow():
        more = [make_system(dept_a, liaison_a) for _ in range(LARGE - SMALL)]
        services.duty_save(duty=duty, actor=liaison_a, systems=systems + more)

    assert_constant(client_a, reverse("portal:duty_edit", args=[duty.pk]), grow, django_assert_num_queries)


def test_system_list(client_a, liaison_a, dept_a, django_assert_num_queries):
    def add(n):
        for _ in range(n):
            make_duty(dept_a, liaison_a, systems=[make_system(dept_a, liaison_a)])

    add(SMALL)
    assert_constant(client_a, reverse("portal:system_list"), lambda: add(LARGE - SMALL), django_assert_num_queries)


def test_system_edit_page(client_a, liaison_a, dept_a, django_assert_num_queries):
    system = make_system(dept_a, liaison_a)

    def add(n):
        for _ in range(n):
            make_duty(dept_a, liaison_a, systems=[system])

    add(SMALL)
    url = reverse("portal:system_edit", args=[system.pk])
    assert_constant(client_a, url, lambda: add(LARGE - SMALL), django_assert_num_queries)


def test_catalogue_list(client_a, liaison_a, liaison_b, officer, dept_a, dept_b, django_assert_num_queries):
    def add(n):
        for i in range(n):
            department, liaison = (dept_a, liaison_a) if i % 2 else (dept_b, liaison_b)
            make_published_resource(department, liaison, officer)

    add(SMALL)
    url = reverse("portal:catalogue_list") + "?subject=departmental"
    assert_constant(client_a, url, lambda: add(LARGE - SMALL), django_assert_num_queries)


def test_catalogue_detail_with_confirmed_sources(
    client_a, liaison_a, liaison_b, officer, dept_a, dept_b, django_assert_num_queries
):
    resource = _resource_with_items(dept_b, liaison_b, SMALL)
    services.resource_submit(resource=resource, actor=liaison_b)
    services.resource_publish(resource=resource, actor=officer)

    def confirm_all():
        for item in resource.items.select_related("element"):
            if not item.element.assignments.exists():
                claim = services.source_claim(
                    element=item.element, department=dept_a, actor=liaison_a, legal_basis="依法"
                )
                services.source_confirm(assignment=claim, actor=officer)

    def grow():
        services.resource_revise(resource=resource, actor=liaison_b, reason="加项")
        _grow_items(resource, liaison_b, LARGE - SMALL)
        services.resource_submit(resource=resource, actor=liaison_b)
        services.resource_publish(resource=resource, actor=officer)
        confirm_all()

    confirm_all()
    url = reverse("portal:catalogue_detail", args=[resource.pk])
    assert_constant(client_a, url, grow, django_assert_num_queries)


def test_element_list(client_a, liaison_a, liaison_b, officer, dept_a, dept_b, django_assert_num_queries):
    def add(n):
        for i in range(n):
            element = make_element()
            services.source_claim(element=element, department=dept_a, actor=liaison_a, legal_basis="依法")
            claim = services.source_claim(element=element, department=dept_b, actor=liaison_b, legal_basis="依法")
            if i % 2:
                services.source_confirm(assignment=claim, actor=officer)

    add(SMALL)
    assert_constant(client_a, reverse("portal:element_list"), lambda: add(LARGE - SMALL), django_assert_num_queries)


def test_element_claim_page(client_a, liaison_a, officer, dept_a, django_assert_num_queries):
    element = make_element()

    def add(n):
        # Rows on this page: the department's resources to pick from, and other departments' claims.
        for _ in range(n):
            make_resource(dept_a, liaison_a, items=0)
            department = services.department_save(
                department=Department(code=f"D{next(_codes)}", name="某部门"), actor=officer
            )
            services.source_claim(element=element, department=department, actor=officer, legal_basis="依法")

    add(SMALL)
    url = reverse("portal:element_claim", args=[element.pk])
    assert_constant(client_a, url, lambda: add(LARGE - SMALL), django_assert_num_queries)


def test_claim_list_with_competing_claims(client_a, liaison_a, liaison_b, dept_a, dept_b, django_assert_num_queries):
    def add(n):
        for _ in range(n):
            element = make_element()
            services.source_claim(element=element, department=dept_a, actor=liaison_a, legal_basis="依法")
            services.source_claim(element=element, department=dept_b, actor=liaison_b, legal_basis="依法")

    add(SMALL)
    assert_constant(client_a, reverse("portal:claim_list"), lambda: add(LARGE - SMALL), django_assert_num_queries)


def test_duplicate_list(client_a, liaison_a, liaison_b, officer, dept_a, dept_b, django_assert_num_queries):
    source = make_published_resource(dept_b, liaison_b, officer)
    ours = make_resource(dept_a, liaison_a, items=0)

    def add(n):
        items = list(ours.items.all())
        for _ in range(n):
            element = make_element()
            claim = services.source_claim(
                element=element, department=dept_b, actor=liaison_b, legal_basis="依法", resource=source
            )
            services.source_confirm(assignment=claim, actor=officer)
            items.append(DataItem(code=f"D{next(_codes)}", name="重复项", element=element))
        services.resource_save(resource=ours, actor=liaison_a, items=items)

    add(SMALL)
    assert_constant(client_a, reverse("portal:duplicate_list"), lambda: add(LARGE - SMALL), django_assert_num_queries)


def test_counts_do_not_depend_on_other_departments_data(client_a, liaison_b, dept_b, django_assert_num_queries):
    """Another department's rows are filtered in SQL, never loaded and skipped."""
    assert_constant(
        client_a,
        reverse("portal:resource_list"),
        lambda: make_resources(dept_b, liaison_b, LARGE),
        django_assert_num_queries,
    )
    assert DataResource.objects.filter(department=dept_b).count() == LARGE
