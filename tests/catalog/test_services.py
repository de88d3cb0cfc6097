"""The catalogue services: the resource workflow, all-or-nothing saves, who may do what, and the
one-data-one-source claims. Every channel calls these, so every rule is proven here once."""

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from catalog import services
from catalog.choices import (
    ClaimStatus,
    DutyOrigin,
    OpenType,
    PersonalInfo,
    ResourceStatus,
    SecurityGrade,
    ShareType,
    SubjectCategory,
    UpdateFrequency,
)
from catalog.models import DataItem, DataResource, Duty, InformationSystem, SourceAssignment
from sharing.models import LedgerEntry
from tests.factories import (
    make_duty,
    make_element,
    make_published_resource,
    make_resource,
    make_system,
    make_user,
)

pytestmark = pytest.mark.django_db

REASON = "目录信息不完整"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def submitted_resource(department, liaison, **fields):
    resource = make_resource(department, liaison, **fields)
    return services.resource_submit(resource=resource, actor=liaison)


def retired_resource(department, liaison, officer):
    resource = make_published_resource(department, liaison, officer)
    return services.resource_retire(resource=resource, actor=officer, reason=REASON)


def resource_in(status, department, liaison, officer):
    if status == ResourceStatus.DRAFT:
        return make_resource(department, liaison)
    if status == ResourceStatus.SUBMITTED:
        return submitted_resource(department, liaison)
    if status == ResourceStatus.PUBLISHED:
        return make_published_resource(department, liaison, officer)
    return retired_resource(department, liaison, officer)


STEPS = {
    "submit": services.resource_submit,
    "publish": services.resource_publish,
    "return": services.resource_return,
    "revise": services.resource_revise,
    "retire": services.resource_retire,
}
# The party each step belongs to: the owning department's liaison or the bureau.
STEP_ACTOR = {"submit": "liaison", "publish": "officer", "return": "officer", "revise": "liaison", "retire": "officer"}
ALLOWED = {
    (ResourceStatus.DRAFT, "submit"),
    (ResourceStatus.SUBMITTED, "publish"),
    (ResourceStatus.SUBMITTED, "return"),
    (ResourceStatus.PUBLISHED, "revise"),
    (ResourceStatus.PUBLISHED, "retire"),
}
REFUSED = [(status, step) for status in ResourceStatus for step in STEPS if (status, step) not in ALLOWED]


def item(code="F1", **fields):
    return DataItem(code=code, name=f"字段{code}", **fields)


def new_resource(department, **fields):
    fields.setdefault("catalogue_code", "RES-NEW")
    fields.setdefault("name", "新数据资源")
    fields.setdefault("subject", SubjectCategory.DEPARTMENTAL)
    fields.setdefault("share_type", ShareType.UNCONDITIONAL)
    fields.setdefault("update_frequency", UpdateFrequency.DAILY)
    return DataResource(department=department, **fields)


# --- Allowed resource transitions --------------------------------------------------------------


def test_owner_liaison_submits_a_draft(dept_a, liaison_a):
    resource = make_resource(dept_a, liaison_a)
    services.resource_submit(resource=resource, actor=liaison_a)
    assert DataResource.objects.get(pk=resource.pk).status == ResourceStatus.SUBMITTED


def test_officer_publishes_a_submission(dept_a, liaison_a, officer):
    resource = submitted_resource(dept_a, liaison_a)
    services.resource_publish(resource=resource, actor=officer)
    assert DataResource.objects.get(pk=resource.pk).status == ResourceStatus.PUBLISHED


def test_officer_returns_a_submission_as_a_draft_with_the_reason_visible(dept_a, liaison_a, officer):
    resource = submitted_resource(dept_a, liaison_a)
    services.resource_return(resource=resource, actor=officer, reason=REASON)
    stored = DataResource.objects.get(pk=resource.pk)
    assert (stored.status, stored.return_reason) == (ResourceStatus.DRAFT, REASON)


