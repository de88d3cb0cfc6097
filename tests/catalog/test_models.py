"""The catalogue rules of DESIGN §3, enforced by model validation and, where a rule is a database
constraint, by the database itself (a save that bypasses full_clean must still fail)."""

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from catalog.choices import (
    ClaimStatus,
    DutyOrigin,
    OpenType,
    PersonalInfo,
    PowerKind,
    SecurityGrade,
    ShareType,
    SubjectCategory,
    UpdateFrequency,
)
from catalog.models import DataItem, DataResource, Duty, InformationSystem, SourceAssignment
from tests.factories import make_element

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def build_resource(department, **fields) -> DataResource:
    """A valid, unsaved resource; each test breaks exactly one rule on it."""
    fields.setdefault("catalogue_code", "RES-000001")
    fields.setdefault("name", "数据资源")
    fields.setdefault("subject", SubjectCategory.DEPARTMENTAL)
    fields.setdefault("share_type", ShareType.UNCONDITIONAL)
    fields.setdefault("update_frequency", UpdateFrequency.DAILY)
    return DataResource(department=department, **fields)


def saved_resource(department, **fields) -> DataResource:
    resource = build_resource(department, **fields)
    resource.full_clean()
    resource.save()
    return resource


def build_item(resource, **fields) -> DataItem:
    fields.setdefault("code", "F1")
    fields.setdefault("name", "字段")
    return DataItem(resource=resource, **fields)


def errors_of(obj) -> dict:
    with pytest.raises(ValidationError) as excinfo:
        obj.full_clean()
    return excinfo.value.message_dict


def assert_refused_by_database(obj) -> None:
    # The inner atomic keeps PostgreSQL's test transaction usable after the error.
    with pytest.raises(IntegrityError), transaction.atomic():
        obj.save()


# --- The baseline the other tests break ------------------------------------------------------


def test_valid_resource_and_item_pass_validation(dept_a):
    resource = saved_resource(dept_a)
    build_item(resource).full_clean()


# --- Catalogue code ---------------------------------------------------------------------------


def test_catalogue_code_must_be_unique_in_validation(dept_a, dept_b):
    saved_resource(dept_a, catalogue_code="RES-1")
    assert "catalogue_code" in errors_of(build_resource(dept_b, catalogue_code="RES-1"))


def test_catalogue_code_must_be_unique_in_database(dept_a, dept_b):
    saved_resource(dept_a, catalogue_code="RES-1")
    assert_refused_by_database(build_resource(dept_b, catalogue_code="RES-1"))


# --- Share type needs its conditions or its legal basis ----------------------------------------


def test_conditional_sharing_needs_conditions_in_validation(dept_a):
    errors = errors_of(build_resource(dept_a, share_type=ShareType.CONDITIONAL, share_conditions="  "))
    assert errors["share_conditions"] == ["Conditional sharing needs its conditions."]


def test_conditional_sharing_needs_conditions_in_database(dept_a):
    assert_refused_by_database(build_resource(dept_a, share_type=ShareType.CONDITIONAL, share_conditions=""))


def test_not_shared_needs_legal_basis_in_validation(dept_a):
    errors = errors_of(build_resource(dept_a, share_type=ShareType.NOT_SHARED, not_shared_basis=""))
    assert errors["not_shared_basis"] == ["Not sharing needs a legal basis (law, regulation or central policy)."]


def test_not_shared_needs_legal_basis_in_database(dept_a):
    assert_refused_by_database(build_resource(dept_a, share_type=ShareType.NOT_SHARED, not_shared_basis=""))


# --- Core grade is never opened -----------------------------------------------------------------


@pytest.mark.parametrize("open_type", [OpenType.UNCONDITIONAL, OpenType.CONDITIONAL])
def test_core_grade_resource_cannot_be_opened_in_validation(dept_a, open_type):
    errors = errors_of(build_resource(dept_a, security_grade=SecurityGrade.CORE, open_type=open_type))
    assert errors["open_type"] == ["Core-grade data cannot be opened."]


