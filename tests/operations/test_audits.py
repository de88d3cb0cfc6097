"""Audits: the bureau assigns them to certified firms; the firm works them and files findings;
the operator answers; the firm or the bureau closes; overdue findings are listed."""

import json
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from govdata.permissions import can, restrict
from operations import services
from operations.choices import AuditStatus, FindingStatus, Severity
from operations.models import Audit, Finding
from sharing.models import LedgerEntry

from .conftest import make_firm, today


@pytest.fixture
def period():
    year = today().year - 1
    return {"period_start": date(year, 1, 1), "period_end": date(year, 12, 31)}


@pytest.fixture
def audit(firm_a, operator_a, license_a, officer, period, firm_staff_a, staff_a):
    return services.audit_assign(firm=firm_a, operator=operator_a, license=license_a, actor=officer, **period)


@pytest.fixture
def in_progress(audit, firm_staff_a):
    return services.audit_set_status(audit=audit, actor=firm_staff_a, status=AuditStatus.IN_PROGRESS)


def file_finding(audit, actor, *, due_date=None, severity=Severity.HIGH):
    return services.finding_file(
        audit=audit,
        actor=actor,
        severity=severity,
        description="脱敏规则未覆盖联系电话字段",
        remediation="补充掩码规则并重新提交产品",
        due_date=due_date or today() + timedelta(days=30),
    )


@pytest.fixture
def finding(in_progress, firm_staff_a):
    return file_finding(in_progress, firm_staff_a)


def last_entry() -> dict:
    entry = LedgerEntry.objects.order_by("-seq").first()
    return {"action": entry.action, "actor_id": entry.actor_id, **json.loads(entry.payload)}


# --- Assignment -----------------------------------------------------------------------------


def test_officer_assigns_an_audit_to_a_certified_firm(audit, firm_a, officer):
    assert audit.status == AuditStatus.ASSIGNED
    assert audit.firm == firm_a
    entry = last_entry()
    assert entry["action"] == "audit.assign"
    assert entry["actor_id"] == officer.pk
    assert entry["data"]["firm"] == "AUD-001"


def test_assigned_firm_and_audited_operator_may_see_the_audit(audit, firm_staff_a, staff_a):
    assert can(firm_staff_a, "view", audit)
    assert can(firm_staff_a, "change", audit)
    assert can(staff_a, "view", audit)
    assert not can(staff_a, "change", audit)


def test_firm_whose_certification_has_lapsed_gets_no_audit(operator_a, officer, period):
    lapsed = make_firm(officer, "AUD-009", "过期事务所", certified_until=today() - timedelta(days=1))

    with pytest.raises(ValidationError, match="certification has lapsed"):
        services.audit_assign(firm=lapsed, operator=operator_a, actor=officer, **period)
    assert not Audit.objects.exists()


def test_firm_certified_until_today_may_still_be_assigned(operator_a, officer, period):
    firm = make_firm(officer, "AUD-010", "今日到期事务所", certified_until=today())

    audit = services.audit_assign(firm=firm, operator=operator_a, actor=officer, **period)

    assert audit.status == AuditStatus.ASSIGNED


def test_audit_of_another_operators_licence_is_refused(firm_a, operator_b, license_a, officer, period):
    with pytest.raises(ValidationError, match="another operator"):
        services.audit_assign(firm=firm_a, operator=operator_b, license=license_a, actor=officer, **period)


def test_audit_period_must_not_be_reversed(firm_a, operator_a, officer):
    with pytest.raises(ValidationError):
        services.audit_assign(
            firm=firm_a, operator=operator_a, actor=officer, period_start=today(), period_end=today() - timedelta(1)
        )


@pytest.mark.parametrize("actor_fixture", ["auditor", "staff_a", "firm_staff_a", "liaison_a"])
def test_only_the_bureau_assigns_audits(request, firm_a, operator_a, period, actor_fixture):
    with pytest.raises(PermissionDenied):
        services.audit_assign(firm=firm_a, operator=operator_a, actor=request.getfixturevalue(actor_fixture), **period)
    assert not Audit.objects.exists()


