"""The licence workflow: the bureau alone moves a licence, every step is reasoned where the rules
say so and ledgered, a licence never moves ownership, and it lives only within its term."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from catalog import services as catalog_services
from catalog.choices import SecurityGrade
from catalog.models import DataResource
from operations import services
from operations.choices import LicenseStatus
from operations.models import OperatingLicense
from sharing.models import LedgerEntry

from .conftest import apply_for_license, make_active_license, make_licensable_resource, today

STEPS = {
    "approve": services.license_approve,
    "activate": services.license_activate,
    "suspend": services.license_suspend,
    "resume": services.license_resume,
    "revoke": services.license_revoke,
}


@pytest.fixture
def license_in(operator_a, resource, officer, clock):
    """Build a licence of operator A and walk it to `status` through the services."""

    def build(status: LicenseStatus) -> OperatingLicense:
        if status == LicenseStatus.EXPIRED:
            license = make_active_license(operator_a, [resource], officer, term_end=today())
            clock.travel_to(today() + timedelta(days=1))
            services.licenses_expire_due()
            license.refresh_from_db()
            return license
        license = apply_for_license(operator_a, [resource], officer)
        path = {
            LicenseStatus.APPLIED: [],
            LicenseStatus.APPROVED: ["approve"],
            LicenseStatus.ACTIVE: ["approve", "activate"],
            LicenseStatus.SUSPENDED: ["approve", "activate", "suspend"],
            LicenseStatus.REVOKED: ["revoke"],
        }[status]
        for step in path:
            STEPS[step](license=license, actor=officer, reason="按计划")
        assert license.status == status
        return license

    return build


def last_entry() -> dict:
    entry = LedgerEntry.objects.order_by("-seq").first()
    return {"action": entry.action, "actor_id": entry.actor_id, **json.loads(entry.payload)}


# --- Registration ---------------------------------------------------------------------------


def test_officer_registers_a_licence_application(operator_a, resource, officer):
    license = apply_for_license(operator_a, [resource], officer)

    assert license.status == LicenseStatus.APPLIED
    assert list(license.resources.all()) == [resource]


def test_core_grade_resource_cannot_be_licensed(operator_a, dept_a, liaison_a, officer):
    core = make_licensable_resource(dept_a, liaison_a, officer, security_grade=SecurityGrade.CORE)

    with pytest.raises(ValidationError, match="core-grade"):
        apply_for_license(operator_a, [core], officer)
    assert not OperatingLicense.objects.exists()


def test_unpublished_resource_cannot_be_licensed(operator_a, resource, liaison_a, officer):
    catalog_services.resource_revise(resource=resource, actor=liaison_a, reason="补充字段")

    with pytest.raises(ValidationError, match="not published"):
        apply_for_license(operator_a, [resource], officer)
    assert not OperatingLicense.objects.exists()


def test_licence_without_resources_is_refused(operator_a, officer):
    with pytest.raises(ValidationError):
        apply_for_license(operator_a, [], officer)


def test_licence_term_must_not_end_before_it_starts(operator_a, resource, officer):
    with pytest.raises(ValidationError):
        apply_for_license(operator_a, [resource], officer, term_start=today(), term_end=today() - timedelta(days=1))


def test_operator_staff_cannot_register_a_licence(operator_a, resource, staff_a):
    with pytest.raises(PermissionDenied):
        apply_for_license(operator_a, [resource], staff_a)


def test_licence_in_force_cannot_be_edited(license_in, officer):
    license = license_in(LicenseStatus.ACTIVE)
    license.price_cap = None

    with pytest.raises(ValidationError):
        services.license_save(license=license, actor=officer)


# --- Allowed transitions --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "step", "target"),
    [
        (LicenseStatus.APPLIED, "approve", LicenseStatus.APPROVED),
        (LicenseStatus.APPROVED, "activate", LicenseStatus.ACTIVE),
        (LicenseStatus.ACTIVE, "suspend", LicenseStatus.SUSPENDED),
        (LicenseStatus.SUSPENDED, "resume", LicenseStatus.ACTIVE),
        (LicenseStatus.APPLIED, "revoke", LicenseStatus.REVOKED),
        (LicenseStatus.APPROVED, "revoke", LicenseStatus.REVOKED),
        (LicenseStatus.ACTIVE, "revoke", LicenseStatus.REVOKED),
        (LicenseStatus.SUSPENDED, "revoke", LicenseStatus.REVOKED),
    ],
)
def test_officer_moves_a_licence_along_an_allowed_transition(license_in, officer, start, step, target):
    license = license_in(start)

    STEPS[step](license=license, actor=officer, reason="经局务会研究")

    assert OperatingLicense.objects.get(pk=license.pk).status == target


def test_suspension_keeps_its_reason_on_the_licence(license_in, officer):
    license = license_in(LicenseStatus.ACTIVE)

    services.license_suspend(license=license, actor=officer, reason="未按期报送年度报告")

    assert license.status_reason == "未按期报送年度报告"


def test_licence_walks_the_whole_lifecycle(operator_a, resource, officer):
    license = apply_for_license(operator_a, [resource], officer)
    seen = []
    for step in ["approve", "activate", "suspend", "resume", "revoke"]:
        STEPS[step](license=license, actor=officer, reason="按计划")
        seen.append(license.status)

    assert seen == ["approved", "active", "suspended", "active", "revoked"]


# --- Refused transitions --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "step"),
    [
        (LicenseStatus.APPLIED, "activate"),
        (LicenseStatus.APPLIED, "suspend"),
        (LicenseStatus.APPLIED, "resume"),
        (LicenseStatus.APPROVED, "approve"),
        (LicenseStatus.APPROVED, "suspend"),
        (LicenseStatus.ACTIVE, "approve"),
        (LicenseStatus.ACTIVE, "activate"),
        (LicenseStatus.ACTIVE, "resume"),
        (LicenseStatus.SUSPENDED, "activate"),
        (LicenseStatus.SUSPENDED, "suspend"),
        (LicenseStatus.REVOKED, "approve"),
        (LicenseStatus.REVOKED, "activate"),
        (LicenseStatus.REVOKED, "resume"),
        (LicenseStatus.REVOKED, "revoke"),
        (LicenseStatus.EXPIRED, "activate"),
        (LicenseStatus.EXPIRED, "resume"),
        (LicenseStatus.EXPIRED, "revoke"),
    ],
)
def test_step_from_the_wrong_state_is_refused(license_in, officer, start, step):
    license = license_in(start)
    entries = LedgerEntry.objects.count()

    with pytest.raises(ValidationError):
        STEPS[step](license=license, actor=officer, reason="试一试")

    assert OperatingLicense.objects.get(pk=license.pk).status == start
    assert LedgerEntry.objects.count() == entries


@pytest.mark.parametrize("actor_fixture", ["staff_a", "auditor", "liaison_a", "firm_staff_a"])
@pytest.mark.parametrize(
    ("start", "step"),
    [
        (LicenseStatus.APPLIED, "approve"),
        (LicenseStatus.APPROVED, "activate"),
        (LicenseStatus.ACTIVE, "suspend"),
        (LicenseStatus.SUSPENDED, "resume"),
        (LicenseStatus.ACTIVE, "revoke"),
    ],
)
def test_only_an_officer_decides_on_licences(request, license_in, actor_fixture, start, step):
    license = license_in(start)
    actor = request.getfixturevalue(actor_fixture)

    with pytest.raises(PermissionDenied):
        STEPS[step](license=license, actor=actor, reason="越权操作")

    assert OperatingLicense.objects.get(pk=license.pk).status == start


@pytest.mark.parametrize("reason", ["", "   "])
@pytest.mark.parametrize(
    ("start", "step"),
    [(LicenseStatus.ACTIVE, "suspend"), (LicenseStatus.SUSPENDED, "resume"), (LicenseStatus.ACTIVE, "revoke")],
)
def test_suspend_resume_and_revoke_need_a_reason(license_in, officer, start, step, reason):
    license = license_in(start)

    with pytest.raises(ValidationError, match="reason"):
        STEPS[step](license=license, actor=officer, reason=reason)

    assert OperatingLicense.objects.get(pk=license.pk).status == start


def test_approval_is_refused_once_the_resource_left_the_catalogue(license_in, resource, liaison_a, officer):
    license = license_in(LicenseStatus.APPLIED)
    catalog_services.resource_revise(resource=resource, actor=liaison_a, reason="补充字段")

    with pytest.raises(ValidationError, match="not published"):
        services.license_approve(license=license, actor=officer)


def test_approval_is_refused_once_the_resource_was_republished_as_core_grade(license_in, resource, liaison_a, officer):
    license = license_in(LicenseStatus.APPLIED)
    catalog_services.resource_revise(resource=resource, actor=liaison_a, reason="重新定级")
    resource.security_grade = SecurityGrade.CORE
    catalog_services.resource_save(resource=resource, actor=liaison_a, reason="重新定级")
    catalog_services.resource_submit(resource=resource, actor=liaison_a)
    catalog_services.resource_publish(resource=resource, actor=officer)

    with pytest.raises(ValidationError, match="core-grade"):
        services.license_approve(license=license, actor=officer)
    assert OperatingLicense.objects.get(pk=license.pk).status == LicenseStatus.APPLIED


# --- The term -------------------------------------------------------------------------------


def test_licence_cannot_be_activated_before_its_term(operator_a, resource, officer):
    license = apply_for_license(
        operator_a, [resource], officer, term_start=today() + timedelta(days=1), term_end=today() + timedelta(days=90)
    )
    services.license_approve(license=license, actor=officer)

    with pytest.raises(ValidationError, match="within its term"):
        services.license_activate(license=license, actor=officer)
    assert license.status == LicenseStatus.APPROVED


def test_licence_cannot_be_activated_after_its_term(operator_a, resource, officer):
    license = apply_for_license(
        operator_a, [resource], officer, term_start=today() - timedelta(days=90), term_end=today() - timedelta(days=1)
    )
    services.license_approve(license=license, actor=officer)

    with pytest.raises(ValidationError, match="within its term"):
        services.license_activate(license=license, actor=officer)


def test_licence_can_be_activated_on_the_last_day_of_its_term(operator_a, resource, officer):
    license = make_active_license(operator_a, [resource], officer, term_end=today())

    assert license.status == LicenseStatus.ACTIVE


def test_suspended_licence_cannot_be_resumed_after_its_term(license_in, officer, clock):
    license = license_in(LicenseStatus.SUSPENDED)
    clock.travel_to(license.term_end + timedelta(days=1))

    with pytest.raises(ValidationError):
        services.license_resume(license=license, actor=officer, reason="整改完成")


def test_expire_licenses_expires_an_active_licence_after_its_term(license_in, clock):
    license = license_in(LicenseStatus.ACTIVE)
    clock.travel_to(license.term_end + timedelta(days=1))
    out = StringIO()

    call_command("expire_licenses", stdout=out)

    license.refresh_from_db()
    assert license.status == LicenseStatus.EXPIRED
    assert out.getvalue().startswith("1 ")


def test_expire_licenses_expires_a_suspended_licence_after_its_term(license_in, clock):
    license = license_in(LicenseStatus.SUSPENDED)
    clock.travel_to(license.term_end + timedelta(days=1))

    call_command("expire_licenses", stdout=StringIO())

    license.refresh_from_db()
    assert license.status == LicenseStatus.EXPIRED


def test_expire_licenses_leaves_a_licence_in_force_on_its_last_day(license_in, clock):
    license = license_in(LicenseStatus.ACTIVE)
    clock.travel_to(license.term_end)

    call_command("expire_licenses", stdout=StringIO())

    license.refresh_from_db()
    assert license.status == LicenseStatus.ACTIVE


def test_expire_licenses_leaves_applications_alone(license_in, clock):
    license = license_in(LicenseStatus.APPLIED)
    clock.travel_to(license.term_end + timedelta(days=1))

    call_command("expire_licenses", stdout=StringIO())

    license.refresh_from_db()
    assert license.status == LicenseStatus.APPLIED


def test_expiry_is_ledgered_without_an_actor(license_in):
    license = license_in(LicenseStatus.EXPIRED)

    entry = last_entry()
    assert entry["action"] == "license.expire"
    assert entry["object"]["id"] == str(license.pk)
    assert entry["actor"] is None
    assert entry["data"] == {"from": "active", "to": "expired", "operator": license.operator.credit_code}


# --- Ownership, ledger and history ----------------------------------------------------------


def test_no_licence_step_moves_the_resource_to_another_owner(operator_a, resource, dept_a, officer, staff_a, clock):
    license = apply_for_license(operator_a, [resource], officer)
    owners = []
    for step in ["approve", "activate", "suspend", "resume"]:
        STEPS[step](license=license, actor=officer, reason="按计划")
        owners.append(DataResource.objects.get(pk=resource.pk).department_id)
    clock.travel_to(license.term_end + timedelta(days=1))
    services.licenses_expire_due()
    owners.append(DataResource.objects.get(pk=resource.pk).department_id)

    assert owners == [dept_a.pk] * 5
    # Operation is not ownership: the operator's staff get no right on the resource itself.
    assert not staff_a.has_perm("catalog.change_dataresource", resource)


@pytest.mark.parametrize(
    ("start", "step", "reason"),
    [
        (LicenseStatus.APPLIED, "approve", ""),
        (LicenseStatus.APPROVED, "activate", ""),
        (LicenseStatus.ACTIVE, "suspend", "数据安全事件调查"),
        (LicenseStatus.SUSPENDED, "resume", "整改完成"),
        (LicenseStatus.ACTIVE, "revoke", "严重违约"),
    ],
)
def test_every_licence_step_is_ledgered_with_actor_and_reason(license_in, officer, start, step, reason):
    license = license_in(start)

    STEPS[step](license=license, actor=officer, reason=reason)

    entry = last_entry()
    assert entry["action"] == f"license.{step}"
    assert entry["object"] == {"type": "operations.operatinglicense", "id": str(license.pk), "repr": str(license)}
    assert entry["actor_id"] == officer.pk
    assert entry["actor"]["username"] == officer.username
    assert entry["reason"] == reason
    assert entry["data"]["from"] == start


def test_licence_step_leaves_a_history_record_with_the_officer_and_reason(license_in, officer):
    license = license_in(LicenseStatus.ACTIVE)

    services.license_suspend(license=license, actor=officer, reason="数据安全事件调查")

    record = license.history.latest()
    assert record.status == LicenseStatus.SUSPENDED
    assert record.history_user == officer
    assert record.history_change_reason == "数据安全事件调查"
