"""Fixtures for the operations pages: two operators and two audit firms with one staff member each,
a published resource with personal-information items, licences, products, trades, audits and
findings, all built through operations.services so the pages see real grants, history and ledger."""

from __future__ import annotations

import itertools
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from catalog import services as catalog_services
from catalog.choices import DataType, PersonalInfo, ShareType, SubjectCategory, UpdateFrequency
from catalog.models import DataItem, DataResource, User
from operations import services
from operations.choices import DesensitizationMethod, Distribution, FeeModel, Generalization, OperatorNature
from operations.models import (
    AuditFirm,
    DataProduct,
    DesensitizationRule,
    OperatingLicense,
    Operator,
    credit_code_check_char,
)
from tests.factories import make_user

_numbers = itertools.count(1)


def today():
    return timezone.localdate()


def credit_code(n: int) -> str:
    first17 = f"91110100MA{n:07d}"
    return first17 + credit_code_check_char(first17)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def make_operator(officer, name: str) -> Operator:
    operator = Operator(
        name=name, credit_code=credit_code(next(_numbers)), nature=OperatorNature.STATE_OWNED, contact_name="王五"
    )
    return services.organisation_save(organisation=operator, actor=officer)


def make_firm(officer, name: str) -> AuditFirm:
    firm = AuditFirm(
        name=name, certificate_number=f"CERT-{next(_numbers)}", certified_until=today() + timedelta(days=365)
    )
    return services.organisation_save(organisation=firm, actor=officer)


def make_staff(username: str, organisation, officer) -> User:
    user = make_user(username)
    services.staff_add(organisation=organisation, user=user, actor=officer)
    return User.objects.get(pk=user.pk)  # the old object's role and permission caches are stale


def make_resource(department, liaison, officer, *, extra_personal_items: int = 0) -> DataResource:
    """A published resource: an ID number, a birth date, an address, a plain count, and `extra` personal items."""
    n = next(_numbers)
    resource = DataResource(
        department=department,
        catalogue_code=f"OPSP-{n:05d}",
        name=f"人口基本信息{n}",
        subject=SubjectCategory.BASIC_POPULATION,
        share_type=ShareType.UNCONDITIONAL,
        update_frequency=UpdateFrequency.DAILY,
    )
    personal = {"personal_info": PersonalInfo.PERSONAL}
    items = [
        DataItem(code="ID_NO", name="公民身份号码", length=18, **personal),
        DataItem(code="BIRTH", name="出生日期", data_type=DataType.DATE, **personal),
        DataItem(code="ADDR", name="住址", **personal),
        DataItem(code="COUNT", name="户数", data_type=DataType.INTEGER),
        *[DataItem(code=f"P{i}", name=f"个人字段{i}", **personal) for i in range(extra_personal_items)],
    ]
    catalog_services.resource_save(resource=resource, actor=liaison, items=items)
    catalog_services.resource_submit(resource=resource, actor=liaison)
    return catalog_services.resource_publish(resource=resource, actor=officer)


def make_license(operator, resources, officer, *, active=True, **fields) -> OperatingLicense:
    fields.setdefault("term_start", today() - timedelta(days=30))
    fields.setdefault("term_end", today() + timedelta(days=335))
    fields.setdefault("price_cap", Decimal("1000.00"))
    license = OperatingLicense(
        number=f"LIC-P{next(_numbers):04d}",
        operator=operator,
        scope="人口数据统计分析产品",
        permitted_uses="统计分析",
        fee_model=FeeModel.FLAT,
        **fields,
    )
    license = services.license_save(license=license, actor=officer, resources=resources)
    if active:
        services.license_approve(license=license, actor=officer)
        license = services.license_activate(license=license, actor=officer)
    return license