def test_resubmitting_a_returned_resource_clears_the_return_reason(dept_a, liaison_a, officer):
    resource = submitted_resource(dept_a, liaison_a)
    services.resource_return(resource=resource, actor=officer, reason=REASON)
    services.resource_submit(resource=resource, actor=liaison_a)
    assert DataResource.objects.get(pk=resource.pk).return_reason == ""


def test_owner_liaison_revises_a_published_resource_back_to_draft(dept_a, liaison_a, officer):
    resource = make_published_resource(dept_a, liaison_a, officer)
    services.resource_revise(resource=resource, actor=liaison_a, reason="增加信息项")
    assert DataResource.objects.get(pk=resource.pk).status == ResourceStatus.DRAFT


def test_officer_retires_a_published_resource(dept_a, liaison_a, officer):
    resource = make_published_resource(dept_a, liaison_a, officer)
    services.resource_retire(resource=resource, actor=officer, reason="系统下线")
    assert DataResource.objects.get(pk=resource.pk).status == ResourceStatus.RETIRED


@pytest.mark.parametrize("step", ["return", "revise", "retire"])
@pytest.mark.parametrize("reason", ["", "   "])
def test_step_needs_a_reason(dept_a, liaison_a, officer, step, reason):
    status = ResourceStatus.SUBMITTED if step == "return" else ResourceStatus.PUBLISHED
    resource = resource_in(status, dept_a, liaison_a, officer)
    actor = liaison_a if STEP_ACTOR[step] == "liaison" else officer
    with pytest.raises(ValidationError, match="Please state a reason"):
        STEPS[step](resource=resource, actor=actor, reason=reason)
    assert DataResource.objects.get(pk=resource.pk).status == status


# --- Refused transitions ---------------------------------------------------------------------


@pytest.mark.parametrize(("status", "step"), REFUSED)
def test_step_not_in_the_workflow_is_refused(dept_a, liaison_a, officer, status, step):
    resource = resource_in(status, dept_a, liaison_a, officer)
    actor = liaison_a if STEP_ACTOR[step] == "liaison" else officer
    with pytest.raises(ValidationError, match="This step is not possible"):
        STEPS[step](resource=resource, actor=actor, reason=REASON)
    assert DataResource.objects.get(pk=resource.pk).status == status


def test_refused_step_leaves_no_ledger_entry(dept_a, liaison_a, officer):
    resource = make_resource(dept_a, liaison_a)
    with pytest.raises(ValidationError):
        services.resource_publish(resource=resource, actor=officer)
    assert not LedgerEntry.objects.filter(object_type="catalog.dataresource", object_id=str(resource.pk)).exists()


def test_draft_without_items_cannot_be_submitted(dept_a, liaison_a):
    resource = make_resource(dept_a, liaison_a, items=0)
    with pytest.raises(ValidationError, match="Add at least one data item"):
        services.resource_submit(resource=resource, actor=liaison_a)


# --- Wrong actor ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "step"), [(ResourceStatus.DRAFT, "submit"), (ResourceStatus.PUBLISHED, "revise")])
def test_liaison_of_another_department_cannot_take_the_owners_step(dept_a, liaison_a, liaison_b, officer, status, step):
    resource = resource_in(status, dept_a, liaison_a, officer)
    with pytest.raises(PermissionDenied):
        STEPS[step](resource=resource, actor=liaison_b, reason=REASON)


@pytest.mark.parametrize(
    ("status", "step"),
    [(ResourceStatus.SUBMITTED, "publish"), (ResourceStatus.SUBMITTED, "return"), (ResourceStatus.PUBLISHED, "retire")],
)
def test_owner_liaison_cannot_take_the_bureaus_step(dept_a, liaison_a, officer, status, step):
    resource = resource_in(status, dept_a, liaison_a, officer)
    with pytest.raises(PermissionDenied):
        STEPS[step](resource=resource, actor=liaison_a, reason=REASON)
    assert DataResource.objects.get(pk=resource.pk).status == status


