"""Every operations page costs the same number of queries for 5 rows as for 50."""

from datetime import date

import pytest
from django.urls import reverse

from operations import services
from tests.operations_portal.conftest import (
    make_approved_product,
    make_audit,
    make_finding,
    make_license,
    make_product,
    make_resource,
    make_trade,
    signed_in,
    today,
)
from tests.operations_portal.test_rights import active_agreement
from tests.portal.utils import count_queries

pytestmark = pytest.mark.django_db

SMALL, LARGE = 5, 50


def assert_constant(client, url, grow, django_assert_num_queries):
    """Count the page's queries at SMALL rows, call grow() to reach LARGE, and require the same count."""
    at_small = count_queries(client, url)
    grow()
    client.get(url)
    with django_assert_num_queries(at_small):
        response = client.get(url)
    assert response.status_code == 200


@pytest.fixture
def approved(license_a, staff_a, officer):
    return make_approved_product(license_a, staff_a, officer)


@pytest.fixture
def audit_a(firm_a, operator_a, license_a, officer):
    return make_audit(firm_a, operator_a, officer, license_a)


def test_operator_home(
    client_staff_a, staff_a, operator_a, resource, officer, audit_a, firm_staff_a, django_assert_num_queries
):
    def grow(n):
        for _ in range(n):
            license = make_license(operator_a, [resource], officer)
            make_trade(make_approved_product(license, staff_a, officer), staff_a)
            make_finding(audit_a, firm_staff_a)

    grow(SMALL)
    assert_constant(client_staff_a, reverse("portal:ops_home"), lambda: grow(LARGE - SMALL), django_assert_num_queries)


def test_product_list(client_staff_a, staff_a, license_a, officer, django_assert_num_queries):
    def grow(n):
        for i in range(n):
            if i % 2:
                make_trade(make_approved_product(license_a, staff_a, officer), staff_a)
            else:
                make_product(license_a, staff_a)

    grow(SMALL)
    url = reverse("portal:ops_product_list")
    assert_constant(client_staff_a, url, lambda: grow(LARGE - SMALL), django_assert_num_queries)


def test_trade_list(client_staff_a, staff_a, approved, django_assert_num_queries):
    def grow(n):
        for _ in range(n):
            make_trade(approved, staff_a)

    grow(SMALL)
    url = reverse("portal:ops_trade_list")
    assert_constant(client_staff_a, url, lambda: grow(LARGE - SMALL), django_assert_num_queries)


def test_disclosure_list(client_staff_a, staff_a, operator_a, resource, officer, django_assert_num_queries):
    def grow(years, filed):
        make_license(operator_a, [resource], officer, term_start=date(today().year - years, 1, 1))
        for year in range(today().year - filed, today().year):
            if not operator_a.disclosures.filter(year=year).exists():
                services.disclosure_file(operator=operator_a, year=year, actor=staff_a)

    grow(SMALL, 2)
    url = reverse("portal:ops_disclosure_list")
    assert_constant(client_staff_a, url, lambda: grow(LARGE, 20), django_assert_num_queries)


def test_operator_finding_list(client_staff_a, audit_a, firm_staff_a, django_assert_num_queries):
    def grow(n):
        for _ in range(n):
            make_finding(audit_a, firm_staff_a)

    grow(SMALL)
    url = reverse("portal:ops_finding_list")
    assert_constant(client_staff_a, url, lambda: grow(LARGE - SMALL), django_assert_num_queries)


def test_audit_list(client_firm_a, firm_a, firm_staff_a, officer, operator_a, django_assert_num_queries):
    def grow(n):
        for _ in range(n):
            make_finding(make_audit(firm_a, operator_a, officer), firm_staff_a)

    grow(SMALL)
    url = reverse("portal:ops_audit_list")
    assert_constant(client_firm_a, url, lambda: grow(LARGE - SMALL), django_assert_num_queries)


def test_audit_detail(client_firm_a, audit_a, firm_staff_a, django_assert_num_queries):
    def grow(n):
        for _ in range(n):
            make_finding(audit_a, firm_staff_a)

    grow(SMALL)
    url = reverse("portal:ops_audit_detail", args=[audit_a.pk])
    assert_constant(client_firm_a, url, lambda: grow(LARGE - SMALL), django_assert_num_queries)


def test_license_detail(client_staff_a, staff_a, operator_a, dept_a, liaison_a, officer, django_assert_num_queries):
    """A licence of 5 resources and 5 products costs what one of 50 resources and 50 products costs."""

    def license_with(n):
        license = make_license(operator_a, [make_resource(dept_a, liaison_a, officer) for _ in range(n)], officer)
        for _ in range(n):
            make_product(license, staff_a)
        return reverse("portal:ops_license_detail", args=[license.pk])

    small, large = license_with(SMALL), license_with(LARGE)
    at_small = count_queries(client_staff_a, small)
    client_staff_a.get(large)
    with django_assert_num_queries(at_small):
        assert client_staff_a.get(large).status_code == 200


def test_product_detail(client_staff_a, staff_a, operator_a, dept_a, liaison_a, officer, django_assert_num_queries):
    """A product of 5 items with 5 trades costs what a product of 50 items with 50 trades costs."""

    def product_with(n):
        resource = make_resource(dept_a, liaison_a, officer, extra_personal_items=n)
        license = make_license(operator_a, [resource], officer)
        product = make_approved_product(license, staff_a, officer)
        for _ in range(n):
            make_trade(product, staff_a)
        return reverse("portal:ops_product_detail", args=[product.pk])

    small, large = product_with(SMALL), product_with(LARGE)
    at_small = count_queries(client_staff_a, small)
    client_staff_a.get(large)
    with django_assert_num_queries(at_small):
        assert client_staff_a.get(large).status_code == 200


def test_catalogue_page_with_its_three_rights(
    resource, operator_a, staff_a, officer, liaison_b, django_assert_num_queries
):
    client = signed_in(liaison_b)

    def grow(n):
        for _ in range(n):
            active_agreement(resource, liaison_b, officer)
            make_approved_product(make_license(operator_a, [resource], officer), staff_a, officer)

    grow(SMALL)
    url = reverse("portal:catalogue_detail", args=[resource.pk])
    assert_constant(client, url, lambda: grow(LARGE - SMALL), django_assert_num_queries)
