"""Audits and findings: the firm files, the operator answers, the firm closes; each side sees only its own."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from operations.models import Finding
from tests.operations_portal.conftest import make_audit, make_finding, shown, today

pytestmark = pytest.mark.django_db


@pytest.fixture
def audit(firm_a, operator_a, license_a, officer):
    return make_audit(firm_a, operator_a, officer, license_a)


def finding_post(**fields):
    return {
        "severity": fields.pop("severity", "high"),
        "description": fields.pop("description", "交易价格超过许可限价"),
        "remediation": fields.pop("remediation", "退还超收部分并建立价格复核"),
        "due_date": fields.pop("due_date", (today() + timedelta(days=30)).isoformat()),
    }


def test_the_firm_files_a_finding_and_the_operator_sees_it(client_firm_a, client_staff_a, firm_staff_a, audit):
    response = client_firm_a.post(reverse("portal:ops_finding_create", args=[audit.pk]), finding_post())

    finding = Finding.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("portal:ops_audit_detail", args=[audit.pk])
    assert (finding.audit, finding.severity, finding.status) == (audit, "high", "open")
    assert finding.history.get().history_user == firm_staff_a
    assert "交易价格超过许可限价" in client_staff_a.get(reverse("portal:ops_finding_list")).content.decode()


def test_a_finding_due_in_the_past_is_refused(client_firm_a, audit):
    response = client_firm_a.post(
        reverse("portal:ops_finding_create", args=[audit.pk]),
        finding_post(due_date=(today() - timedelta(days=1)).isoformat()),
    )
    assert response.status_code == 200
    assert shown(_("The due date cannot lie in the past.")) in response.content.decode()
    assert not Finding.objects.exists()


def test_the_operator_answers_a_finding_and_the_firm_reads_the_answer(
    client_staff_a, client_firm_a, staff_a, firm_staff_a, audit
):
    finding = make_finding(audit, firm_staff_a)

    response = client_staff_a.post(
        reverse("portal:ops_finding_detail", args=[finding.pk]), {"response": "已补充规则，于下月重新报审。"}
    )

    finding.refresh_from_db()
    assert response.status_code == 302
    assert (finding.status, finding.operator_response) == ("answered", "已补充规则，于下月重新报审。")
    assert finding.history.first().history_user == staff_a
    assert (
        "已补充规则，于下月重新报审。"
        in client_firm_a.get(reverse("portal:ops_audit_detail", args=[audit.pk])).content.decode()
    )


def test_an_empty_answer_is_refused(client_staff_a, firm_staff_a, audit):
    finding = make_finding(audit, firm_staff_a)

    response = client_staff_a.post(reverse("portal:ops_finding_detail", args=[finding.pk]), {"response": "  "})

    assert response.status_code == 200
    finding.refresh_from_db()
    assert finding.status == "open"


def test_the_firm_starts_and_completes_the_audit(client_firm_a, audit):
    client_firm_a.post(reverse("portal:ops_audit_status", args=[audit.pk]), {"status": "in_progress"})
    audit.refresh_from_db()
    assert audit.status == "in_progress"

    client_firm_a.post(reverse("portal:ops_audit_status", args=[audit.pk]), {"status": "completed"})
    audit.refresh_from_db()
    assert audit.status == "completed"


def test_skipping_a_step_of_the_audit_is_refused(client_firm_a, audit):
    response = client_firm_a.post(reverse("portal:ops_audit_status", args=[audit.pk]), {"status": "completed"})

    assert response.status_code == 302
    audit.refresh_from_db()
    assert audit.status == "assigned"


def test_an_unknown_audit_status_is_refused_without_an_error_page(client_firm_a, audit):
    response = client_firm_a.post(reverse("portal:ops_audit_status", args=[audit.pk]), {"status": "bogus"})
    assert response.status_code == 302
    audit.refresh_from_db()
    assert audit.status == "assigned"


def test_no_finding_is_filed_on_a_completed_audit(client_firm_a, firm_staff_a, audit):
    from operations import services

    services.audit_set_status(audit=audit, actor=firm_staff_a, status="in_progress")
    services.audit_set_status(audit=audit, actor=firm_staff_a, status="completed")

    response = client_firm_a.post(reverse("portal:ops_finding_create", args=[audit.pk]), finding_post())

    assert response.status_code == 200
    assert not Finding.objects.exists()


def test_the_firm_closes_a_finding_with_a_reason(client_firm_a, firm_staff_a, audit):
    finding = make_finding(audit, firm_staff_a)

    client_firm_a.post(reverse("portal:ops_finding_close", args=[finding.pk]), {"reason": "已核实整改"})

    finding.refresh_from_db()
    assert finding.status == "closed"


def test_closing_without_a_reason_is_refused(client_firm_a, firm_staff_a, audit):
    finding = make_finding(audit, firm_staff_a)

    response = client_firm_a.post(reverse("portal:ops_finding_close", args=[finding.pk]), {"reason": ""})

    assert response.status_code == 200
    finding.refresh_from_db()
    assert finding.status == "open"


def test_the_firm_sees_only_its_own_audits(client_firm_b, audit):
    response = client_firm_b.get(reverse("portal:ops_audit_list"))
    assert list(response.context["page"].object_list) == []


def test_the_operator_home_lists_findings_to_answer(client_staff_a, firm_staff_a, audit):
    finding = make_finding(audit, firm_staff_a, description="未按期披露年度报告")
    content = client_staff_a.get(reverse("portal:ops_home")).content.decode()
    assert reverse("portal:ops_finding_detail", args=[finding.pk]) in content