@pytest.mark.parametrize(("status", "step"), sorted(ALLOWED))
def test_auditor_cannot_take_any_step(dept_a, liaison_a, officer, auditor, status, step):
    resource = resource_in(status, dept_a, liaison_a, officer)
    with pytest.raises(PermissionDenied):
        STEPS[step](resource=resource, actor=auditor, reason=REASON)


def test_liaison_of_another_department_is_refused_before_learning_the_status(dept_a, liaison_a, liaison_b):
    # A state error would tell department B that A's unpublished resource is a draft.
    resource = make_resource(dept_a, liaison_a)
    with pytest.raises(PermissionDenied):
        services.resource_revise(resource=resource, actor=liaison_b, reason=REASON)


# --- 就高从严: items raise the resource ----------------------------------------------------------


def test_item_raises_the_resource_grade(dept_a, liaison_a):
    resource = services.resource_save(
        resource=new_resource(dept_a), actor=liaison_a, items=[item(security_grade=SecurityGrade.IMPORTANT)]
    )
    assert DataResource.objects.get(pk=resource.pk).security_grade == SecurityGrade.IMPORTANT


def test_item_raises_the_resource_personal_information_level(dept_a, liaison_a):
    resource = new_resource(dept_a, share_type=ShareType.CONDITIONAL, share_conditions="仅限执法用途")
    items = [
        item("F1", share_type=ShareType.CONDITIONAL),
        item("F2", personal_info=PersonalInfo.SENSITIVE, share_type=ShareType.CONDITIONAL),
    ]
    services.resource_save(resource=resource, actor=liaison_a, items=items)
    assert DataResource.objects.get(pk=resource.pk).personal_info == PersonalInfo.SENSITIVE


def test_item_never_lowers_the_resource_grade(dept_a, liaison_a):
    resource = services.resource_save(
        resource=new_resource(dept_a, security_grade=SecurityGrade.IMPORTANT), actor=liaison_a, items=[item()]
    )
    assert DataResource.objects.get(pk=resource.pk).security_grade == SecurityGrade.IMPORTANT


def test_core_item_makes_an_opened_resource_invalid(dept_a, liaison_a):
    resource = new_resource(dept_a, open_type=OpenType.CONDITIONAL)
    with pytest.raises(ValidationError) as excinfo:
        services.resource_save(resource=resource, actor=liaison_a, items=[item(security_grade=SecurityGrade.CORE)])
    assert excinfo.value.messages == [
        "Its items raise this resource to grade “Core” / “No personal information” (the strictest item decides):",
        "Core-grade data cannot be opened.",
    ]


def test_duplicate_item_codes_are_refused_with_the_codes_named(dept_a, liaison_a):
    with pytest.raises(ValidationError, match="unique within a resource: F1"):
        services.resource_save(resource=new_resource(dept_a), actor=liaison_a, items=[item("F1"), item("F1")])


# --- All or nothing ------------------------------------------------------------------------------


def test_invalid_item_saves_neither_the_new_resource_nor_its_other_items(dept_a, liaison_a):
    resource = new_resource(dept_a, share_type=ShareType.CONDITIONAL, share_conditions="仅限执法用途")
    # The second item is looser than its resource; the first is fine and comes first.
    items = [item("F1", share_type=ShareType.CONDITIONAL), item("F2", share_type=ShareType.UNCONDITIONAL)]
    with pytest.raises(ValidationError):
        services.resource_save(resource=resource, actor=liaison_a, items=items)
    assert (DataResource.objects.count(), DataItem.objects.count()) == (0, 0)
    assert (DataResource.history.count(), DataItem.history.count()) == (0, 0)


def test_invalid_item_leaves_an_edited_resource_as_it_was(dept_a, liaison_a):
    resource = make_resource(dept_a, liaison_a, items=1)
    resource_name_before = resource.name
    resource.name = "改名"
    bad = item("F9", open_type=OpenType.UNCONDITIONAL, security_grade=SecurityGrade.CORE)
    with pytest.raises(ValidationError):
        services.resource_save(resource=resource, actor=liaison_a, items=[*resource.items.all(), bad])
    stored = DataResource.objects.get(pk=resource.pk)
    assert (stored.name, list(stored.items.values_list("code", flat=True))) == (resource_name_before, ["F0"])