@pytest.mark.parametrize("open_type", [OpenType.UNCONDITIONAL, OpenType.CONDITIONAL])
def test_core_grade_resource_cannot_be_opened_in_database(dept_a, open_type):
    assert_refused_by_database(build_resource(dept_a, security_grade=SecurityGrade.CORE, open_type=open_type))


@pytest.mark.parametrize("open_type", [OpenType.UNCONDITIONAL, OpenType.CONDITIONAL])
def test_core_grade_item_cannot_be_opened_in_validation(dept_a, open_type):
    resource = saved_resource(dept_a, open_type=OpenType.UNCONDITIONAL)
    errors = errors_of(build_item(resource, security_grade=SecurityGrade.CORE, open_type=open_type))
    assert errors["open_type"] == ["Core-grade data cannot be opened."]


@pytest.mark.parametrize("open_type", [OpenType.UNCONDITIONAL, OpenType.CONDITIONAL])
def test_core_grade_item_cannot_be_opened_in_database(dept_a, open_type):
    resource = saved_resource(dept_a, open_type=OpenType.UNCONDITIONAL)
    assert_refused_by_database(build_item(resource, security_grade=SecurityGrade.CORE, open_type=open_type))


# --- Sensitive personal information ----------------------------------------------------------


def test_sensitive_resource_cannot_be_shared_unconditionally_in_validation(dept_a):
    errors = errors_of(build_resource(dept_a, personal_info=PersonalInfo.SENSITIVE))
    assert errors["share_type"] == ["Sensitive personal information is at most shared conditionally."]


def test_sensitive_resource_cannot_be_shared_unconditionally_in_database(dept_a):
    assert_refused_by_database(build_resource(dept_a, personal_info=PersonalInfo.SENSITIVE))


def test_sensitive_resource_cannot_be_opened_unconditionally_in_validation(dept_a):
    resource = build_resource(
        dept_a,
        personal_info=PersonalInfo.SENSITIVE,
        share_type=ShareType.CONDITIONAL,
        share_conditions="仅限执法用途",
        open_type=OpenType.UNCONDITIONAL,
    )
    assert errors_of(resource)["open_type"] == ["Sensitive personal information can never be opened unconditionally."]


def test_sensitive_resource_cannot_be_opened_unconditionally_in_database(dept_a):
    resource = build_resource(
        dept_a,
        personal_info=PersonalInfo.SENSITIVE,
        share_type=ShareType.CONDITIONAL,
        share_conditions="仅限执法用途",
        open_type=OpenType.UNCONDITIONAL,
    )
    assert_refused_by_database(resource)


def test_sensitive_resource_may_be_shared_and_opened_conditionally(dept_a):
    resource = build_resource(
        dept_a,
        personal_info=PersonalInfo.SENSITIVE,
        share_type=ShareType.CONDITIONAL,
        share_conditions="仅限执法用途",
        open_type=OpenType.CONDITIONAL,
    )
    resource.full_clean()


def test_sensitive_item_cannot_be_shared_unconditionally_in_validation(dept_a):
    resource = saved_resource(dept_a)
    errors = errors_of(build_item(resource, personal_info=PersonalInfo.SENSITIVE))
    assert errors["share_type"] == ["Sensitive personal information is at most shared conditionally."]


def test_sensitive_item_cannot_be_shared_unconditionally_in_database(dept_a):
    resource = saved_resource(dept_a)
    assert_refused_by_database(build_item(resource, personal_info=PersonalInfo.SENSITIVE))


def test_sensitive_item_cannot_be_opened_unconditionally_in_validation(dept_a):
    resource = saved_resource(dept_a, open_type=OpenType.UNCONDITIONAL)
    item = build_item(
        resource,
        personal_info=PersonalInfo.SENSITIVE,
        share_type=ShareType.CONDITIONAL,
        open_type=OpenType.UNCONDITIONAL,
    )
    assert errors_of(item)["open_type"] == ["Sensitive personal information can never be opened unconditionally."]


