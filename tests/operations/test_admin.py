"""The bureau's admin for licensed operation: organisations, licences, products, trades,
disclosures, audits and findings, every write through operations.services."""

import itertools
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from operations import services
from operations.choices import FeeModel, FindingStatus, LicenseStatus, OperatorNature, ProductStatus, Severity
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
from sharing.models import LedgerEntry
from tests.factories import make_user
from tests.operations.conftest import (
    apply_for_license,
    credit_code,
    fresh,
    make_active_license,
    make_approved_product,
    make_firm,
    make_operator,
    make_product,
    today,
)

SMALL, LARGE = 5, 50
_serial = itertools.count(100)


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def step_url(model, obj, step):
    return admin_url(model, "workflow", obj.pk, step)


def queries_for(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def officer_client(client, officer):
    client.force_login(officer)
    return client


@pytest.fixture
def auditor_client(client, auditor):
    client.force_login(auditor)
    return client


@pytest.fixture
def submitted_product(license_a, staff_a):
    product = make_product(license_a, staff_a)
    return services.product_submit(product=product, actor=staff_a)


@pytest.fixture
def audit(firm_a, operator_a, officer):
    return services.audit_assign(
        firm=firm_a, operator=operator_a, actor=officer, period_start=today() - timedelta(days=90), period_end=today()
    )


def file_finding(audit, firm_staff, *, due_date=None):
    return services.finding_file(
        audit=audit,
        actor=firm_staff,
        severity=Severity.MEDIUM,
        description="脱敏规则未覆盖住址字段",
        remediation="补充泛化规则",
        due_date=due_date or today() + timedelta(days=30),
    )


@pytest.fixture
def finding(audit, firm_staff_a):
    return file_finding(audit, firm_staff_a)


@pytest.fixture
def world(operator_a, staff_a, firm_a, license_a, officer, audit, finding):
    """One object of every operations model, so every admin page has something to show."""
    product = make_approved_product(license_a, staff_a, officer)
    trade = services.trade_record(
        product=product, actor=staff_a, buyer="某银行", price=Decimal("300"), traded_on=today()
    )
    disclosure = services.disclosure_file(operator=operator_a, year=today().year - 1, actor=staff_a)
    return {
        Operator: operator_a,
        AuditFirm: firm_a,
        OperatingLicense: license_a,
        DataProduct: product,
        Trade: trade,
        AnnualDisclosure: disclosure,
        Audit: audit,
        Finding: finding,
    }


ALL_MODELS = [Operator, AuditFirm, OperatingLicense, DataProduct, Trade, AnnualDisclosure, Audit, Finding]
ADDABLE = [Operator, AuditFirm, OperatingLicense, Audit]
ids = {"ids": lambda m: m._meta.model_name}


# --- The officer sees every page ----------------------------------------------------------


@pytest.mark.parametrize("model", ALL_MODELS, **ids)
def test_officer_opens_every_changelist(officer_client, world, model):
    assert officer_client.get(admin_url(model, "changelist")).status_code == 200


@pytest.mark.parametrize("model", ALL_MODELS, **ids)
def test_officer_opens_every_change_page(officer_client, world, model):
    assert officer_client.get(admin_url(model, "change", world[model].pk)).status_code == 200


@pytest.mark.parametrize("model", ADDABLE, **ids)
def test_officer_opens_every_add_form(officer_client, world, model):
    assert officer_client.get(admin_url(model, "add")).status_code == 200


@pytest.mark.parametrize("model", [DataProduct, Trade, AnnualDisclosure, Finding], **ids)
def test_records_of_the_portal_cannot_be_added_in_the_admin(officer_client, world, model):
    assert officer_client.get(admin_url(model, "add")).status_code == 403


# --- Organisations ------------------------------------------------------------------------


def test_officer_registers_an_operator_through_the_service(officer_client, officer):
    data = {
        "name": "丙数据有限公司",
        "credit_code": credit_code(77),
        "nature": OperatorNature.PRIVATE,
        "status": "active",
        "contact_name": "李四",
        "contact_phone": "",
        "contact_email": "",
    }

    response = officer_client.post(admin_url(Operator, "add"), data)

    assert response.status_code == 302
    operator = Operator.objects.get(credit_code=credit_code(77))
    assert operator.history.latest().history_user == officer
    assert operator.staff_group is not None  # organisation_save granted its staff group


def test_invalid_credit_code_is_a_form_error(officer_client):
    data = {"name": "错码公司", "credit_code": "123", "nature": OperatorNature.PRIVATE, "status": "active"}

    response = officer_client.post(admin_url(Operator, "add"), {**data, "contact_name": "王五"})

    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert not Operator.objects.filter(name="错码公司").exists()


def test_officer_edits_a_firms_certification(officer_client, officer, firm_a):
    until = today() + timedelta(days=700)
    data = {"name": firm_a.name, "certificate_number": "AUD-001-R", "certified_until": until.isoformat()}

    officer_client.post(admin_url(AuditFirm, "change", firm_a.pk), data)

    firm_a.refresh_from_db()
    assert (firm_a.certificate_number, firm_a.certified_until) == ("AUD-001-R", until)
    assert firm_a.history.latest().history_user == officer


def test_officer_adds_a_staff_user_to_an_operator(officer_client, operator_a):
    user = make_user("newcomer")

    response = officer_client.post(admin_url(Operator, "add_staff", operator_a.pk), {"username": "newcomer"})

    assert response.status_code == 302
    assert fresh(user).groups.filter(pk=Operator.objects.get(pk=operator_a.pk).staff_group_id).exists()
    assert fresh(user).groups.filter(name="operator_user").exists()


def test_adding_an_unknown_staff_user_is_a_form_error(officer_client, firm_a):
    response = officer_client.post(admin_url(AuditFirm, "add_staff", firm_a.pk), {"username": "nobody"})

    assert response.status_code == 200
    assert "There is no user “nobody”." in response.content.decode()


def test_auditor_cannot_add_staff(auditor_client, operator_a):
    make_user("newcomer")

    response = auditor_client.post(admin_url(Operator, "add_staff", operator_a.pk), {"username": "newcomer"})

    assert response.status_code == 403
    assert not Group.objects.get(pk=Operator.objects.get(pk=operator_a.pk).staff_group_id).user_set.exists()


# --- Licences -----------------------------------------------------------------------------


def license_data(operator, resources, **overrides):
    data = {
        "number": "LIC-ADMIN-1",
        "operator": operator.pk,
        "resources": [r.pk for r in resources],
        "scope": "人口统计产品",
        "permitted_uses": "统计分析",
        "term_start": (today() - timedelta(days=1)).isoformat(),
        "term_end": (today() + timedelta(days=365)).isoformat(),
        "fee_model": FeeModel.FLAT,
        "fee_terms": "",
        "price_cap": "",
        "conditions": "",
    }
    data.update(overrides)
    return data


def test_officer_registers_a_licence_with_its_resources(officer_client, officer, operator_a, resource):
    response = officer_client.post(admin_url(OperatingLicense, "add"), license_data(operator_a, [resource]))

    assert response.status_code == 302
    license = OperatingLicense.objects.get(number="LIC-ADMIN-1")
    assert list(license.resources.all()) == [resource]
    assert license.status == LicenseStatus.APPLIED
    assert license.history.latest().history_user == officer


def test_licence_of_a_core_grade_resource_is_refused_on_the_form(officer_client, operator_a, resource):
    from catalog.choices import SecurityGrade

    type(resource).objects.filter(pk=resource.pk).update(security_grade=SecurityGrade.CORE)

    response = officer_client.post(admin_url(OperatingLicense, "add"), license_data(operator_a, [resource]))

    assert response.status_code == 200
    assert "cannot be licensed" in response.content.decode()
    assert not OperatingLicense.objects.filter(number="LIC-ADMIN-1").exists()


@pytest.mark.parametrize(
    ("start", "step", "reason", "end"),
    [
        ("applied", "approve", "材料齐全", LicenseStatus.APPROVED),
        ("approved", "activate", "", LicenseStatus.ACTIVE),
        ("active", "suspend", "未按期披露", LicenseStatus.SUSPENDED),
        ("suspended", "resume", "已整改", LicenseStatus.ACTIVE),
        ("active", "revoke", "严重违规", LicenseStatus.REVOKED),
    ],
)
def test_licence_step_changes_state_with_ledger_entry_and_reason(
    officer_client, officer, operator_a, resource, start, step, reason, end
):
    license = apply_for_license(operator_a, [resource], officer)
    path = {"applied": [], "approved": ["approve"], "active": ["approve", "activate"]}
    path["suspended"] = [*path["active"], "suspend"]
    for earlier in path[start]:
        getattr(services, f"license_{earlier}")(license=license, actor=officer, reason="前置步骤")

    response = officer_client.post(step_url(OperatingLicense, license, step), {"reason": reason, "apply": "1"})

    assert response.status_code == 302
    license.refresh_from_db()
    assert license.status == end
    assert LedgerEntry.objects.filter(action=f"license.{step}", object_id=str(license.pk)).exists()
    latest = license.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (officer, reason or step)


def test_licence_revoke_without_reason_changes_nothing(officer_client, license_a):
    response = officer_client.post(step_url(OperatingLicense, license_a, "revoke"), {"reason": "", "apply": "1"})

    assert response.status_code == 200
    license_a.refresh_from_db()
    assert license_a.status == LicenseStatus.ACTIVE


def test_active_licence_is_read_only_in_the_admin(officer_client, license_a):
    response = officer_client.get(admin_url(OperatingLicense, "change", license_a.pk))

    assert "scope" not in response.context["adminform"].form.fields


# --- Products -----------------------------------------------------------------------------


def test_product_page_shows_its_rules(officer_client, submitted_product):
    response = officer_client.get(admin_url(DataProduct, "change", submitted_product.pk))

    assert "Keyed pseudonymization" in response.content.decode()
    assert [str(b["label"]) for b in response.context["workflow_buttons"]] == ["Approve", "Reject"]


def test_officer_approves_a_product(officer_client, officer, submitted_product):
    officer_client.post(step_url(DataProduct, submitted_product, "approve"), {"reason": "脱敏规则完备", "apply": "1"})

    submitted_product.refresh_from_db()
    assert submitted_product.status == ProductStatus.APPROVED
    assert LedgerEntry.objects.filter(action="product.approve", object_id=str(submitted_product.pk)).exists()
    latest = submitted_product.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (officer, "脱敏规则完备")


def test_officer_rejects_a_product_with_reason(officer_client, submitted_product):
    data = {"action": "workflow_reject", "_selected_action": [submitted_product.pk], "apply": "1", "reason": "缺少说明"}
    officer_client.post(admin_url(DataProduct, "changelist"), data)

    submitted_product.refresh_from_db()
    assert (submitted_product.status, submitted_product.status_reason) == (ProductStatus.REJECTED, "缺少说明")
    assert LedgerEntry.objects.filter(action="product.reject", object_id=str(submitted_product.pk)).exists()


def test_product_reject_without_reason_changes_nothing(officer_client, submitted_product):
    response = officer_client.post(step_url(DataProduct, submitted_product, "reject"), {"reason": "", "apply": "1"})

    assert response.status_code == 200
    submitted_product.refresh_from_db()
    assert submitted_product.status == ProductStatus.SUBMITTED


# --- Trades and disclosures ---------------------------------------------------------------


def test_trade_changelist_shows_totals_per_operator_and_product(officer_client, license_a, staff_a, officer):
    product = make_approved_product(license_a, staff_a, officer)
    for price in ("100", "250.50"):
        services.trade_record(product=product, actor=staff_a, buyer="某银行", price=Decimal(price), traded_on=today())

    response = officer_client.get(admin_url(Trade, "changelist"))

    summary = str(response.context["changelist_summary"])
    assert product.name in summary and "350.50" in summary
    assert summary in response.content.decode()  # shown above the list, not only computed


def test_disclosure_changelist_names_operators_that_owe_a_report(officer_client, operator_a, resource, officer):
    _missing, year = services.operators_missing_disclosure()
    # Activated today, within its term: a licence that never took effect would owe no report.
    make_active_license(operator_a, [resource], officer, term_start=date(year, 1, 1), term_end=date(year + 3, 1, 1))

    response = officer_client.get(admin_url(AnnualDisclosure, "changelist"))

    summary = str(response.context["changelist_summary"])
    assert operator_a.name in summary and str(year) in summary


# --- Audits and findings ------------------------------------------------------------------


def test_officer_assigns_an_audit_through_the_service(officer_client, officer, firm_a, operator_a):
    data = {
        "firm": firm_a.pk,
        "operator": operator_a.pk,
        "license": "",
        "period_start": (today() - timedelta(days=30)).isoformat(),
        "period_end": today().isoformat(),
    }

    response = officer_client.post(admin_url(Audit, "add"), data)

    assert response.status_code == 302
    audit = Audit.objects.get(firm=firm_a)
    assert LedgerEntry.objects.filter(action="audit.assign", object_id=str(audit.pk)).exists()
    assert audit.history.latest().history_user == officer


def test_audit_to_a_lapsed_firm_is_refused_on_the_form(officer_client, officer, operator_a):
    lapsed = make_firm(officer, "AUD-OLD", "过期事务所", certified_until=today() - timedelta(days=1))
    data = {"firm": lapsed.pk, "operator": operator_a.pk, "license": ""}
    data.update(period_start=today().isoformat(), period_end=today().isoformat())

    response = officer_client.post(admin_url(Audit, "add"), data)

    assert response.status_code == 200
    assert "certification has lapsed" in response.content.decode()
    assert not Audit.objects.exists()


def test_audit_page_shows_its_findings_read_only(officer_client, audit, finding):
    response = officer_client.get(admin_url(Audit, "change", audit.pk))

    assert finding.description in response.content.decode()
    assert not response.context["has_change_permission"]


def test_officer_closes_a_finding_with_reason(officer_client, officer, finding):
    officer_client.post(step_url(Finding, finding, "close"), {"reason": "整改完成", "apply": "1"})

    finding.refresh_from_db()
    assert finding.status == FindingStatus.CLOSED
    assert LedgerEntry.objects.filter(action="finding.close", object_id=str(finding.pk)).exists()
    latest = finding.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (officer, "整改完成")


def test_finding_close_without_reason_changes_nothing(officer_client, finding):
    response = officer_client.post(step_url(Finding, finding, "close"), {"reason": "", "apply": "1"})

    assert response.status_code == 200
    finding.refresh_from_db()
    assert finding.status == FindingStatus.OPEN


def test_overdue_filter_lists_only_overdue_findings(officer_client, audit, firm_staff_a, finding):
    late = file_finding(audit, firm_staff_a, due_date=today() + timedelta(days=1))
    Finding.objects.filter(pk=late.pk).update(due_date=today() - timedelta(days=1))

    response = officer_client.get(admin_url(Finding, "changelist"), {"overdue": "yes"})

    assert [f.pk for f in response.context["cl"].result_list] == [late.pk]


# --- The auditor reads everything and changes nothing -------------------------------------


@pytest.mark.parametrize("model", ALL_MODELS, **ids)
def test_auditor_views_every_page(auditor_client, world, model):
    assert auditor_client.get(admin_url(model, "changelist")).status_code == 200
    assert auditor_client.get(admin_url(model, "change", world[model].pk)).status_code == 200


def test_auditor_cannot_edit_an_operator(auditor_client, operator_a):
    data = {"name": "改名", "credit_code": operator_a.credit_code, "nature": operator_a.nature, "status": "active"}

    response = auditor_client.post(admin_url(Operator, "change", operator_a.pk), {**data, "contact_name": "x"})

    assert response.status_code == 403
    operator_a.refresh_from_db()
    assert operator_a.name != "改名"


def test_auditor_cannot_take_licence_steps(auditor_client, license_a):
    response = auditor_client.post(step_url(OperatingLicense, license_a, "suspend"), {"reason": "越权", "apply": "1"})

    assert response.status_code == 403
    license_a.refresh_from_db()
    assert license_a.status == LicenseStatus.ACTIVE


def test_auditor_cannot_assign_an_audit(auditor_client, firm_a, operator_a):
    data = {"firm": firm_a.pk, "operator": operator_a.pk, "license": ""}
    data.update(period_start=today().isoformat(), period_end=today().isoformat())

    response = auditor_client.post(admin_url(Audit, "add"), data)

    assert response.status_code == 403
    assert not Audit.objects.exists()


# --- A liaison made staff has no business here --------------------------------------------


def test_staff_liaison_sees_no_licences(client, liaison_a, license_a):
    liaison_a.is_staff = True
    liaison_a.save()
    client.force_login(liaison_a)

    assert client.get(admin_url(OperatingLicense, "changelist")).status_code == 403
    assert client.get(admin_url(OperatingLicense, "change", license_a.pk)).status_code in (302, 403, 404)


# --- Query counts do not grow with rows ---------------------------------------------------


@pytest.fixture
def grow(officer, operator_a, staff_a, firm_a, firm_staff_a, resource, license_a, audit):
    product = make_approved_product(license_a, staff_a, officer)
    years = itertools.count(1900)

    def operators(n):
        for _i in range(n):
            k = next(_serial)
            make_operator(officer, k, f"运营机构{k}")

    def firms(n):
        for _i in range(n):
            k = next(_serial)
            make_firm(officer, f"AUD-{k}", f"事务所{k}")

    def licenses(n):
        for _i in range(n):
            apply_for_license(operator_a, [resource], officer)

    def products(n):
        for _i in range(n):
            make_product(license_a, staff_a)

    def trades(n):
        for _i in range(n):
            services.trade_record(product=product, actor=staff_a, buyer="买方", price=Decimal("10"), traded_on=today())

    def disclosures(n):
        for _i in range(n):
            services.disclosure_file(operator=operator_a, year=next(years), actor=staff_a)

    def audits(n):
        for _i in range(n):
            services.audit_assign(
                firm=firm_a, operator=operator_a, actor=officer, period_start=today(), period_end=today()
            )

    def findings(n):
        for _i in range(n):
            file_finding(audit, firm_staff_a)

    return {
        Operator: operators,
        AuditFirm: firms,
        OperatingLicense: licenses,
        DataProduct: products,
        Trade: trades,
        AnnualDisclosure: disclosures,
        Audit: audits,
        Finding: findings,
    }


@pytest.mark.parametrize("model", ALL_MODELS, **ids)
def test_changelist_query_count_does_not_grow_with_rows(officer_client, grow, model):
    url = admin_url(model, "changelist")
    grow[model](SMALL)
    officer_client.get(url)  # warm the per-process caches

    small = queries_for(officer_client, url)
    grow[model](LARGE - SMALL)
    large = queries_for(officer_client, url)

    assert model.objects.count() >= LARGE
    assert large == small


def test_audit_page_query_count_does_not_grow_with_findings(officer_client, grow, audit):
    url = admin_url(Audit, "change", audit.pk)
    grow[Finding](SMALL)
    officer_client.get(url)

    small = queries_for(officer_client, url)
    grow[Finding](LARGE - SMALL)

    assert queries_for(officer_client, url) == small


def test_licence_page_query_count_does_not_grow_with_resources(officer_client, officer, operator_a, dept_a, liaison_a):
    from tests.operations.conftest import make_licensable_resource

    def license_with(n):
        resources = [make_licensable_resource(dept_a, liaison_a, officer) for _i in range(n)]
        return apply_for_license(operator_a, resources, officer)

    small_url = admin_url(OperatingLicense, "change", license_with(SMALL).pk)
    large_url = admin_url(OperatingLicense, "change", license_with(LARGE).pk)
    officer_client.get(small_url)

    assert queries_for(officer_client, large_url) == queries_for(officer_client, small_url)
