"""The three rights (持有权, 加工使用权, 产品经营权): derived from the records that grant them, shown apart."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from operations import selectors, services
from sharing import services as sharing_services
from sharing.choices import UsageMode
from sharing.models import ShareAgreement
from tests.operations_portal.conftest import make_approved_product, make_product, shown, signed_in, today

pytestmark = pytest.mark.django_db


def active_agreement(resource, liaison, officer):
    """A share agreement in force for the resource's unconditional items (the bureau registers it directly)."""
    agreement = ShareAgreement(
        provider=resource.department,
        purpose="核验户籍信息",
        legal_basis="《政务数据共享条例》",
        usage_mode=UsageMode.VERIFY,
        valid_from=today(),
        valid_to=today() + timedelta(days=365),
        requester_contact="李四",
    )
    agreement = sharing_services.agreement_save(agreement=agreement, actor=liaison, items=list(resource.items.all()))
    sharing_services.agreement_submit(agreement=agreement, actor=liaison)
    return sharing_services.agreement_bureau_approve(agreement=agreement, actor=officer)


def names(holders):
    return [holder.party.name for holder in holders]


def test_the_holder_of_a_resource_is_always_its_department(resource, license_a, dept_a):
    rights = selectors.resource_rights(resource)
    assert names(rights.holding) == [dept_a.name]


def test_departments_with_an_agreement_in_force_may_process_and_use(resource, liaison_b, officer, dept_b):
    active_agreement(resource, liaison_b, officer)
    rights = selectors.resource_rights(resource)
    assert names(rights.processing_departments) == [dept_b.name]


def test_a_suspended_agreement_grants_no_use(resource, liaison_b, officer):
    agreement = active_agreement(resource, liaison_b, officer)
    sharing_services.agreement_suspend(agreement=agreement, actor=officer, reason="核查")
    assert selectors.resource_rights(resource).processing_departments == []


def test_an_operator_with_a_licence_in_force_may_process_and_use(resource, license_a, operator_a):
    rights = selectors.resource_rights(resource)
    assert names(rights.processing_operators) == [operator_a.name]
    assert rights.processing_operators[0].basis == [license_a]


def test_a_suspended_licence_grants_no_use(resource, license_a, officer):
    services.license_suspend(license=license_a, actor=officer, reason="整改")
    assert selectors.resource_rights(resource).processing_operators == []


def test_only_approved_products_give_an_operation_right_on_the_resource(resource, license_a, staff_a, officer):
    make_product(license_a, staff_a, name="草稿产品")
    approved = make_approved_product(license_a, staff_a, officer, name="已批准产品")

    rights = selectors.resource_rights(resource)

    assert [product.name for holder in rights.operation for product in holder.basis] == [approved.name]


def test_licensing_never_makes_the_operator_a_holder(resource, license_a, staff_a, officer, dept_a, operator_a):
    product = make_approved_product(license_a, staff_a, officer)

    rights = selectors.product_rights(product)

    assert names(rights.holding) == [dept_a.name]
    assert names(rights.operation) == [operator_a.name]
    assert operator_a.name not in names(rights.holding)


def test_the_catalogue_page_shows_the_three_rights(
    resource, license_a, staff_a, officer, liaison_b, dept_b, operator_a
):
    active_agreement(resource, liaison_b, officer)
    make_approved_product(license_a, staff_a, officer, name="人口画像产品")

    content = signed_in(liaison_b).get(reverse("portal:catalogue_detail", args=[resource.pk])).content.decode()

    assert shown(_("Holding right")) in content
    assert dept_b.name in content
    assert operator_a.name in content
    assert "人口画像产品" in content


def test_the_product_page_shows_the_three_rights(client_staff_a, license_a, staff_a, officer, dept_a):
    product = make_approved_product(license_a, staff_a, officer)
    content = client_staff_a.get(reverse("portal:ops_product_detail", args=[product.pk])).content.decode()
    assert shown(_("Product operation right")) in content
    assert dept_a.name in content