def test_resource_edit_cannot_delete_another_resources_item(dept_a, dept_b, liaison_a, liaison_b):
    own = make_resource(dept_a, liaison_a, items=1)
    foreign_item = make_resource(dept_b, liaison_b, items=1).items.get()
    with pytest.raises(PermissionDenied):
        services.resource_save(resource=own, actor=liaison_a, deleted_items=[foreign_item])
    assert DataItem.objects.filter(pk=foreign_item.pk).exists()


def test_resource_edit_cannot_take_over_another_resources_item(dept_a, dept_b, liaison_a, liaison_b):
    own = make_resource(dept_a, liaison_a, items=1)
    foreign = make_resource(dept_b, liaison_b, items=2)
    foreign_item = foreign.items.get(code="F1")
    with pytest.raises(PermissionDenied):
        services.resource_save(resource=own, actor=liaison_a, items=[*own.items.all(), foreign_item])
    assert DataItem.objects.get(pk=foreign_item.pk).resource_id == foreign.pk


def test_deleted_item_is_removed_with_the_edit(dept_a, liaison_a):
    resource = make_resource(dept_a, liaison_a, items=2)
    first, second = resource.items.all()
    services.resource_save(resource=resource, actor=liaison_a, deleted_items=[first])
    assert list(resource.items.all()) == [second]


# --- Who may create and edit -----------------------------------------------------------------


def test_liaison_cannot_create_a_resource_for_another_department(dept_b, liaison_a):
    with pytest.raises(PermissionDenied):
        services.resource_save(resource=new_resource(dept_b), actor=liaison_a, items=[item()])
    assert not DataResource.objects.exists()


def test_liaison_cannot_create_a_duty_for_another_department(dept_b, liaison_a):
    duty = Duty(department=dept_b, code="D1", name="职责", origin=DutyOrigin.MANDATE)
    with pytest.raises(PermissionDenied):
        services.duty_save(duty=duty, actor=liaison_a)
    assert not Duty.objects.exists()


def test_liaison_cannot_create_a_system_for_another_department(dept_b, liaison_a):
    system = InformationSystem(department=dept_b, code="SYS-1", name="系统")
    with pytest.raises(PermissionDenied):
        services.system_save(system=system, actor=liaison_a)
    assert not InformationSystem.objects.exists()


def test_auditor_cannot_create_a_resource(dept_a, auditor):
    with pytest.raises(PermissionDenied):
        services.resource_save(resource=new_resource(dept_a), actor=auditor, items=[item()])


def test_liaison_cannot_edit_another_departments_resource(dept_a, liaison_a, liaison_b):
    resource = make_resource(dept_a, liaison_a)
    resource.name = "改名"
    with pytest.raises(PermissionDenied):
        services.resource_save(resource=resource, actor=liaison_b)


@pytest.mark.parametrize("status", [ResourceStatus.SUBMITTED, ResourceStatus.PUBLISHED])
def test_liaison_cannot_edit_a_resource_that_left_draft(dept_a, liaison_a, officer, status):
    resource = resource_in(status, dept_a, liaison_a, officer)
    resource.name = "改名"
    with pytest.raises(PermissionDenied):
        services.resource_save(resource=resource, actor=liaison_a)
    assert DataResource.objects.get(pk=resource.pk).name != "改名"


def test_officer_can_correct_a_published_resource(dept_a, liaison_a, officer):
    resource = make_published_resource(dept_a, liaison_a, officer)
    resource.summary = "更正摘要"
    services.resource_save(resource=resource, actor=officer, reason="更正")
    assert DataResource.objects.get(pk=resource.pk).summary == "更正摘要"