# --- Working the audit ----------------------------------------------------------------------


def test_firm_staff_start_an_assigned_audit(audit, firm_staff_a):
    services.audit_set_status(audit=audit, actor=firm_staff_a, status=AuditStatus.IN_PROGRESS)

    assert audit.status == AuditStatus.IN_PROGRESS
    assert last_entry()["action"] == "audit.in_progress"


def test_firm_staff_complete_an_audit_in_progress(in_progress, firm_staff_a):
    services.audit_set_status(audit=in_progress, actor=firm_staff_a, status=AuditStatus.COMPLETED, reason="报告已出具")

    assert in_progress.status == AuditStatus.COMPLETED
    assert last_entry()["action"] == "audit.completed"
    assert last_entry()["reason"] == "报告已出具"


def test_audit_cannot_skip_from_assigned_to_completed(audit, firm_staff_a):
    with pytest.raises(ValidationError):
        services.audit_set_status(audit=audit, actor=firm_staff_a, status=AuditStatus.COMPLETED)
    assert Audit.objects.get(pk=audit.pk).status == AuditStatus.ASSIGNED


def test_completed_audit_cannot_be_reopened(in_progress, firm_staff_a):
    services.audit_set_status(audit=in_progress, actor=firm_staff_a, status=AuditStatus.COMPLETED)

    with pytest.raises(ValidationError):
        services.audit_set_status(audit=in_progress, actor=firm_staff_a, status=AuditStatus.IN_PROGRESS)


def test_unknown_audit_status_is_refused_with_a_message(audit, firm_staff_a):
    with pytest.raises(ValidationError):
        services.audit_set_status(audit=audit, actor=firm_staff_a, status="archived")


@pytest.mark.parametrize("actor_fixture", ["firm_staff_b", "staff_a", "officer", "auditor"])
def test_only_the_assigned_firm_works_on_the_audit(request, audit, actor_fixture):
    with pytest.raises(PermissionDenied):
        services.audit_set_status(
            audit=audit, actor=request.getfixturevalue(actor_fixture), status=AuditStatus.IN_PROGRESS
        )
    assert Audit.objects.get(pk=audit.pk).status == AuditStatus.ASSIGNED


# --- Findings -------------------------------------------------------------------------------


def test_firm_staff_file_a_finding(finding, firm_staff_a, in_progress):
    assert finding.status == FindingStatus.OPEN
    assert finding.audit == in_progress
    entry = last_entry()
    assert entry["action"] == "finding.file"
    assert entry["actor_id"] == firm_staff_a.pk
    assert entry["data"]["severity"] == Severity.HIGH


def test_audited_operator_may_see_and_answer_a_finding(finding, staff_a):
    assert can(staff_a, "view", finding)
    assert can(staff_a, "answer", finding)


def test_no_finding_after_the_audit_is_completed(in_progress, firm_staff_a):
    services.audit_set_status(audit=in_progress, actor=firm_staff_a, status=AuditStatus.COMPLETED)

    with pytest.raises(ValidationError, match="completed"):
        file_finding(in_progress, firm_staff_a)
    assert not Finding.objects.exists()


def test_finding_with_an_unknown_severity_is_refused(in_progress, firm_staff_a):
    with pytest.raises(ValidationError):
        file_finding(in_progress, firm_staff_a, severity="catastrophic")
    assert not Finding.objects.exists()


@pytest.mark.parametrize("actor_fixture", ["firm_staff_b", "staff_a", "auditor"])
def test_only_the_assigned_firm_files_findings(request, in_progress, actor_fixture):
    with pytest.raises(PermissionDenied):
        file_finding(in_progress, request.getfixturevalue(actor_fixture))
    assert not Finding.objects.exists()


def test_operator_answers_a_finding(finding, staff_a):
    services.finding_answer(finding=finding, actor=staff_a, response="已补充掩码规则")

    assert finding.status == FindingStatus.ANSWERED
    assert finding.operator_response == "已补充掩码规则"
    assert last_entry()["action"] == "finding.answer"
    assert last_entry()["actor_id"] == staff_a.pk


