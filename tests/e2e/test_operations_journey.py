"""Issue 5 in a browser: a licensed operator builds a data product with a masking rule, previews
the masked value, submits it, and the bureau approves it in the admin."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from catalog import services as catalog_services
from catalog.choices import PersonalInfo, ShareType, SubjectCategory, UpdateFrequency
from catalog.models import DataItem, DataResource
from govdata.roles import Role
from operations import services
from operations.choices import (
    DesensitizationMethod,
    Distribution,
    FeeModel,
    OperatorNature,
    ProductStatus,
)
from operations.models import DataProduct, OperatingLicense, Operator, credit_code_check_char
from sharing.models import LedgerEntry
from tests.e2e.conftest import expect_success, shot
from tests.factories import make_user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PRODUCT_NAME = "人口年龄结构统计数据集"
SAMPLE_ID = "110105199003074512"
MASKED_ID = "110105********4512"


def _published_personal_resource(department, liaison, officer) -> DataResource:
    resource = DataResource(
        department=department,
        catalogue_code="11000000/PSB-E2E-OPS",
        name="常住人口基本信息",
        subject=SubjectCategory.BASIC_POPULATION,
        share_type=ShareType.CONDITIONAL,
        share_conditions="依法履职需要。",
        update_frequency=UpdateFrequency.DAILY,
        personal_info=PersonalInfo.PERSONAL,
    )
    conditional = {"share_type": ShareType.CONDITIONAL}
    items = [
        DataItem(code="ID_NO", name="公民身份号码", length=18, personal_info=PersonalInfo.PERSONAL, **conditional),
        DataItem(code="NAME", name="姓名", personal_info=PersonalInfo.PERSONAL, **conditional),
        DataItem(code="DISTRICT", name="户籍所在区", **conditional),
    ]
    resource = catalog_services.resource_save(resource=resource, actor=liaison, items=items)
    catalog_services.resource_submit(resource=resource, actor=liaison)
    return catalog_services.resource_publish(resource=resource, actor=officer)


def _operator_with_active_license(resource, officer):
    first17 = "91110105MA0E2E001"
    operator = Operator(
        name="京数运营有限公司",
        credit_code=first17 + credit_code_check_char(first17),
        nature=OperatorNature.STATE_OWNED,
        contact_name="王经理",
    )
    services.organisation_save(organisation=operator, actor=officer)
    today = timezone.localdate()
    license = OperatingLicense(
        number="LIC-E2E-0001",
        operator=operator,
        scope="人口统计分析数据产品",
        permitted_uses="统计分析",
        term_start=today - timedelta(days=1),
        term_end=today + timedelta(days=364),
        fee_model=FeeModel.FLAT,
        price_cap=Decimal("5000.00"),
    )
    license = services.license_save(license=license, actor=officer, resources=[resource])
    services.license_approve(license=license, actor=officer)
    return operator, services.license_activate(license=license, actor=officer)


def test_operator_previews_masking_submits_product_and_bureau_approves(live_server, browse, dept_a, liaison_a, officer):
    resource = _published_personal_resource(dept_a, liaison_a, officer)
    operator, license = _operator_with_active_license(resource, officer)
    operator_user = make_user("operator_user", Role.OPERATOR_USER)
    services.staff_add(organisation=operator, user=operator_user, actor=officer)
    id_item = DataItem.objects.get(resource=resource, code="ID_NO")
    district = DataItem.objects.get(resource=resource, code="DISTRICT")

    # --- the operator builds the product and previews the masking -------------------------
    page = browse(operator_user)
    page.goto(live_server.url + "/portal/operations/products/new/")
    expect(page.locator("main")).to_contain_text(license.number)
    page.fill("input[name=name]", PRODUCT_NAME)
    page.fill("textarea[name=description]", "按区县、年龄段汇总的常住人口统计，不含可识别个人的信息。")
    page.select_option("select[name=distribution]", Distribution.TRADED)
    page.fill("input[name=list_price]", "1200")
    page.locator(f"#item-{id_item.pk}").check()
    page.locator(f"#item-{district.pk}").check()
    prefix = f"rule-{id_item.pk}"
    page.select_option(f"select[name={prefix}-method]", DesensitizationMethod.MASK)
    # Only the masking parameters show once masking is chosen.
    expect(page.locator(f"input[name={prefix}-keep_prefix]")).to_be_visible()
    expect(page.locator(f"select[name={prefix}-kind]")).to_be_hidden()
    page.fill(f"input[name={prefix}-keep_prefix]", "6")
    page.fill(f"input[name={prefix}-keep_suffix]", "4")
    page.fill(f"input[name={prefix}-sample]", SAMPLE_ID)
    with page.expect_navigation():
        page.locator("button[name=preview]").click()
    preview = page.locator("#preview")
    expect(preview.locator(".preview-result")).to_have_text(MASKED_ID)
    expect(preview).to_contain_text(SAMPLE_ID)
    # The preview saves nothing, and the page keeps what was typed.
    assert not DataProduct.objects.exists()
    expect(page.locator("input[name=name]")).to_have_value(PRODUCT_NAME)
    expect(page.locator(f"#item-{id_item.pk}")).to_be_checked()
    shot(page, "operations", "01-product-form-preview")

    with page.expect_navigation():
        page.locator("button[name=save_submit]").click()
    expect_success(page)
    product = DataProduct.objects.get(name=PRODUCT_NAME)
    assert product.license == license
    assert product.status == ProductStatus.SUBMITTED
    assert sorted(product.items.values_list("code", flat=True)) == ["DISTRICT", "ID_NO"]
    rule = product.rules.get()
    assert (rule.item_id, rule.method, rule.params) == (
        id_item.pk,
        DesensitizationMethod.MASK,
        {"keep_prefix": 6, "keep_suffix": 4},
    )
    assert product.history.latest().history_user == operator_user
    expect(page.locator("h1")).to_contain_text(PRODUCT_NAME)
    shot(page, "operations", "02-product-submitted")
    page.context.close()

    # --- the officer approves it in the admin ---------------------------------------------
    page = browse(officer, via="/admin/")
    page.goto(live_server.url + "/admin/operations/dataproduct/")
    row = page.locator("#result_list tbody tr", has_text=PRODUCT_NAME)
    expect(row).to_have_count(1)
    shot(page, "operations", "03-admin-changelist")
    row.locator("input.action-select").check()
    page.select_option("select[name=action]", "workflow_approve")
    with page.expect_navigation():
        page.locator("button[name=index]").click()
    expect(page.locator("ul.workflow-objects")).to_contain_text(PRODUCT_NAME)
    page.fill("textarea[name=reason]", "脱敏规则符合要求，准予上架。")
    with page.expect_navigation():
        page.locator("input[name=apply]").click()
    expect_success(page)
    product.refresh_from_db()
    assert product.status == ProductStatus.APPROVED
    assert product.history.latest().history_user == officer
    assert LedgerEntry.objects.filter(
        action="product.approve", object_type="operations.dataproduct", object_id=str(product.pk)
    ).exists()
    page.context.close()
