"""Who sees what of licensed operation, asked the one way every channel asks it
(govdata.permissions.restrict / can): each operator and each audit firm only its own, a
department liaison nothing, the auditor everything and changes nothing."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from govdata.permissions import can, restrict
from operations import services
from operations.choices import AuditStatus, Severity
from operations.models import (
    AnnualDisclosure,
    Audit,
    AuditFirm,
    DataProduct,
    Finding,
    OperatingLicense,
    Operator,
    Trade,
)

from .conftest import apply_for_license, fresh, make_approved_product, make_product, standard_rules, today

MODELS = [OperatingLicense, DataProduct, Trade, AnnualDisclosure, Audit, Finding]
LAST_YEAR = today().year - 1


def build_side(operator, license, staff, firm, firm_staff, officer) -> dict:
    """One operator's business and one firm's audit of it, all through the services."""
    product = make_approved_product(license, staff, officer)
    trade = services.trade_record(
        product=product, actor=staff, buyer="丙公司", price=Decimal("100.00"), traded_on=today()
    )
    disclosure = services.disclosure_file(operator=operator, year=LAST_YEAR, actor=staff)
    audit = services.audit_assign(
        firm=firm,
        operator=operator,
        license=license,
        actor=officer,
        period_start=date(LAST_YEAR, 1, 1),
        period_end=date(LAST_YEAR, 12, 31),
    )
    services.audit_set_status(audit=audit, actor=firm_staff, status=AuditStatus.IN_PROGRESS)
    finding = services.finding_file(
        audit=audit,
        actor=firm_staff,
        severity=Severity.MEDIUM,
        description="交易记录未及时登记",
        remediation="按月登记交易",
        due_date=today() + timedelta(days=30),
    )
    return {
        OperatingLicense: license,
        DataProduct: product,
        Trade: trade,
        AnnualDisclosure: disclosure,
        Audit: audit,
        Finding: finding,
    }


@pytest.fixture
def world(
    operator_a, operator_b, license_a, license_b, staff_a, staff_b, firm_a, firm_b, firm_staff_a, firm_staff_b, officer
):
    return {
        "a": build_side(operator_a, license_a, staff_a, firm_a, firm_staff_a, officer),
        "b": build_side(operator_b, license_b, staff_b, firm_b, firm_staff_b, officer),
    }


def visible(model, user, action="view") -> set:
    return set(restrict(model.objects.all(), fresh(user), action))


# --- Operators ------------------------------------------------------------------------------


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_operator_staff_see_only_their_own_operators_objects(world, staff_a, model):
    assert visible(model, staff_a) == {world["a"][model]}


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_other_operators_staff_see_only_theirs(world, staff_b, model):
    assert visible(model, staff_b) == {world["b"][model]}


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_operator_staff_cannot_view_another_operators_object(world, staff_a, model):
    assert not can(fresh(staff_a), "view", world["b"][model])


def test_operator_staff_may_change_only_their_own_products(world, staff_a):
    assert visible(DataProduct, staff_a, "change") == {world["a"][DataProduct]}


def test_licence_moved_to_another_operator_before_approval_moves_its_visibility(
    operator_a, operator_b, resource, staff_a, staff_b, officer
):
    license = apply_for_license(operator_a, [resource], officer)
    license.operator = operator_b

    services.license_save(license=license, actor=officer)

    assert visible(OperatingLicense, staff_a) == set()
    assert visible(OperatingLicense, staff_b) == {license}


def test_operator_staff_see_only_their_own_operator(world, operator_a, staff_a):
    assert visible(Operator, staff_a) == {operator_a}


# --- Audit firms ----------------------------------------------------------------------------


def test_audit_firm_sees_itself_and_only_the_operators_it_audits(world, firm_a, operator_a, firm_staff_a):
    assert visible(AuditFirm, firm_staff_a) == {firm_a}
    assert visible(Operator, firm_staff_a) == {operator_a}


def test_audit_firm_without_an_assignment_sees_no_operator(firm_a, operator_a, firm_staff_a):
    assert visible(Operator, firm_staff_a) == set()


@pytest.mark.parametrize("model", [Audit, Finding], ids=lambda m: m.__name__)
def test_audit_firm_sees_only_its_own_audits_and_findings(world, firm_staff_a, model):
    assert visible(model, firm_staff_a) == {world["a"][model]}


@pytest.mark.parametrize("model", [Audit, Finding], ids=lambda m: m.__name__)
def test_other_audit_firm_sees_only_theirs(world, firm_staff_b, model):
    assert visible(model, firm_staff_b) == {world["b"][model]}


@pytest.mark.parametrize("model", [OperatingLicense, DataProduct, Trade, AnnualDisclosure], ids=lambda m: m.__name__)
def test_audit_firm_sees_no_operator_business_directly(world, firm_staff_a, model):
    assert visible(model, firm_staff_a) == set()


# --- Department liaisons --------------------------------------------------------------------


@pytest.mark.parametrize("model", [*MODELS, Operator, AuditFirm], ids=lambda m: m.__name__)
def test_department_liaison_sees_nothing_of_licensed_operation(world, liaison_a, model):
    # Department A owns the licensed resource; owning it gives no view of its operation.
    assert visible(model, liaison_a) == set()


# --- The auditor ----------------------------------------------------------------------------


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_auditor_sees_everything(world, auditor, model):
    assert visible(model, auditor) == {world["a"][model], world["b"][model]}


def test_auditor_sees_every_operator_and_firm(world, auditor, operator_a, operator_b, firm_a, firm_b):
    assert visible(Operator, auditor) == {operator_a, operator_b}
    assert visible(AuditFirm, auditor) == {firm_a, firm_b}


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_auditor_may_change_nothing(world, auditor, model):
    assert visible(model, auditor, "change") == set()


def auditor_attempts(world, resource):
    side = world["a"]
    product, license = side[DataProduct], side[OperatingLicense]
    return {
        "suspend licence": lambda a: services.license_suspend(license=license, actor=a, reason="审计"),
        "register licence": lambda a: apply_for_license(license.operator, [resource], a),
        "build product": lambda a: make_product(license, a),
        "edit product": lambda a: services.product_save(
            product=product, actor=a, items=list(product.items.all()), rules=standard_rules(resource)
        ),
        "withdraw product": lambda a: services.product_withdraw(product=product, actor=a, reason="审计"),
        "record trade": lambda a: services.trade_record(
            product=product, actor=a, buyer="审计", price=Decimal("1"), traded_on=today()
        ),
        "file disclosure": lambda a: services.disclosure_file(operator=license.operator, year=LAST_YEAR - 1, actor=a),
        "assign audit": lambda a: services.audit_assign(
            firm=side[Audit].firm, operator=license.operator, actor=a, period_start=today(), period_end=today()
        ),
        "complete audit": lambda a: services.audit_set_status(audit=side[Audit], actor=a, status=AuditStatus.COMPLETED),
        "file finding": lambda a: services.finding_file(
            audit=side[Audit], actor=a, severity=Severity.LOW, description="x", remediation="y", due_date=today()
        ),
        "answer finding": lambda a: services.finding_answer(finding=side[Finding], actor=a, response="审计"),
        "close finding": lambda a: services.finding_close(finding=side[Finding], actor=a, reason="审计"),
    }


@pytest.mark.parametrize(
    "attempt",
    [
        "suspend licence",
        "register licence",
        "build product",
        "edit product",
        "withdraw product",
        "record trade",
        "file disclosure",
        "assign audit",
        "complete audit",
        "file finding",
        "answer finding",
        "close finding",
    ],
)
def test_auditor_is_refused_every_change(world, auditor, resource, attempt):
    with pytest.raises(PermissionDenied):
        auditor_attempts(world, resource)[attempt](fresh(auditor))


# --- Cost of the question -------------------------------------------------------------------


def list_products(user) -> list:
    return list(restrict(DataProduct.objects.select_related("license__operator"), user))


# Permissions and roles of the user (3), the list itself (1): whatever the number of rows.
LIST_QUERIES = 4


def test_listing_an_operators_products_costs_the_same_queries_at_5_and_50(
    license_a, staff_a, django_assert_max_num_queries
):
    for n in range(5):
        make_product(license_a, staff_a, name=f"产品{n}")
    user = fresh(staff_a)
    with django_assert_max_num_queries(LIST_QUERIES):
        assert len(list_products(user)) == 5
    for n in range(5, 50):
        make_product(license_a, staff_a, name=f"产品{n}")

    user = fresh(staff_a)
    with django_assert_max_num_queries(LIST_QUERIES):
        assert len(list_products(user)) == 50