def test_answer_needs_a_text(finding, staff_a):
    with pytest.raises(ValidationError):
        services.finding_answer(finding=finding, actor=staff_a, response="  ")
    assert Finding.objects.get(pk=finding.pk).status == FindingStatus.OPEN


@pytest.mark.parametrize("actor_fixture", ["staff_b", "firm_staff_a", "officer", "auditor"])
def test_only_the_audited_operator_answers(request, finding, actor_fixture):
    with pytest.raises(PermissionDenied):
        services.finding_answer(finding=finding, actor=request.getfixturevalue(actor_fixture), response="代为答复")
    assert Finding.objects.get(pk=finding.pk).status == FindingStatus.OPEN


def test_firm_closes_an_answered_finding(finding, staff_a, firm_staff_a):
    services.finding_answer(finding=finding, actor=staff_a, response="已整改")

    services.finding_close(finding=finding, actor=firm_staff_a, reason="复核整改到位")

    assert finding.status == FindingStatus.CLOSED
    assert finding.closed_at is not None
    assert last_entry()["action"] == "finding.close"
    assert last_entry()["reason"] == "复核整改到位"


def test_bureau_closes_a_finding(finding, officer):
    services.finding_close(finding=finding, actor=officer, reason="经局务会认定已整改")

    assert finding.status == FindingStatus.CLOSED


def test_closing_needs_a_reason(finding, firm_staff_a):
    with pytest.raises(ValidationError, match="reason"):
        services.finding_close(finding=finding, actor=firm_staff_a, reason="")


def test_closed_finding_cannot_be_closed_again(finding, firm_staff_a):
    services.finding_close(finding=finding, actor=firm_staff_a, reason="已整改")

    with pytest.raises(ValidationError):
        services.finding_close(finding=finding, actor=firm_staff_a, reason="再次关闭")


def test_closed_finding_cannot_be_answered(finding, firm_staff_a, staff_a):
    services.finding_close(finding=finding, actor=firm_staff_a, reason="已整改")

    with pytest.raises(ValidationError):
        services.finding_answer(finding=finding, actor=staff_a, response="迟到的答复")


@pytest.mark.parametrize("actor_fixture", ["firm_staff_b", "staff_a", "auditor"])
def test_only_the_firm_or_the_bureau_closes_findings(request, finding, actor_fixture):
    with pytest.raises(PermissionDenied):
        services.finding_close(finding=finding, actor=request.getfixturevalue(actor_fixture), reason="自行关闭")
    assert Finding.objects.get(pk=finding.pk).status == FindingStatus.OPEN


# --- Overdue findings -----------------------------------------------------------------------


def test_overdue_findings_lists_open_and_answered_findings_past_due(in_progress, firm_staff_a, staff_a):
    late_open = file_finding(in_progress, firm_staff_a, due_date=today() - timedelta(days=1))
    late_answered = file_finding(in_progress, firm_staff_a, due_date=today() - timedelta(days=5))
    services.finding_answer(finding=late_answered, actor=staff_a, response="整改中")
    late_closed = file_finding(in_progress, firm_staff_a, due_date=today() - timedelta(days=5))
    services.finding_close(finding=late_closed, actor=firm_staff_a, reason="已整改")
    file_finding(in_progress, firm_staff_a, due_date=today())
    file_finding(in_progress, firm_staff_a, due_date=today() + timedelta(days=1))

    assert set(services.overdue_findings()) == {late_open, late_answered}


def test_overdue_findings_counts_from_the_given_day(finding):
    assert list(services.overdue_findings(today=finding.due_date)) == []
    assert list(services.overdue_findings(today=finding.due_date + timedelta(days=1))) == [finding]


# --- Another firm ---------------------------------------------------------------------------


def test_another_firm_cannot_see_the_audit_or_its_findings(finding, firm_staff_b):
    assert not restrict(Audit.objects.all(), firm_staff_b).exists()
    assert not restrict(Finding.objects.all(), firm_staff_b).exists()
    assert not can(firm_staff_b, "view", finding.audit)
    assert not can(firm_staff_b, "view", finding)