def test_liaison_cannot_link_a_duty_of_another_department(dept_a, dept_b, liaison_a, liaison_b):
    duty_b = make_duty(dept_b, liaison_b)
    with pytest.raises(ValidationError):
        services.resource_save(resource=new_resource(dept_a), actor=liaison_a, items=[item()], duties=[duty_b])


def test_duty_cannot_be_linked_to_a_system_of_another_department(dept_a, dept_b, liaison_a, liaison_b):
    system_b = make_system(dept_b, liaison_b)
    duty = Duty(department=dept_a, code="D1", name="职责", origin=DutyOrigin.MANDATE)
    with pytest.raises(ValidationError):
        services.duty_save(duty=duty, actor=liaison_a, systems=[system_b])


# --- Moving objects between departments ---------------------------------------------------------


def test_liaison_cannot_move_a_resource_to_another_department(dept_a, dept_b, liaison_a):
    resource = make_resource(dept_a, liaison_a)
    resource.department = dept_b
    with pytest.raises(PermissionDenied):
        services.resource_save(resource=resource, actor=liaison_a)
    assert DataResource.objects.get(pk=resource.pk).department == dept_a


def test_liaison_cannot_move_a_duty_to_another_department(dept_a, dept_b, liaison_a):
    duty = make_duty(dept_a, liaison_a)
    duty.department = dept_b
    with pytest.raises(PermissionDenied):
        services.duty_save(duty=duty, actor=liaison_a)
    assert Duty.objects.get(pk=duty.pk).department == dept_a


def test_liaison_cannot_move_a_system_to_another_department(dept_a, dept_b, liaison_a):
    system = make_system(dept_a, liaison_a)
    system.department = dept_b
    with pytest.raises(PermissionDenied):
        services.system_save(system=system, actor=liaison_a)
    assert InformationSystem.objects.get(pk=system.pk).department == dept_a


def test_officer_moves_a_resource_to_another_department(dept_a, dept_b, liaison_a, officer):
    resource = make_resource(dept_a, liaison_a)
    resource.department = dept_b
    services.resource_save(resource=resource, actor=officer, reason="职能调整")
    assert DataResource.objects.get(pk=resource.pk).department == dept_b


def test_officer_moves_a_duty_to_another_department(dept_a, dept_b, liaison_a, officer):
    duty = make_duty(dept_a, liaison_a)
    duty.department = dept_b
    services.duty_save(duty=duty, actor=officer, reason="职能调整")
    assert Duty.objects.get(pk=duty.pk).department == dept_b


def test_officer_moves_a_system_to_another_department(dept_a, dept_b, liaison_a, officer):
    system = make_system(dept_a, liaison_a)
    system.department = dept_b
    services.system_save(system=system, actor=officer, reason="职能调整")
    assert InformationSystem.objects.get(pk=system.pk).department == dept_b


# --- One data, one source ----------------------------------------------------------------------


def claim(element, department, liaison):
    return services.source_claim(element=element, department=department, actor=liaison, legal_basis="《居民身份证法》")


def test_liaison_claims_an_element_for_their_department(dept_a, liaison_a):
    assignment = claim(make_element(), dept_a, liaison_a)
    stored = SourceAssignment.objects.get(pk=assignment.pk)
    assert (stored.status, stored.department, stored.claimed_by) == (ClaimStatus.CLAIMED, dept_a, liaison_a)


def test_liaison_cannot_claim_for_another_department(dept_b, liaison_a):
    with pytest.raises(PermissionDenied):
        claim(make_element(), dept_b, liaison_a)
    assert not SourceAssignment.objects.exists()


def test_auditor_cannot_claim(dept_a, auditor):
    with pytest.raises(PermissionDenied):
        claim(make_element(), dept_a, auditor)


def test_user_without_a_role_cannot_claim_for_their_department(dept_a):
    nobody = make_user("nobody", department=dept_a)
    with pytest.raises(PermissionDenied):
        claim(make_element(), dept_a, nobody)


