"""Fixtures for licensed data operation: two operators and two audit firms with one staff member
each, a published resource of department A with personal-information items, and helpers that build
licences and products through the services, so tests see the same grants, history and ledger."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
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


def credit_code(n: int) -> str:
    """A valid 18-character unified social credit code (GB 32100-2015) numbered `n`."""
    first17 = f"91330100MA{n:07d}"
    return first17 + credit_code_check_char(first17)


def today() -> date:
    return timezone.localdate()


def fresh(user: User) -> User:
    """The user as stored: the role and permission caches of the old object are stale after staff_add."""
    return User.objects.get(pk=user.pk)


class Clock:
    """Moves the project's clock (django.utils.timezone.now) to noon of a given day."""

    def __init__(self, monkeypatch):
        self._monkeypatch = monkeypatch

    def travel_to(self, day: date) -> None:
        moment = timezone.make_aware(datetime.combine(day, time(12)))
        self._monkeypatch.setattr(timezone, "now", lambda: moment)


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


# --- Organisations and their staff ----------------------------------------------------------


def make_operator(officer, n: int, name: str) -> Operator:
    operator = Operator(name=name, credit_code=credit_code(n), nature=OperatorNature.STATE_OWNED, contact_name="张三")
    return services.organisation_save(organisation=operator, actor=officer)


def make_firm(officer, number: str, name: str, certified_until: date | None = None) -> AuditFirm:
    firm = AuditFirm(
        name=name, certificate_number=number, certified_until=certified_until or today() + timedelta(days=365)
    )
    return services.organisation_save(organisation=firm, actor=officer)


def make_staff(username: str, organisation, officer) -> User:
    user = make_user(username)
    services.staff_add(organisation=organisation, user=user, actor=officer)
    return fresh(user)


@pytest.fixture
def operator_a(officer):
    return make_operator(officer, 1, "甲数据运营有限公司")


@pytest.fixture
def operator_b(officer):
    return make_operator(officer, 2, "乙数据科技有限公司")


@pytest.fixture
def staff_a(operator_a, officer):
    return make_staff("staff_a", operator_a, officer)


@pytest.fixture
def staff_b(operator_b, officer):
    return make_staff("staff_b", operator_b, officer)


@pytest.fixture
def firm_a(officer):
    return make_firm(officer, "AUD-001", "甲会计师事务所")


@pytest.fixture
def firm_b(officer):
    return make_firm(officer, "AUD-002", "乙审计事务所")


@pytest.fixture
def firm_staff_a(firm_a, officer):
    return make_staff("firm_staff_a", firm_a, officer)


@pytest.fixture
def firm_staff_b(firm_b, officer):
    return make_staff("firm_staff_b", firm_b, officer)


# --- Resources and licences -----------------------------------------------------------------

_resource_counter = iter(range(1, 10_000))


def make_licensable_resource(department, liaison, officer, **fields) -> DataResource:
    """A published resource with four personal-information items and one plain item."""
    n = next(_resource_counter)
    resource = DataResource(
        department=department,
        catalogue_code=fields.pop("catalogue_code", f"OPS-{n:05d}"),
        name=fields.pop("name", f"人口基本信息{n}"),
        subject=SubjectCategory.BASIC_POPULATION,
        share_type=ShareType.UNCONDITIONAL,
        update_frequency=UpdateFrequency.DAILY,
        **fields,
    )
    personal = {"personal_info": PersonalInfo.PERSONAL}
    items = [
        DataItem(code="ID_NO", name="公民身份号码", length=18, **personal),
        DataItem(code="BIRTH", name="出生日期", data_type=DataType.DATE, **personal),
        DataItem(code="ADDR", name="住址", **personal),
        DataItem(code="NAME", name="姓名", **personal),
        DataItem(code="COUNT", name="户数", data_type=DataType.INTEGER),
    ]
    catalog_services.resource_save(resource=resource, actor=liaison, items=items)
    catalog_services.resource_submit(resource=resource, actor=liaison)
    return catalog_services.resource_publish(resource=resource, actor=officer)


@pytest.fixture
def resource(dept_a, liaison_a, officer):
    return make_licensable_resource(dept_a, liaison_a, officer)


def item(resource: DataResource, code: str) -> DataItem:
    return resource.items.get(code=code)


_license_counter = iter(range(1, 10_000))


def apply_for_license(operator, resources, officer, **fields) -> OperatingLicense:
    fields.setdefault("term_start", today() - timedelta(days=30))
    fields.setdefault("term_end", today() + timedelta(days=335))
    fields.setdefault("price_cap", Decimal("1000.00"))
    license = OperatingLicense(
        number=fields.pop("number", f"LIC-{next(_license_counter):04d}"),
        operator=operator,
        scope="人口数据统计分析产品",
        permitted_uses="统计分析、信用评估",
        fee_model=FeeModel.FLAT,
        **fields,
    )
    return services.license_save(license=license, actor=officer, resources=resources)


def make_active_license(operator, resources, officer, **fields) -> OperatingLicense:
    license = apply_for_license(operator, resources, officer, **fields)
    services.license_approve(license=license, actor=officer)
    return services.license_activate(license=license, actor=officer)


@pytest.fixture
def license_a(operator_a, resource, officer):
    return make_active_license(operator_a, [resource], officer)


@pytest.fixture
def license_b(operator_b, resource, officer):
    return make_active_license(operator_b, [resource], officer)


# --- Products -------------------------------------------------------------------------------


def standard_rules(resource: DataResource) -> list[DesensitizationRule]:
    """One rule of each method, for the four personal-information items of the resource."""
    return [
        DesensitizationRule(item=item(resource, "ID_NO"), method=DesensitizationMethod.MASK, params={}),
        DesensitizationRule(
            item=item(resource, "BIRTH"),
            method=DesensitizationMethod.GENERALIZE,
            params={"kind": Generalization.DATE_TO_MONTH},
        ),
        DesensitizationRule(
            item=item(resource, "ADDR"),
            method=DesensitizationMethod.GENERALIZE,
            params={"kind": Generalization.ADDRESS_TO_DISTRICT},
        ),
        DesensitizationRule(item=item(resource, "NAME"), method=DesensitizationMethod.PSEUDONYMIZE, params={}),
    ]


def make_product(license, staff, *, items=None, rules=None, **fields) -> DataProduct:
    """A draft product of all the licence's first resource's items, with the standard rules."""
    resource = license.resources.order_by("pk").first()
    fields.setdefault("name", "人口分布统计")
    fields.setdefault("distribution", Distribution.TRADED)
    fields.setdefault("list_price", Decimal("500.00"))
    product = DataProduct(license=license, **fields)
    return services.product_save(
        product=product,
        actor=staff,
        items=list(resource.items.all()) if items is None else items,
        rules=standard_rules(resource) if rules is None else rules,
    )


def make_approved_product(license, staff, officer, **fields) -> DataProduct:
    product = make_product(license, staff, **fields)
    services.product_submit(product=product, actor=staff)
    return services.product_approve(product=product, actor=officer)
