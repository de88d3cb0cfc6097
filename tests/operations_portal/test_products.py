"""The product pages: building a product in one POST, the rule preview, refusals, and the review steps."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from operations import services
from operations.models import DataProduct, DesensitizationRule
from tests.operations_portal.conftest import (
    make_approved_product,
    make_license,
    make_product,
    make_resource,
    not_in_force_refusal,
    shown,
    today,
)

pytestmark = pytest.mark.django_db

ID_NUMBER = "110105199003074512"


def product_post(license, items, rules=None, *, button="save", **fields):
    """POST data of the product page: `rules` maps an item to its rule fields (method, keep_prefix, ...)."""
    data = {
        "license": license.pk,
        "name": fields.pop("name", "人口分布统计"),
        "description": fields.pop("description", ""),
        "distribution": fields.pop("distribution", "traded"),
        "list_price": fields.pop("list_price", "500.00"),
        "items": [item.pk for item in items],
        button: "1",
    }
    for item, rule in (rules or {}).items():
        for name, value in rule.items():
            data[f"rule-{item.pk}-{name}"] = value
    return data


def items_of(resource, *codes):
    return [resource.items.get(code=code) for code in codes]


def test_operator_creates_a_product_with_a_masked_id_number_in_one_post(client_staff_a, staff_a, license_a, resource):
    id_no, count = items_of(resource, "ID_NO", "COUNT")
    data = product_post(license_a, [id_no, count], {id_no: {"method": "mask", "keep_prefix": "6", "keep_suffix": "4"}})

    response = client_staff_a.post(reverse("portal:ops_product_create"), data)

    product = DataProduct.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("portal:ops_product_detail", args=[product.pk])
    assert product.status == "draft"
    assert set(product.items.all()) == {id_no, count}
    rule = product.rules.get()
    assert (rule.item, rule.method, rule.params) == (id_no, "mask", {"keep_prefix": 6, "keep_suffix": 4})
    assert {h.history_user for h in product.history.all()} == {staff_a}
    assert product.history.filter(history_type="+").exists()
    assert rule.history.get().history_user == staff_a


def test_preview_shows_the_masked_value_and_saves_nothing(client_staff_a, license_a, resource):
    id_no = items_of(resource, "ID_NO")[0]
    data = product_post(
        license_a,
        [id_no],
        {id_no: {"method": "mask", "keep_prefix": "6", "keep_suffix": "4", "sample": ID_NUMBER}},
        button="preview",
    )

    response = client_staff_a.post(reverse("portal:ops_product_create"), data)

    assert response.status_code == 200
    assert "110105********4512" in response.content.decode()
    assert not DataProduct.objects.exists()
    assert not DesensitizationRule.objects.exists()


def test_preview_generalizes_an_address_to_its_district(client_staff_a, license_a, resource):
    addr = items_of(resource, "ADDR")[0]
    rule = {"method": "generalize", "kind": "address_district", "sample": "北京市朝阳区建国路88号"}

    response = client_staff_a.post(
        reverse("portal:ops_product_create"), product_post(license_a, [addr], {addr: rule}, button="preview")
    )

    assert ">北京市朝阳区<" in response.content.decode()
    assert not DataProduct.objects.exists()


def test_the_form_offers_an_id_number_sample_by_default(client_staff_a, license_a):
    response = client_staff_a.get(reverse("portal:ops_product_create"))
    assert response.status_code == 200
    assert f'value="{ID_NUMBER}"' in response.content.decode()


def test_a_personal_item_without_a_rule_is_refused_and_nothing_is_saved(client_staff_a, license_a, resource):
    id_no, count = items_of(resource, "ID_NO", "COUNT")

    response = client_staff_a.post(reverse("portal:ops_product_create"), product_post(license_a, [id_no, count]))

    assert response.status_code == 200
    assert shown(_("This item carries personal information: choose a rule.")) in response.content.decode()
    assert not DataProduct.objects.exists()
    assert not DesensitizationRule.objects.exists()


def test_a_generalization_without_its_kind_is_refused(client_staff_a, license_a, resource):
    birth = items_of(resource, "BIRTH")[0]

    response = client_staff_a.post(
        reverse("portal:ops_product_create"), product_post(license_a, [birth], {birth: {"method": "generalize"}})
    )

    assert shown(_("Choose how to generalize.")) in response.content.decode()
    assert not DataProduct.objects.exists()


def test_a_product_without_items_is_refused(client_staff_a, license_a):
    response = client_staff_a.post(reverse("portal:ops_product_create"), product_post(license_a, []))
    assert shown(_("Choose at least one data item.")) in response.content.decode()
    assert not DataProduct.objects.exists()


def test_an_item_outside_the_licence_is_refused(client_staff_a, license_a, dept_a, liaison_a, officer):
    other = make_resource(dept_a, liaison_a, officer).items.get(code="COUNT")

    response = client_staff_a.post(reverse("portal:ops_product_create"), product_post(license_a, [other]))

    assert response.status_code == 200
    assert not DataProduct.objects.exists()


def test_the_product_form_refuses_with_the_services_message_when_the_licence_is_suspended(
    client_staff_a, staff_a, license_a, resource, officer
):
    product = make_product(license_a, staff_a, name="旧名称")
    services.license_suspend(license=license_a, actor=officer, reason="整改")
    id_no = items_of(resource, "ID_NO")[0]

    response = client_staff_a.post(
        reverse("portal:ops_product_edit", args=[product.pk]),
        product_post(license_a, [id_no], {id_no: {"method": "suppress"}}, name="新名称"),
    )

    assert response.status_code == 200
    license_a.refresh_from_db()
    assert not_in_force_refusal(license_a) in response.content.decode()
    product.refresh_from_db()
    assert product.name == "旧名称"


def test_a_new_product_under_a_suspended_licence_is_refused(client_staff_a, license_a, resource, officer):
    services.license_suspend(license=license_a, actor=officer, reason="整改")
    count = items_of(resource, "COUNT")[0]

    response = client_staff_a.post(reverse("portal:ops_product_create"), product_post(license_a, [count]))

    assert response.status_code == 200
    license_a.refresh_from_db()
    assert not_in_force_refusal(license_a) in response.content.decode()
    assert not DataProduct.objects.exists()


def test_the_operator_edits_a_draft_and_its_rules(client_staff_a, staff_a, license_a, resource):
    product = make_product(license_a, staff_a)
    id_no = items_of(resource, "ID_NO")[0]

    response = client_staff_a.post(
        reverse("portal:ops_product_edit", args=[product.pk]),
        product_post(license_a, [id_no], {id_no: {"method": "pseudonymize"}}, name="改名后的产品"),
    )

    assert response.status_code == 302
    product.refresh_from_db()
    assert product.name == "改名后的产品"
    assert list(product.items.all()) == [id_no]
    assert [(r.item, r.method) for r in product.rules.all()] == [(id_no, "pseudonymize")]


def test_the_edit_page_shows_the_stored_rules(client_staff_a, staff_a, license_a, resource):
    product = make_product(license_a, staff_a)

    content = client_staff_a.get(reverse("portal:ops_product_edit", args=[product.pk])).content.decode()

    birth = items_of(resource, "BIRTH")[0]
    assert '<option value="date_year" selected>' in content
    assert f'name="rule-{birth.pk}-kind"' in content


def test_an_approved_product_cannot_be_edited(client_staff_a, staff_a, license_a, officer):
    product = make_approved_product(license_a, staff_a, officer)

    response = client_staff_a.get(reverse("portal:ops_product_edit", args=[product.pk]))

    assert response.status_code == 302
    assert response.url == reverse("portal:ops_product_detail", args=[product.pk])


def test_save_and_submit_sends_the_product_to_the_bureau(client_staff_a, license_a, resource):
    count = items_of(resource, "COUNT")[0]

    client_staff_a.post(reverse("portal:ops_product_create"), product_post(license_a, [count], button="save_submit"))

    assert DataProduct.objects.get().status == "submitted"


def test_the_operator_submits_a_draft_from_its_page(client_staff_a, staff_a, license_a):
    product = make_product(license_a, staff_a)

    response = client_staff_a.post(reverse("portal:ops_product_submit", args=[product.pk]))

    assert response.status_code == 302
    product.refresh_from_db()
    assert product.status == "submitted"


def test_the_operator_withdraws_a_product_with_a_reason(client_staff_a, staff_a, license_a):
    product = make_product(license_a, staff_a)

    client_staff_a.post(reverse("portal:ops_product_withdraw", args=[product.pk]), {"reason": "不再提供"})

    product.refresh_from_db()
    assert (product.status, product.status_reason) == ("withdrawn", "不再提供")


def test_withdrawing_without_a_reason_is_refused(client_staff_a, staff_a, license_a):
    product = make_product(license_a, staff_a)

    response = client_staff_a.post(reverse("portal:ops_product_withdraw", args=[product.pk]), {"reason": ""})

    assert response.status_code == 200
    product.refresh_from_db()
    assert product.status == "draft"


def test_product_page_shows_rules_and_trades(client_staff_a, staff_a, license_a, officer):
    product = make_approved_product(license_a, staff_a, officer)
    services.trade_record(
        product=product, actor=staff_a, buyer="某保险公司", price=Decimal("300.00"), traded_on=today()
    )

    content = client_staff_a.get(reverse("portal:ops_product_detail", args=[product.pk])).content.decode()

    assert "某保险公司" in content
    assert shown(_("Date to year")) in content


def test_with_two_licences_in_force_the_operator_first_chooses_one(
    client_staff_a, operator_a, license_a, resource, officer
):
    second = make_license(operator_a, [resource], officer)

    chooser = client_staff_a.get(reverse("portal:ops_product_create"))
    form = client_staff_a.get(reverse("portal:ops_product_create") + f"?license={second.pk}")

    assert 'name="license"' in chooser.content.decode()
    assert 'name="items"' not in chooser.content.decode()
    assert f'name="license" value="{second.pk}"' in form.content.decode()
    assert 'name="items"' in form.content.decode()


def test_preview_does_not_complain_about_product_fields_not_filled_in_yet(client_staff_a, license_a, resource):
    id_no = items_of(resource, "ID_NO")[0]
    data = product_post(license_a, [id_no], {id_no: {"method": "suppress"}}, button="preview", name="", distribution="")

    response = client_staff_a.post(reverse("portal:ops_product_create"), data)

    assert response.status_code == 200
    assert not response.context["form"].errors
    assert f'value="{id_no.pk}" id="item-{id_no.pk}" checked' in response.content.decode()