def test_department_cannot_claim_the_same_element_twice(dept_a, liaison_a):
    element = make_element()
    claim(element, dept_a, liaison_a)
    with pytest.raises(ValidationError, match="already claims this data element"):
        claim(element, dept_a, liaison_a)
    assert SourceAssignment.objects.filter(element=element).count() == 1


def test_officer_confirms_a_claim(dept_a, liaison_a, officer):
    assignment = claim(make_element(), dept_a, liaison_a)
    services.source_confirm(assignment=assignment, actor=officer, reason="三定方案明确")
    stored = SourceAssignment.objects.get(pk=assignment.pk)
    assert (stored.status, stored.decided_by, stored.decision_reason) == (
        ClaimStatus.CONFIRMED,
        officer,
        "三定方案明确",
    )
    assert stored.decided_at is not None


def test_confirmation_rejects_the_competing_claims_with_a_reason(dept_a, dept_b, liaison_a, liaison_b, officer):
    element = make_element()
    winner, loser = claim(element, dept_a, liaison_a), claim(element, dept_b, liaison_b)
    services.source_confirm(assignment=winner, actor=officer)
    loser.refresh_from_db()
    assert loser.status == ClaimStatus.REJECTED
    assert loser.decision_reason == f"Another department was confirmed as the source: {dept_a.name}"


def test_liaison_cannot_confirm_their_own_claim(dept_a, liaison_a):
    assignment = claim(make_element(), dept_a, liaison_a)
    with pytest.raises(PermissionDenied):
        services.source_confirm(assignment=assignment, actor=liaison_a)
    assert SourceAssignment.objects.get(pk=assignment.pk).status == ClaimStatus.CLAIMED


def test_auditor_cannot_confirm_a_claim(dept_a, liaison_a, auditor):
    assignment = claim(make_element(), dept_a, liaison_a)
    with pytest.raises(PermissionDenied):
        services.source_confirm(assignment=assignment, actor=auditor)


def test_confirming_a_rejected_competitor_is_refused(dept_a, dept_b, liaison_a, liaison_b, officer):
    element = make_element()
    first, second = claim(element, dept_a, liaison_a), claim(element, dept_b, liaison_b)
    services.source_confirm(assignment=first, actor=officer)
    with pytest.raises(ValidationError):
        services.source_confirm(assignment=second, actor=officer)
    assert list(SourceAssignment.objects.filter(status=ClaimStatus.CONFIRMED)) == [first]


def test_second_confirmation_of_a_late_claim_is_refused(dept_a, dept_b, liaison_a, liaison_b, officer):
    element = make_element()
    services.source_confirm(assignment=claim(element, dept_a, liaison_a), actor=officer)
    late = claim(element, dept_b, liaison_b)
    with pytest.raises(ValidationError, match="already has a confirmed source"):
        services.source_confirm(assignment=late, actor=officer)
    late.refresh_from_db()
    assert late.status == ClaimStatus.CLAIMED


def test_officer_rejects_a_claim_with_a_reason(dept_a, liaison_a, officer):
    assignment = claim(make_element(), dept_a, liaison_a)
    services.source_reject(assignment=assignment, actor=officer, reason="无法定依据")
    stored = SourceAssignment.objects.get(pk=assignment.pk)
    assert (stored.status, stored.decision_reason) == (ClaimStatus.REJECTED, "无法定依据")


def test_rejecting_a_claim_needs_a_reason(dept_a, liaison_a, officer):
    assignment = claim(make_element(), dept_a, liaison_a)
    with pytest.raises(ValidationError, match="Please state a reason"):
        services.source_reject(assignment=assignment, actor=officer, reason=" ")


def test_claimant_withdraws_their_claim(dept_a, liaison_a):
    assignment = claim(make_element(), dept_a, liaison_a)
    services.source_withdraw(assignment=assignment, actor=liaison_a, reason="误报")
    assert SourceAssignment.objects.get(pk=assignment.pk).status == ClaimStatus.WITHDRAWN