def test_sensitive_item_cannot_be_opened_unconditionally_in_database(dept_a):
    resource = saved_resource(dept_a, open_type=OpenType.UNCONDITIONAL)
    item = build_item(
        resource,
        personal_info=PersonalInfo.SENSITIVE,
        share_type=ShareType.CONDITIONAL,
        open_type=OpenType.UNCONDITIONAL,
    )
    assert_refused_by_database(item)


# --- Core items of the basic libraries ---------------------------------------------------------


def test_core_item_of_basic_library_must_be_shared_unconditionally_in_validation(dept_a):
    resource = saved_resource(dept_a, subject=SubjectCategory.BASIC_POPULATION)
    errors = errors_of(build_item(resource, is_core_item=True, share_type=ShareType.CONDITIONAL))
    assert errors["share_type"] == ["A core item of a basic library is shared unconditionally."]


def test_core_item_of_basic_library_must_be_shared_unconditionally_in_database(dept_a):
    resource = saved_resource(dept_a, subject=SubjectCategory.BASIC_POPULATION)
    assert_refused_by_database(build_item(resource, is_core_item=True, share_type=ShareType.NOT_SHARED))


def test_core_item_of_basic_library_is_shared_unconditionally_even_under_a_conditional_resource(dept_a):
    resource = saved_resource(
        dept_a,
        subject=SubjectCategory.BASIC_LEGAL_ENTITY,
        share_type=ShareType.CONDITIONAL,
        share_conditions="仅限监管用途",
    )
    build_item(resource, is_core_item=True, share_type=ShareType.UNCONDITIONAL).full_clean()


@pytest.mark.parametrize("subject", [SubjectCategory.THEMATIC, SubjectCategory.DEPARTMENTAL])
def test_only_basic_library_resources_have_core_items(dept_a, subject):
    resource = saved_resource(dept_a, subject=subject)
    errors = errors_of(build_item(resource, is_core_item=True))
    assert errors["is_core_item"] == ["Only items of a basic-library resource can be core items."]


# --- An item is never looser than its resource -------------------------------------------------


def test_item_cannot_be_shared_more_freely_than_its_resource(dept_a):
    resource = saved_resource(dept_a, share_type=ShareType.CONDITIONAL, share_conditions="仅限监管用途")
    errors = errors_of(build_item(resource, share_type=ShareType.UNCONDITIONAL))
    assert errors["share_type"] == ["An item cannot be shared more freely than its resource."]


def test_item_cannot_be_opened_more_freely_than_its_resource(dept_a):
    resource = saved_resource(dept_a, open_type=OpenType.CONDITIONAL)
    errors = errors_of(build_item(resource, open_type=OpenType.UNCONDITIONAL))
    assert errors["open_type"] == ["An item cannot be opened more freely than its resource."]


def test_item_may_be_stricter_than_its_resource(dept_a):
    resource = saved_resource(dept_a, open_type=OpenType.UNCONDITIONAL)
    build_item(
        resource, share_type=ShareType.NOT_SHARED, open_type=OpenType.NOT_OPEN, security_grade=SecurityGrade.IMPORTANT
    ).full_clean()


def test_item_code_must_be_unique_within_its_resource_in_database(dept_a):
    resource = saved_resource(dept_a)
    build_item(resource, code="F1").save()
    assert_refused_by_database(build_item(resource, code="F1"))


# --- Source system ------------------------------------------------------------------------------


def test_source_system_must_belong_to_the_owning_department(dept_a, dept_b):
    system_b = InformationSystem.objects.create(department=dept_b, code="SYS-B", name="系统")
    errors = errors_of(build_resource(dept_a, source_system=system_b))
    assert errors["source_system"] == ["The source system must belong to the owning department."]


# --- Duty power kind -----------------------------------------------------------------------------