def rules_for(resource) -> list[DesensitizationRule]:
    """A rule for every personal-information item of the resource."""
    rules = []
    for item in resource.items.exclude(personal_info=PersonalInfo.NONE):
        if item.code == "BIRTH":
            rules.append(
                DesensitizationRule(
                    item=item, method=DesensitizationMethod.GENERALIZE, params={"kind": Generalization.DATE_TO_YEAR}
                )
            )
        else:
            rules.append(DesensitizationRule(item=item, method=DesensitizationMethod.MASK, params={}))
    return rules


def make_product(license, staff, **fields) -> DataProduct:
    resource = license.resources.order_by("pk").first()
    fields.setdefault("name", f"人口统计产品{next(_numbers)}")
    fields.setdefault("distribution", Distribution.TRADED)
    fields.setdefault("list_price", Decimal("500.00"))
    product = DataProduct(license=license, **fields)
    return services.product_save(
        product=product, actor=staff, items=list(resource.items.all()), rules=rules_for(resource)
    )


def make_approved_product(license, staff, officer, **fields) -> DataProduct:
    product = make_product(license, staff, **fields)
    services.product_submit(product=product, actor=staff)
    return services.product_approve(product=product, actor=officer)


def make_trade(product, staff, price="100.00"):
    return services.trade_record(
        product=product, actor=staff, buyer="某银行股份有限公司", price=Decimal(price), traded_on=today()
    )


def make_audit(firm, operator, officer, license=None):
    return services.audit_assign(
        firm=firm,
        operator=operator,
        actor=officer,
        license=license,
        period_start=today() - timedelta(days=90),
        period_end=today() - timedelta(days=1),
    )


def make_finding(audit, firm_staff, description="脱敏规则未覆盖全部个人信息项"):
    return services.finding_file(
        audit=audit,
        actor=firm_staff,
        severity="high",
        description=description,
        remediation="补充脱敏规则并重新报审",
        due_date=today() + timedelta(days=30),
    )


# --- Fixtures -------------------------------------------------------------------------------


@pytest.fixture
def operator_a(officer):
    return make_operator(officer, "甲数据运营有限公司")


@pytest.fixture
def operator_b(officer):
    return make_operator(officer, "乙数据科技有限公司")


@pytest.fixture
def staff_a(operator_a, officer):
    return make_staff("staff_a", operator_a, officer)


@pytest.fixture
def staff_b(operator_b, officer):
    return make_staff("staff_b", operator_b, officer)


@pytest.fixture
def firm_a(officer):
    return make_firm(officer, "甲会计师事务所")


@pytest.fixture
def firm_b(officer):
    return make_firm(officer, "乙审计事务所")


@pytest.fixture
def firm_staff_a(firm_a, officer):
    return make_staff("firm_staff_a", firm_a, officer)


@pytest.fixture
def firm_staff_b(firm_b, officer):
    return make_staff("firm_staff_b", firm_b, officer)


@pytest.fixture
def resource(dept_a, liaison_a, officer):
    return make_resource(dept_a, liaison_a, officer)


@pytest.fixture
def license_a(operator_a, resource, officer):
    return make_license(operator_a, [resource], officer)


@pytest.fixture
def client_staff_a(staff_a):
    return signed_in(staff_a)


@pytest.fixture
def client_staff_b(staff_b):
    return signed_in(staff_b)


@pytest.fixture
def client_firm_a(firm_staff_a):
    return signed_in(firm_staff_a)


@pytest.fixture
def client_firm_b(firm_staff_b):
    return signed_in(firm_staff_b)


def shown(message, **values) -> str:
    """A message as the page shows it: in the site's default language, %-formatted, HTML-escaped."""
    from django.conf import settings
    from django.utils import translation
    from django.utils.html import escape

    with translation.override(settings.LANGUAGE_CODE):
        text = str(message)
        return escape(text % values if values else text)


def not_in_force_refusal(license) -> str:
    """The services' refusal for a licence that is not in force, as the page shows it."""
    from django.utils.translation import gettext_lazy

    license.refresh_from_db()
    message = gettext_lazy("Licence %(number)s is not in force (%(status)s): no new products or trades under it.")
    return shown(message, number=license.number, status=license.get_status_display())