def test_liaison_of_another_department_cannot_withdraw_a_claim(dept_a, liaison_a, liaison_b):
    assignment = claim(make_element(), dept_a, liaison_a)
    with pytest.raises(PermissionDenied):
        services.source_withdraw(assignment=assignment, actor=liaison_b)
    assert SourceAssignment.objects.get(pk=assignment.pk).status == ClaimStatus.CLAIMED


def test_confirmed_claim_cannot_be_withdrawn(dept_a, liaison_a, officer):
    assignment = claim(make_element(), dept_a, liaison_a)
    services.source_confirm(assignment=assignment, actor=officer)
    with pytest.raises(ValidationError):
        services.source_withdraw(assignment=assignment, actor=liaison_a)


# --- Ledger entries of the workflow steps ------------------------------------------------------


def last_entry():
    return LedgerEntry.objects.order_by("-seq").first()


def payload_of(entry):
    return json.loads(entry.payload)


@pytest.mark.parametrize(
    ("status", "step", "reason"),
    [
        (ResourceStatus.DRAFT, "submit", ""),
        (ResourceStatus.SUBMITTED, "publish", ""),
        (ResourceStatus.SUBMITTED, "return", REASON),
        (ResourceStatus.PUBLISHED, "revise", "增加信息项"),
        (ResourceStatus.PUBLISHED, "retire", "系统下线"),
    ],
)
def test_resource_step_appends_a_ledger_entry_with_actor_and_reason(dept_a, liaison_a, officer, status, step, reason):
    resource = resource_in(status, dept_a, liaison_a, officer)
    actor = liaison_a if STEP_ACTOR[step] == "liaison" else officer
    STEPS[step](resource=resource, actor=actor, reason=reason)
    entry = last_entry()
    assert (entry.action, entry.object_id, entry.actor) == (f"resource.{step}", str(resource.pk), actor)
    assert payload_of(entry)["reason"] == reason
    assert payload_of(entry)["data"]["from"] == status


def test_claim_appends_a_ledger_entry(dept_a, liaison_a):
    assignment = claim(make_element(), dept_a, liaison_a)
    entry = last_entry()
    assert (entry.action, entry.object_id, entry.actor) == ("source.claim", str(assignment.pk), liaison_a)
    assert payload_of(entry)["reason"] == "《居民身份证法》"


def test_confirmation_appends_ledger_entries_for_the_winner_and_each_competitor(
    dept_a, dept_b, liaison_a, liaison_b, officer
):
    element = make_element()
    winner, loser = claim(element, dept_a, liaison_a), claim(element, dept_b, liaison_b)
    services.source_confirm(assignment=winner, actor=officer, reason="三定方案明确")
    entries = list(LedgerEntry.objects.order_by("-seq")[:2])[::-1]
    assert [(e.action, e.object_id, e.actor) for e in entries] == [
        ("source.confirm", str(winner.pk), officer),
        ("source.reject", str(loser.pk), officer),
    ]
    assert payload_of(entries[0])["reason"] == "三定方案明确"


@pytest.mark.parametrize("step", ["reject", "withdraw"])
def test_claim_decision_appends_a_ledger_entry_with_actor_and_reason(dept_a, liaison_a, officer, step):
    assignment = claim(make_element(), dept_a, liaison_a)
    actor = officer if step == "reject" else liaison_a
    getattr(services, f"source_{step}")(assignment=assignment, actor=actor, reason="理由")
    entry = last_entry()
    assert (entry.action, entry.object_id, entry.actor) == (f"source.{step}", str(assignment.pk), actor)
    assert payload_of(entry)["reason"] == "理由"


def test_only_the_bureau_maintains_data_elements(officer, liaison_a):
    from catalog.models import DataElement

    element = services.element_save(element=DataElement(code="DE9001", name="公民身份号码"), actor=officer)
    assert element.history.first().history_user == officer
    with pytest.raises(PermissionDenied):
        services.element_save(element=DataElement(code="DE9002", name="姓名"), actor=liaison_a)