def test_mandate_duty_has_no_power_kind_in_validation(dept_a):
    duty = Duty(department=dept_a, code="D1", name="职责", origin=DutyOrigin.MANDATE, power_kind=PowerKind.PENALTY)
    assert errors_of(duty)["power_kind"] == ["Only a power-list duty has a power kind."]


def test_mandate_duty_has_no_power_kind_in_database(dept_a):
    duty = Duty(department=dept_a, code="D1", name="职责", origin=DutyOrigin.MANDATE, power_kind=PowerKind.PENALTY)
    assert_refused_by_database(duty)


def test_power_list_duty_needs_a_power_kind_in_validation(dept_a):
    duty = Duty(department=dept_a, code="D1", name="职责", origin=DutyOrigin.POWER_LIST, power_kind="")
    assert errors_of(duty)["power_kind"] == ["A power-list duty needs a power kind."]


def test_power_list_duty_needs_a_power_kind_in_database(dept_a):
    duty = Duty(department=dept_a, code="D1", name="职责", origin=DutyOrigin.POWER_LIST, power_kind="")
    assert_refused_by_database(duty)


def test_power_list_duty_with_a_power_kind_is_valid(dept_a):
    Duty(
        department=dept_a, code="D1", name="职责", origin=DutyOrigin.POWER_LIST, power_kind=PowerKind.LICENSING
    ).full_clean()


# --- One data, one source ------------------------------------------------------------------------


def claim(element, department, status=ClaimStatus.CLAIMED) -> SourceAssignment:
    return SourceAssignment(element=element, department=department, legal_basis="《居民身份证法》", status=status)


def test_element_has_at_most_one_confirmed_source_in_validation(dept_a, dept_b):
    element = make_element()
    claim(element, dept_a, ClaimStatus.CONFIRMED).save()
    errors = errors_of(claim(element, dept_b, ClaimStatus.CONFIRMED))
    assert errors[NON_FIELD_ERRORS] == ["This data element already has a confirmed source."]


def test_element_has_at_most_one_confirmed_source_in_database(dept_a, dept_b):
    element = make_element()
    claim(element, dept_a, ClaimStatus.CONFIRMED).save()
    assert_refused_by_database(claim(element, dept_b, ClaimStatus.CONFIRMED))


def test_competing_open_claims_of_different_departments_are_allowed(dept_a, dept_b):
    element = make_element()
    claim(element, dept_a).save()
    claim(element, dept_b).save()
    assert SourceAssignment.objects.filter(element=element).count() == 2


def test_department_has_one_open_claim_per_element_in_validation(dept_a):
    element = make_element()
    claim(element, dept_a).save()
    errors = errors_of(claim(element, dept_a))
    assert errors[NON_FIELD_ERRORS] == ["This department already claims this data element."]


def test_department_has_one_open_claim_per_element_in_database(dept_a):
    element = make_element()
    claim(element, dept_a).save()
    assert_refused_by_database(claim(element, dept_a))


def test_department_may_claim_again_after_its_claim_was_withdrawn(dept_a):
    element = make_element()
    claim(element, dept_a, ClaimStatus.WITHDRAWN).save()
    claim(element, dept_a).full_clean()


def test_claim_needs_a_legal_basis(dept_a):
    assignment = claim(make_element(), dept_a)
    assignment.legal_basis = "   "
    assert errors_of(assignment)["legal_basis"] == ["State the legal basis of the claim."]


def test_claimed_source_resource_must_belong_to_the_claiming_department(dept_a, dept_b):
    resource_b = saved_resource(dept_b)
    assignment = claim(make_element(), dept_a)
    assignment.resource = resource_b
    assert errors_of(assignment)["resource"] == ["The source resource must belong to the claiming department."]


def test_item_rules_wait_for_the_resource_types_instead_of_crashing():
    from catalog.models import DataItem, DataResource, looser_than_resource_errors

    resource = DataResource(share_type="", open_type="")
    assert looser_than_resource_errors(DataItem(share_type="unconditional", open_type="not_open"), resource) == {}
