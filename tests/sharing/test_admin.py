"""The bureau's admin for share agreements, usage records and the holiday calendar."""

import itertools
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from sharing import services
from sharing.choices import AgreementStatus, UsageMode
from sharing.models import Holiday, LedgerEntry, ShareAgreement, UsageRecord
from tests.factories import make_published_resource

SMALL, LARGE = 5, 50
_days = itertools.count(1)


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def run_action(client, action, objects, **extra):
    data = {"action": action, "_selected_action": [o.pk for o in objects], **extra}
    return client.post(admin_url(ShareAgreement, "changelist"), data, follow=True)


def messages_of(response):
    return [str(m) for m in response.wsgi_request._messages]


def queries_for(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def duty_data(agreement, **overrides):
    data = {f: getattr(agreement, f) for f in ("requester_duties", "provider_duties", "bureau_duties")}
    data.update(overrides)
    return data


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
def use(liaison_a):
    def run(agreement, mode=UsageMode.QUERY):
        codes = list(agreement.items.values_list("code", flat=True))
        return services.usage_record(agreement=agreement, actor=liaison_a, mode=mode, item_codes=codes, record_count=3)

    return run


@pytest.fixture
def holiday(officer):
    day = Holiday(date=date(2030, 10, 1), name="国庆节")
    day._history_user = officer
    day.save()
    return day


# --- The officer sees every page ----------------------------------------------------------


def test_officer_opens_agreement_list_and_form(officer_client, conditional_submitted):
    assert officer_client.get(admin_url(ShareAgreement, "changelist")).status_code == 200
    response = officer_client.get(admin_url(ShareAgreement, "change", conditional_submitted.pk))
    assert response.status_code == 200
    assert conditional_submitted.items.first().name in response.content.decode()


def test_officer_opens_usage_list_and_record(officer_client, conditional_active, use):
    record = use(conditional_active)
    assert officer_client.get(admin_url(UsageRecord, "changelist")).status_code == 200
    assert officer_client.get(admin_url(UsageRecord, "change", record.pk)).status_code == 200


def test_officer_opens_holiday_list_and_form(officer_client, holiday):
    assert officer_client.get(admin_url(Holiday, "changelist")).status_code == 200
    assert officer_client.get(admin_url(Holiday, "change", holiday.pk)).status_code == 200


def test_officer_cannot_add_or_delete_agreements(officer_client, conditional_submitted):
    assert officer_client.get(admin_url(ShareAgreement, "add")).status_code == 403
    assert officer_client.get(admin_url(ShareAgreement, "delete", conditional_submitted.pk)).status_code == 403


def test_overdue_decision_is_flagged_in_the_list(officer_client, conditional_submitted):
    ShareAgreement.objects.filter(pk=conditional_submitted.pk).update(
        decision_due=timezone.localdate() - timedelta(days=1)
    )

    response = officer_client.get(admin_url(ShareAgreement, "changelist"))

    assert "(overdue)" in response.content.decode()


# --- Workflow steps call the services -----------------------------------------------------


def test_bureau_approve_action_activates_with_ledger_entry_and_reason(
    officer_client, officer, conditional_provider_approved
):
    agreement = conditional_provider_approved

    run_action(officer_client, "workflow_bureau_approve", [agreement], apply="1", reason="符合共享条件")

    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.ACTIVE
    entry = LedgerEntry.objects.get(action="agreement.bureau_approve", object_id=str(agreement.pk))
    assert entry.actor == officer
    latest = agreement.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (officer, "符合共享条件")


def test_bureau_reject_action_rejects_with_reason(officer_client, conditional_provider_approved):
    agreement = conditional_provider_approved

    run_action(officer_client, "workflow_bureau_reject", [agreement], apply="1", reason="用途超出职责")

    agreement.refresh_from_db()
    assert (agreement.status, agreement.status_reason) == (AgreementStatus.BUREAU_REJECTED, "用途超出职责")
    assert LedgerEntry.objects.filter(action="agreement.bureau_reject", object_id=str(agreement.pk)).exists()
    assert agreement.history.latest().history_change_reason == "用途超出职责"


def test_bureau_reject_without_reason_changes_nothing(officer_client, conditional_provider_approved):
    agreement = conditional_provider_approved

    response = run_action(officer_client, "workflow_bureau_reject", [agreement], apply="1", reason=" ")

    assert "Please state a reason for this step." in response.content.decode()
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.PROVIDER_APPROVED
    assert not LedgerEntry.objects.filter(action="agreement.bureau_reject").exists()


def test_bureau_approve_before_the_provider_is_refused_with_the_service_message(officer_client, conditional_submitted):
    response = run_action(officer_client, "workflow_bureau_approve", [conditional_submitted], apply="1", reason="")

    assert "The providing department has not decided yet." in " ".join(messages_of(response))
    conditional_submitted.refresh_from_db()
    assert conditional_submitted.status == AgreementStatus.SUBMITTED


def test_suspend_button_suspends_with_reason(officer_client, officer, conditional_active):
    url = admin_url(ShareAgreement, "workflow", conditional_active.pk, "suspend")

    response = officer_client.post(url, {"reason": "配合专项检查", "apply": "1"})

    assert response.status_code == 302
    conditional_active.refresh_from_db()
    assert conditional_active.status == AgreementStatus.SUSPENDED
    assert LedgerEntry.objects.filter(action="agreement.suspend", object_id=str(conditional_active.pk)).exists()
    latest = conditional_active.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (officer, "配合专项检查")


def test_suspend_button_without_reason_changes_nothing(officer_client, conditional_active):
    url = admin_url(ShareAgreement, "workflow", conditional_active.pk, "suspend")

    response = officer_client.post(url, {"reason": "", "apply": "1"})

    assert response.status_code == 200
    assert response.context["form"].errors
    conditional_active.refresh_from_db()
    assert conditional_active.status == AgreementStatus.ACTIVE


def test_resume_button_resumes_with_reason(officer_client, conditional_suspended):
    url = admin_url(ShareAgreement, "workflow", conditional_suspended.pk, "resume")

    officer_client.post(url, {"reason": "检查结束", "apply": "1"})

    conditional_suspended.refresh_from_db()
    assert conditional_suspended.status == AgreementStatus.ACTIVE
    assert LedgerEntry.objects.filter(action="agreement.resume", object_id=str(conditional_suspended.pk)).exists()
    assert conditional_suspended.history.latest().history_change_reason == "检查结束"


def test_revoke_action_revokes_with_reason(officer_client, conditional_active):
    run_action(officer_client, "workflow_revoke", [conditional_active], apply="1", reason="违规使用")

    conditional_active.refresh_from_db()
    assert (conditional_active.status, conditional_active.status_reason) == (AgreementStatus.REVOKED, "违规使用")
    assert LedgerEntry.objects.filter(
        action="agreement.revoke_by_bureau", object_id=str(conditional_active.pk)
    ).exists()
    assert conditional_active.history.latest().history_change_reason == "违规使用"


def test_grant_exception_records_the_reason_as_legal_basis(officer_client, make_agreement, conditional_resource):
    draft = make_agreement(conditional_resource.items.all())
    url = admin_url(ShareAgreement, "workflow", draft.pk, "grant_exception")

    officer_client.post(url, {"reason": "《统计法》第二十五条", "apply": "1"})

    draft.refresh_from_db()
    assert draft.exception_basis == "《统计法》第二十五条"
    assert LedgerEntry.objects.filter(action="agreement.exception", object_id=str(draft.pk)).exists()
    assert draft.history.latest().history_change_reason == "《统计法》第二十五条"


def test_grant_exception_without_legal_basis_changes_nothing(officer_client, make_agreement, conditional_resource):
    draft = make_agreement(conditional_resource.items.all())

    response = officer_client.post(admin_url(ShareAgreement, "workflow", draft.pk, "grant_exception"), {"apply": "1"})

    assert response.status_code == 200
    draft.refresh_from_db()
    assert draft.exception_basis == ""


def test_change_form_offers_the_steps_of_the_current_state(officer_client, conditional_active):
    response = officer_client.get(admin_url(ShareAgreement, "change", conditional_active.pk))

    labels = [str(b["label"]) for b in response.context["workflow_buttons"]]
    assert labels == ["Suspend", "Revoke"]


# --- The responsibilities clause ----------------------------------------------------------


def test_officer_edits_responsibilities_through_the_service(officer_client, officer, conditional_provider_approved):
    agreement = conditional_provider_approved

    response = officer_client.post(
        admin_url(ShareAgreement, "change", agreement.pk), duty_data(agreement, bureau_duties="按季度开展监督检查。")
    )

    assert response.status_code == 302
    agreement.refresh_from_db()
    assert agreement.bureau_duties == "按季度开展监督检查。"
    assert agreement.history.latest().history_user == officer
    assert LedgerEntry.objects.filter(action="agreement.responsibilities", object_id=str(agreement.pk)).exists()


def test_blank_responsibilities_are_refused_on_the_form(officer_client, conditional_provider_approved):
    agreement = conditional_provider_approved
    before = agreement.requester_duties

    response = officer_client.post(
        admin_url(ShareAgreement, "change", agreement.pk), duty_data(agreement, requester_duties="  ")
    )

    assert response.status_code == 200
    assert "Each party&#x27;s responsibilities must be written down." in response.content.decode()
    agreement.refresh_from_db()
    assert agreement.requester_duties == before


def test_responsibilities_of_an_active_agreement_are_read_only(officer_client, conditional_active):
    before = conditional_active.bureau_duties

    response = officer_client.post(
        admin_url(ShareAgreement, "change", conditional_active.pk), duty_data(conditional_active, bureau_duties="改")
    )

    assert response.status_code == 403
    conditional_active.refresh_from_db()
    assert conditional_active.bureau_duties == before


# --- The auditor reads and changes nothing ------------------------------------------------


def test_auditor_views_agreements_and_usage(auditor_client, conditional_active, use):
    record = use(conditional_active)
    for url in (
        admin_url(ShareAgreement, "changelist"),
        admin_url(ShareAgreement, "change", conditional_active.pk),
        admin_url(UsageRecord, "changelist"),
        admin_url(UsageRecord, "change", record.pk),
        admin_url(Holiday, "changelist"),
    ):
        assert auditor_client.get(url).status_code == 200, url


def test_auditor_cannot_edit_responsibilities(auditor_client, conditional_provider_approved):
    agreement = conditional_provider_approved
    before = agreement.bureau_duties

    response = auditor_client.post(
        admin_url(ShareAgreement, "change", agreement.pk), duty_data(agreement, bureau_duties="改")
    )

    assert response.status_code == 403
    agreement.refresh_from_db()
    assert agreement.bureau_duties == before


def test_auditor_cannot_run_workflow_steps(auditor_client, conditional_active):
    response = auditor_client.post(
        admin_url(ShareAgreement, "workflow", conditional_active.pk, "suspend"), {"reason": "越权", "apply": "1"}
    )
    listing = auditor_client.get(admin_url(ShareAgreement, "changelist"))

    assert response.status_code == 403
    action_form = listing.context["action_form"]
    offered = dict(action_form.fields["action"].choices) if action_form else {}
    assert not any(name.startswith("workflow_") for name in offered)
    conditional_active.refresh_from_db()
    assert conditional_active.status == AgreementStatus.ACTIVE


def test_auditor_cannot_add_a_holiday(auditor_client):
    response = auditor_client.post(admin_url(Holiday, "add"), {"date": "2030-05-01", "name": "劳动节"})

    assert response.status_code == 403
    assert not Holiday.objects.exists()


# --- A liaison made staff sees their department's agreements only ------------------------


@pytest.fixture
def staff_liaison_c(liaison_c):
    liaison_c.is_staff = True
    liaison_c.save()
    return liaison_c


def test_staff_liaison_sees_only_agreements_of_their_department(
    client, liaison_a, dept_c, liaison_c, make_agreement, conditional_resource, staff_liaison_c
):
    own = make_agreement(conditional_resource.items.all(), actor=liaison_c)
    foreign = make_agreement(conditional_resource.items.all(), actor=liaison_a)
    client.force_login(staff_liaison_c)

    response = client.get(admin_url(ShareAgreement, "changelist"))
    opened = client.get(admin_url(ShareAgreement, "change", foreign.pk))

    assert response.status_code == 200
    shown = list(response.context["cl"].result_list)
    assert own in shown and foreign not in shown
    assert opened.status_code in (302, 404)
    if opened.status_code == 302:
        assert opened.url == reverse("admin:index")


def test_staff_liaison_sees_only_usage_of_their_department(client, conditional_active, use, staff_liaison_c):
    record = use(conditional_active)
    client.force_login(staff_liaison_c)

    response = client.get(admin_url(UsageRecord, "changelist"))
    opened = client.get(admin_url(UsageRecord, "change", record.pk))

    assert list(response.context["cl"].result_list) == []
    assert opened.status_code in (302, 403, 404)


def test_staff_liaison_cannot_take_bureau_steps(client, liaison_b, conditional_provider_approved):
    liaison_b.is_staff = True
    liaison_b.save()
    client.force_login(liaison_b)

    response = client.post(
        admin_url(ShareAgreement, "workflow", conditional_provider_approved.pk, "bureau_approve"), {"apply": "1"}
    )

    assert response.status_code == 403
    conditional_provider_approved.refresh_from_db()
    assert conditional_provider_approved.status == AgreementStatus.PROVIDER_APPROVED


# --- The calendar -------------------------------------------------------------------------


def test_officer_adds_a_holiday_with_history_attributed(officer_client, officer):
    response = officer_client.post(
        admin_url(Holiday, "add"), {"date": "2030-05-01", "name": "劳动节", "is_working_day": ""}
    )

    assert response.status_code == 302
    holiday = Holiday.objects.get(date=date(2030, 5, 1))
    assert holiday.history.latest().history_user == officer


def test_officer_deletes_a_holiday_with_history_attributed(officer_client, officer, holiday):
    officer_client.post(admin_url(Holiday, "delete", holiday.pk), {"post": "yes"})

    assert not Holiday.objects.exists()
    assert Holiday.history.filter(history_type="-").get().history_user == officer


# --- Query counts do not grow with rows ---------------------------------------------------


@pytest.fixture
def grow(make_agreement, conditional_resource, liaison_a, officer, reach, use):
    items = list(conditional_resource.items.all())

    def agreements(n):
        for _i in range(n):
            services.agreement_submit(agreement=make_agreement(items), actor=liaison_a)

    def usage(n):
        active = reach(AgreementStatus.ACTIVE)
        for _i in range(n):
            use(active)

    def holidays(n):
        for _i in range(n):
            day = Holiday(date=date(2031, 1, 1) + timedelta(days=next(_days)), name="假日")
            day._history_user = officer
            day.save()

    return {ShareAgreement: agreements, UsageRecord: usage, Holiday: holidays}


@pytest.mark.parametrize("model", [ShareAgreement, UsageRecord, Holiday], ids=lambda m: m._meta.model_name)
def test_changelist_query_count_does_not_grow_with_rows(officer_client, grow, model):
    url = admin_url(model, "changelist")
    grow[model](SMALL)
    officer_client.get(url)  # warm the per-process caches

    small = queries_for(officer_client, url)
    grow[model](LARGE - SMALL)
    large = queries_for(officer_client, url)

    assert model.objects.count() >= LARGE
    assert large == small


def test_staff_liaison_changelist_query_count_does_not_grow_with_rows(client, grow, liaison_a):
    liaison_a.is_staff = True
    liaison_a.save()
    client.force_login(liaison_a)
    url = admin_url(ShareAgreement, "changelist")
    grow[ShareAgreement](SMALL)
    client.get(url)

    small = queries_for(client, url)
    grow[ShareAgreement](LARGE - SMALL)
    large = queries_for(client, url)

    assert large == small


def test_agreement_change_form_query_count_does_not_grow_with_items(
    officer_client, make_agreement, dept_b, liaison_b, officer, liaison_a
):
    def submitted_with(n):
        resource = make_published_resource(dept_b, liaison_b, officer, items=n)
        agreement = make_agreement(resource.items.all())
        return services.agreement_submit(agreement=agreement, actor=liaison_a)

    small_url = admin_url(ShareAgreement, "change", submitted_with(SMALL).pk)
    large_url = admin_url(ShareAgreement, "change", submitted_with(LARGE).pk)
    officer_client.get(small_url)

    assert queries_for(officer_client, large_url) == queries_for(officer_client, small_url)
