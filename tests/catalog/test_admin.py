"""The bureau officers' admin: permissions, service-layer writes, workflow actions, read-only ledger."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.urls import reverse
from django.utils import translation

from catalog import services
from catalog.choices import ClaimStatus, OpenType, ResourceStatus, SecurityGrade, ShareType, SubjectCategory
from catalog.models import DataElement, DataItem, DataResource, Department, Duty, InformationSystem, SourceAssignment
from catalog.models import User as UserModel
from govdata.admin import EstimatedCountPaginator
from govdata.permissions import can
from govdata.roles import Role
from sharing.models import LedgerEntry
from tests.factories import make_duty, make_element, make_published_resource, make_resource, make_system

# --- Helpers ------------------------------------------------------------------------------


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def action_names(response):
    action_form = response.context["action_form"]
    return set(dict(action_form.fields["action"].choices)) if action_form else set()


def messages_of(response):
    return [str(m) for m in response.wsgi_request._messages]


def resource_post_data(resource, items=(), **overrides):
    """The POST body of the resource change form: the resource's fields and its item rows."""
    data = {
        "catalogue_code": resource.catalogue_code,
        "name": resource.name,
        "summary": resource.summary,
        "department": resource.department_id,
        "source_system": resource.source_system_id or "",
        "subject": resource.subject,
        "security_grade": resource.security_grade,
        "personal_info": resource.personal_info,
        "share_type": resource.share_type,
        "share_conditions": resource.share_conditions,
        "not_shared_basis": resource.not_shared_basis,
        "open_type": resource.open_type,
        "update_frequency": resource.update_frequency,
        "format": resource.format,
        "aggregation_mode": resource.aggregation_mode,
    }
    rows = list(items)
    existing = [r for r in rows if r.get("id")]
    data.update(
        {
            "items-TOTAL_FORMS": str(len(rows)),
            "items-INITIAL_FORMS": str(len(existing)),
            "items-MIN_NUM_FORMS": "0",
            "items-MAX_NUM_FORMS": "1000",
        }
    )
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"items-{i}-{key}"] = value
        data.setdefault(f"items-{i}-resource", resource.pk or "")
    data.update(overrides)
    return data


def item_row(item=None, **fields):
    row = {
        "code": item.code if item else "",
        "name": item.name if item else "",
        "data_type": item.data_type if item else "string",
        "length": "",
        "security_grade": item.security_grade if item else SecurityGrade.GENERAL,
        "personal_info": item.personal_info if item else "none",
        "share_type": item.share_type if item else ShareType.UNCONDITIONAL,
        "open_type": item.open_type if item else OpenType.NOT_OPEN,
        "element": (item.element_id or "") if item else "",
    }
    if item is not None:
        row["id"] = item.pk
        if item.is_core_item:
            row["is_core_item"] = "on"
    row.update(fields)
    return row


def existing_item_rows(resource):
    return [item_row(i) for i in resource.items.order_by("id")]


@pytest.fixture(autouse=True)
def english(settings):
    # The assertions compare English source strings; the site's default language is zh-hans.
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
def staff_liaison_a(liaison_a):
    liaison_a.is_staff = True
    liaison_a.save()
    return liaison_a


@pytest.fixture
def draft(dept_a, liaison_a):
    return make_resource(dept_a, liaison_a, items=2)


@pytest.fixture
def submitted(dept_a, liaison_a):
    resource = make_resource(dept_a, liaison_a, items=2)
    return services.resource_submit(resource=resource, actor=liaison_a)


@pytest.fixture
def published(dept_a, liaison_a, officer):
    return make_published_resource(dept_a, liaison_a, officer)


@pytest.fixture
def claim(dept_a, liaison_a):
    return services.source_claim(
        element=make_element(), department=dept_a, actor=liaison_a, legal_basis="《居民身份证法》第三条"
    )


@pytest.fixture
def catalogue(dept_a, dept_b, liaison_a, officer, draft, submitted, published, claim):
    """One object of every model, so every admin page has something to show."""
    system = make_system(dept_a, liaison_a)
    make_duty(dept_a, liaison_a, systems=[system])
    return {
        Department: dept_a,
        UserModel: liaison_a,
        InformationSystem: system,
        Duty: Duty.objects.get(department=dept_a),
        DataElement: claim.element,
        DataResource: draft,
        DataItem: draft.items.first(),
        SourceAssignment: claim,
        LedgerEntry: LedgerEntry.objects.order_by("seq").first(),
    }


ALL_MODELS = [Department, UserModel, InformationSystem, Duty, DataElement, DataResource, DataItem, SourceAssignment]
VIEWABLE_MODELS = [*ALL_MODELS, LedgerEntry]


def run_action(client, model, action, objects, **extra):
    """Post an action as the intermediate page does (no "index": Django's confirmation path)."""
    data = {"action": action, "_selected_action": [o.pk for o in objects], **extra}
    return client.post(admin_url(model, "changelist"), data, follow=True)


# --- The officer sees every page ----------------------------------------------------------


@pytest.mark.parametrize("model", VIEWABLE_MODELS, ids=lambda m: m._meta.model_name)
def test_officer_opens_every_changelist(officer_client, catalogue, model):
    assert officer_client.get(admin_url(model, "changelist")).status_code == 200


@pytest.mark.parametrize("model", VIEWABLE_MODELS, ids=lambda m: m._meta.model_name)
def test_officer_opens_every_change_form(officer_client, catalogue, model):
    assert officer_client.get(admin_url(model, "change", catalogue[model].pk)).status_code == 200


@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda m: m._meta.model_name)
def test_officer_opens_every_add_form(officer_client, catalogue, model):
    assert officer_client.get(admin_url(model, "add")).status_code == 200


@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda m: m._meta.model_name)
def test_officer_opens_every_history_page(officer_client, catalogue, model):
    assert officer_client.get(admin_url(model, "history", catalogue[model].pk)).status_code == 200


def test_officer_searches_resources_by_code_and_name(officer_client, dept_a, liaison_a):
    wanted = make_resource(dept_a, liaison_a, catalogue_code="PSB-0001", name="人口基本信息")
    other = make_resource(dept_a, liaison_a, catalogue_code="PSB-0002", name="车辆登记")

    by_code = officer_client.get(admin_url(DataResource, "changelist"), {"q": "PSB-0001"})
    by_name = officer_client.get(admin_url(DataResource, "changelist"), {"q": "人口"})
    by_inner_fragment = officer_client.get(admin_url(DataResource, "changelist"), {"q": "基本信"})

    for response in (by_code, by_name, by_inner_fragment):
        shown = list(response.context["cl"].result_list)
        assert shown == [wanted] and other not in shown


def test_resource_changelist_counts_items_by_annotation(officer_client, dept_a, liaison_a):
    resource = make_resource(dept_a, liaison_a, items=3)

    response = officer_client.get(admin_url(DataResource, "changelist"))

    (row,) = response.context["cl"].result_list
    assert row.pk == resource.pk and row.item_count == 3


def test_element_changelist_shows_confirmed_source_department(officer_client, claim, officer):
    services.source_confirm(assignment=claim, actor=officer)

    response = officer_client.get(admin_url(DataElement, "changelist"))

    (row,) = response.context["cl"].result_list
    assert row.confirmed_source_name == claim.department.name
    assert claim.department.name in response.content.decode()


# --- Admin edits go through the services --------------------------------------------------


def test_admin_edit_of_resource_is_recorded_with_the_officer(officer_client, officer, draft):
    data = resource_post_data(draft, existing_item_rows(draft), name="人口基本信息（修订）")

    response = officer_client.post(admin_url(DataResource, "change", draft.pk), data)

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.name == "人口基本信息（修订）"
    latest = draft.history.latest()
    assert latest.history_user == officer


def test_admin_edit_adds_and_deletes_items_in_one_service_call(officer_client, officer, draft):
    kept, dropped = draft.items.order_by("id")
    rows = [item_row(kept), item_row(dropped, DELETE="on"), item_row(code="NEW", name="新字段")]

    response = officer_client.post(admin_url(DataResource, "change", draft.pk), resource_post_data(draft, rows))

    assert response.status_code == 302
    assert set(draft.items.values_list("code", flat=True)) == {kept.code, "NEW"}
    new_item = draft.items.get(code="NEW")
    assert new_item.history.latest().history_user == officer
    assert DataItem.history.filter(id=dropped.pk, history_type="-").get().history_user == officer


def test_admin_add_of_resource_grants_the_owning_department(officer_client, dept_a, liaison_a):
    resource = DataResource(
        catalogue_code="PSB-NEW",
        name="新资源",
        department=dept_a,
        subject=SubjectCategory.DEPARTMENTAL,
        share_type=ShareType.UNCONDITIONAL,
        update_frequency="daily",
    )
    data = resource_post_data(resource, [item_row(code="F1", name="字段1")])

    response = officer_client.post(admin_url(DataResource, "add"), data)

    assert response.status_code == 302
    created = DataResource.objects.get(catalogue_code="PSB-NEW")
    assert created.items.count() == 1
    assert can(liaison_a, "change", created)


def test_admin_edit_of_duty_links_systems_through_the_service(officer_client, officer, dept_a, liaison_a):
    duty = make_duty(dept_a, liaison_a)
    system = make_system(dept_a, liaison_a)
    data = {"department": dept_a.pk, "code": duty.code, "name": duty.name, "origin": duty.origin, "power_kind": ""}

    response = officer_client.post(admin_url(Duty, "change", duty.pk), {**data, "systems": [system.pk]})

    assert response.status_code == 302
    assert list(duty.systems.all()) == [system]
    assert duty.history.latest().history_user == officer


def test_admin_edit_of_user_department_moves_liaison_group(officer_client, officer, liaison_a, dept_b):
    liaison_role = Group.objects.get(name=Role.LIAISON)
    data = {
        "username": liaison_a.username,
        "first_name": "",
        "last_name": "",
        "email": "",
        "department": dept_b.pk,
        "is_active": "on",
        "groups": [liaison_role.pk],
        "last_login_0": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }

    response = officer_client.post(admin_url(UserModel, "change", liaison_a.pk), data)

    assert response.status_code == 302
    names = set(liaison_a.groups.values_list("name", flat=True))
    assert names == {Role.LIAISON.value, f"dept:{dept_b.code}"}
    assert liaison_a.history.latest().history_user == officer


def test_admin_edit_of_a_single_item_goes_through_the_resource_service(officer_client, officer, draft):
    item = draft.items.order_by("id").first()
    data = {**item_row(item, name="改名字段"), "description": ""}
    data.pop("id")

    response = officer_client.post(admin_url(DataItem, "change", item.pk), data)

    assert response.status_code == 302
    item.refresh_from_db()
    assert item.name == "改名字段"
    assert item.history.latest().history_user == officer


def test_admin_delete_of_an_item_goes_through_the_resource_service(officer_client, officer, draft):
    item = draft.items.order_by("id").first()

    response = officer_client.post(admin_url(DataItem, "delete", item.pk), {"post": "yes"})

    assert response.status_code == 302
    assert not DataItem.objects.filter(pk=item.pk).exists()
    assert DataItem.history.filter(id=item.pk, history_type="-").get().history_user == officer


def test_admin_add_of_a_claim_goes_through_the_claim_service(officer_client, officer, dept_a):
    element = make_element()
    data = {"element": element.pk, "department": dept_a.pk, "resource": "", "legal_basis": "《统计法》"}

    response = officer_client.post(admin_url(SourceAssignment, "add"), data)

    claim = SourceAssignment.objects.get(element=element)
    assert response.status_code == 302
    assert response.url.startswith(admin_url(SourceAssignment, "changelist"))
    assert (claim.status, claim.claimed_by) == (ClaimStatus.CLAIMED, officer)
    assert LedgerEntry.objects.filter(action="source.claim", object_id=str(claim.pk)).exists()


def test_claims_cannot_be_edited_in_the_admin(officer_client, claim):
    response = officer_client.post(admin_url(SourceAssignment, "change", claim.pk), {"legal_basis": "改写"})

    assert response.status_code == 403
    claim.refresh_from_db()
    assert claim.legal_basis != "改写"


def test_admin_add_of_an_element_is_recorded_with_the_officer(officer_client, officer):
    data = {"code": "DE-ID", "name": "公民身份号码", "definition": "", "format": "c18"}

    response = officer_client.post(admin_url(DataElement, "add"), data)

    assert response.status_code == 302
    element = DataElement.objects.get(code="DE-ID")
    assert element.history.get().history_user == officer


def test_history_page_shows_changed_duty_links(officer_client, officer, draft, dept_a, liaison_a):
    duty = make_duty(dept_a, liaison_a)
    services.resource_save(resource=draft, actor=officer, duties=[duty])

    response = officer_client.get(admin_url(DataResource, "history", draft.pk))

    assert response.status_code == 200
    newest = response.context["page_obj"].object_list[0]
    duties_label = DataResource._meta.get_field("duties").verbose_name
    assert [str(c["field"]).lower() for c in newest.history_delta_changes] == [str(duties_label).lower()]
    assert str(duty) in response.content.decode()


def test_user_form_offers_only_the_five_roles(officer_client, liaison_a):
    response = officer_client.get(admin_url(UserModel, "change", liaison_a.pk))

    offered = set(response.context["adminform"].form.fields["groups"].queryset.values_list("name", flat=True))
    assert offered == set(Role.values)


def test_officer_cannot_make_a_superuser(officer_client, liaison_a):
    response = officer_client.get(admin_url(UserModel, "change", liaison_a.pk))

    assert "is_superuser" not in response.context["adminform"].form.fields


def test_officer_cannot_change_a_superuser(officer_client):
    root = UserModel.objects.create_superuser("root", password="x-y-z-123456")

    response = officer_client.post(admin_url(UserModel, "change", root.pk), {"username": "taken-over"})

    assert response.status_code == 403
    root.refresh_from_db()
    assert root.username == "root"


# --- Bad input: a message on the page, nothing saved --------------------------------------


def test_conditional_sharing_without_conditions_is_a_form_error(officer_client, draft):
    data = resource_post_data(draft, existing_item_rows(draft), share_type=ShareType.CONDITIONAL, share_conditions="")

    response = officer_client.post(admin_url(DataResource, "change", draft.pk), data)

    assert response.status_code == 200
    assert "share_conditions" in response.context["adminform"].form.errors
    draft.refresh_from_db()
    assert draft.share_type == ShareType.UNCONDITIONAL


def test_opening_a_core_grade_resource_is_a_form_error(officer_client, draft):
    data = resource_post_data(
        draft, existing_item_rows(draft), security_grade=SecurityGrade.CORE, open_type=OpenType.UNCONDITIONAL
    )

    response = officer_client.post(admin_url(DataResource, "change", draft.pk), data)

    assert response.status_code == 200
    assert "open_type" in response.context["adminform"].form.errors
    draft.refresh_from_db()
    assert (draft.security_grade, draft.open_type) == (SecurityGrade.GENERAL, OpenType.NOT_OPEN)


def test_core_item_in_an_opened_resource_is_a_formset_error(officer_client, draft):
    rows = [*existing_item_rows(draft), item_row(code="SECRET", name="核心字段", security_grade=SecurityGrade.CORE)]
    data = resource_post_data(draft, rows, open_type=OpenType.UNCONDITIONAL)

    response = officer_client.post(admin_url(DataResource, "change", draft.pk), data)

    assert response.status_code == 200
    (inline,) = response.context["inline_admin_formsets"]
    assert "Core-grade data cannot be opened." in " ".join(inline.formset.non_form_errors())
    draft.refresh_from_db()
    assert draft.open_type == OpenType.NOT_OPEN
    assert not draft.items.filter(code="SECRET").exists()


def test_duplicate_item_codes_are_a_formset_error(officer_client, draft):
    first, second = draft.items.order_by("id")
    data = resource_post_data(draft, [item_row(first), item_row(second, code=first.code)])

    response = officer_client.post(admin_url(DataResource, "change", draft.pk), data)

    assert response.status_code == 200
    (inline,) = response.context["inline_admin_formsets"]
    assert inline.formset.non_form_errors() or any(f.errors for f in inline.formset.forms)
    assert set(draft.items.values_list("code", flat=True)) == {first.code, second.code}


def test_new_resource_without_share_type_is_a_form_error_not_a_crash(officer_client, dept_a):
    resource = DataResource(catalogue_code="PSB-X", name="x", department=dept_a, subject=SubjectCategory.DEPARTMENTAL)
    data = resource_post_data(resource, [item_row(code="F1", name="字段1")], share_type="", update_frequency="daily")

    response = officer_client.post(admin_url(DataResource, "add"), data)

    assert response.status_code == 200
    assert "share_type" in response.context["adminform"].form.errors
    assert not DataResource.objects.filter(catalogue_code="PSB-X").exists()


def test_service_refusal_is_shown_on_the_form(officer_client, dept_a, dept_b, liaison_a, liaison_b):
    duty = make_duty(dept_a, liaison_a)
    foreign_system = make_system(dept_b, liaison_b)
    data = {"department": dept_a.pk, "code": duty.code, "name": "改名", "origin": duty.origin, "power_kind": ""}

    response = officer_client.post(admin_url(Duty, "change", duty.pk), {**data, "systems": [foreign_system.pk]})

    assert response.status_code == 200
    assert "A duty can only be linked to systems of its own department." in str(
        response.context["adminform"].form.errors
    )
    duty.refresh_from_db()
    assert duty.name != "改名" and not duty.systems.exists()


def test_editing_a_retired_resource_is_refused_on_the_form(officer_client, officer, published):
    services.resource_retire(resource=published, actor=officer, reason="停止采集")
    data = resource_post_data(published, existing_item_rows(published), name="复活")

    response = officer_client.post(admin_url(DataResource, "change", published.pk), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors()
    published.refresh_from_db()
    assert published.name != "复活"


# --- Workflow actions call the services ---------------------------------------------------


def test_action_first_asks_for_the_reason(officer_client, submitted):
    response = officer_client.post(
        admin_url(DataResource, "changelist"),
        {"action": "workflow_return", "_selected_action": [submitted.pk], "index": "0"},
    )

    assert response.status_code == 200
    assert "reason" in response.context["form"].fields
    submitted.refresh_from_db()
    assert submitted.status == ResourceStatus.SUBMITTED


def test_publish_action_publishes_with_ledger_entry_and_reason(officer_client, officer, submitted):
    response = run_action(officer_client, DataResource, "workflow_publish", [submitted], apply="1", reason="审核通过")

    assert response.status_code == 200
    submitted.refresh_from_db()
    assert submitted.status == ResourceStatus.PUBLISHED
    entry = LedgerEntry.objects.filter(action="resource.publish", object_id=str(submitted.pk)).get()
    assert entry.actor == officer
    latest = submitted.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (officer, "审核通过")


def test_return_action_returns_with_reason(officer_client, officer, submitted):
    run_action(officer_client, DataResource, "workflow_return", [submitted], apply="1", reason="缺少更新周期说明")

    submitted.refresh_from_db()
    assert (submitted.status, submitted.return_reason) == (ResourceStatus.DRAFT, "缺少更新周期说明")
    assert LedgerEntry.objects.filter(action="resource.return", object_id=str(submitted.pk)).exists()
    assert submitted.history.latest().history_change_reason == "缺少更新周期说明"


def test_return_action_without_reason_is_refused_and_changes_nothing(officer_client, submitted):
    response = run_action(officer_client, DataResource, "workflow_return", [submitted], apply="1", reason="  ")

    assert response.status_code == 200
    assert "Please state a reason for this step." in response.content.decode()
    submitted.refresh_from_db()
    assert submitted.status == ResourceStatus.SUBMITTED
    assert not LedgerEntry.objects.filter(action="resource.return").exists()


def test_retire_action_retires_with_reason(officer_client, officer, published):
    run_action(officer_client, DataResource, "workflow_retire", [published], apply="1", reason="系统停用")

    published.refresh_from_db()
    assert published.status == ResourceStatus.RETIRED
    assert LedgerEntry.objects.filter(action="resource.retire", object_id=str(published.pk)).exists()
    assert published.history.latest().history_change_reason == "系统停用"


def test_action_reports_refusals_and_applies_the_others(officer_client, submitted, draft):
    response = run_action(officer_client, DataResource, "workflow_publish", [submitted, draft], apply="1", reason="")

    submitted.refresh_from_db()
    draft.refresh_from_db()
    assert (submitted.status, draft.status) == (ResourceStatus.PUBLISHED, ResourceStatus.DRAFT)
    shown = " ".join(messages_of(response))
    assert "done for 1 object" in shown
    assert str(draft) in shown and "not possible" in shown


def test_confirm_action_confirms_the_claim(officer_client, officer, claim):
    run_action(officer_client, SourceAssignment, "workflow_confirm", [claim], apply="1", reason="法定采集部门")

    claim.refresh_from_db()
    assert (claim.status, claim.decided_by) == (ClaimStatus.CONFIRMED, officer)
    assert LedgerEntry.objects.filter(action="source.confirm", object_id=str(claim.pk)).exists()
    assert claim.history.latest().history_change_reason == "法定采集部门"


def test_reject_action_rejects_with_reason(officer_client, claim):
    run_action(officer_client, SourceAssignment, "workflow_reject", [claim], apply="1", reason="非法定采集部门")

    claim.refresh_from_db()
    assert (claim.status, claim.decision_reason) == (ClaimStatus.REJECTED, "非法定采集部门")
    assert LedgerEntry.objects.filter(action="source.reject", object_id=str(claim.pk)).exists()
    assert claim.history.latest().history_change_reason == "非法定采集部门"


def test_reject_action_without_reason_changes_nothing(officer_client, claim):
    response = run_action(officer_client, SourceAssignment, "workflow_reject", [claim], apply="1", reason="")

    assert "Please state a reason for this step." in response.content.decode()
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.CLAIMED


def test_change_form_offers_the_steps_of_the_current_state(officer_client, submitted):
    response = officer_client.get(admin_url(DataResource, "change", submitted.pk))

    labels = [str(b["label"]) for b in response.context["workflow_buttons"]]
    assert labels == ["Publish", "Return to the department"]


def test_change_form_button_applies_the_step_with_reason(officer_client, officer, submitted):
    url = admin_url(DataResource, "workflow", submitted.pk, "return")

    page = officer_client.get(url)
    response = officer_client.post(url, {"reason": "请补充字段说明", "apply": "1"})

    assert page.status_code == 200
    assert response.status_code == 302 and response.url == admin_url(DataResource, "change", submitted.pk)
    submitted.refresh_from_db()
    assert (submitted.status, submitted.return_reason) == (ResourceStatus.DRAFT, "请补充字段说明")


def test_change_form_button_without_reason_changes_nothing(officer_client, published):
    response = officer_client.post(admin_url(DataResource, "workflow", published.pk, "retire"), {"apply": "1"})

    assert response.status_code == 200
    assert response.context["form"].errors
    published.refresh_from_db()
    assert published.status == ResourceStatus.PUBLISHED


# --- The auditor reads everything and changes nothing -------------------------------------


@pytest.mark.parametrize("model", VIEWABLE_MODELS, ids=lambda m: m._meta.model_name)
def test_auditor_views_changelists_and_change_forms(auditor_client, catalogue, model):
    assert auditor_client.get(admin_url(model, "changelist")).status_code == 200
    assert auditor_client.get(admin_url(model, "change", catalogue[model].pk)).status_code == 200


def test_auditor_cannot_change_a_resource(auditor_client, draft):
    data = resource_post_data(draft, existing_item_rows(draft), name="审计改名")

    response = auditor_client.post(admin_url(DataResource, "change", draft.pk), data)

    assert response.status_code == 403
    draft.refresh_from_db()
    assert draft.name != "审计改名"


def test_auditor_cannot_add_a_resource(auditor_client, dept_a):
    resource = DataResource(catalogue_code="AUD-1", name="x", department=dept_a, subject="departmental")

    response = auditor_client.post(admin_url(DataResource, "add"), resource_post_data(resource))

    assert response.status_code == 403
    assert not DataResource.objects.filter(catalogue_code="AUD-1").exists()


def test_auditor_cannot_delete_an_item(auditor_client, draft):
    item = draft.items.first()

    response = auditor_client.post(admin_url(DataItem, "delete", item.pk), {"post": "yes"})

    assert response.status_code == 403
    assert DataItem.objects.filter(pk=item.pk).exists()


def test_auditor_cannot_run_workflow_actions(auditor_client, submitted):
    run_action(auditor_client, DataResource, "workflow_publish", [submitted], apply="1", reason="x")
    response = auditor_client.post(admin_url(DataResource, "workflow", submitted.pk, "publish"), {"apply": "1"})

    assert response.status_code == 403
    submitted.refresh_from_db()
    assert submitted.status == ResourceStatus.SUBMITTED


def test_auditor_cannot_revert_through_the_history_page(auditor_client, draft):
    version = draft.history.earliest()
    url = reverse("admin:catalog_dataresource_simple_history", args=[draft.pk, version.history_id])
    data = resource_post_data(draft, name="回滚")

    response = auditor_client.post(url, data)

    assert response.status_code == 403
    draft.refresh_from_db()
    assert draft.name != "回滚"


def test_officer_cannot_revert_through_the_history_page(officer_client, draft):
    version = draft.history.earliest()
    url = reverse("admin:catalog_dataresource_simple_history", args=[draft.pk, version.history_id])

    response = officer_client.post(url, resource_post_data(draft, name="回滚"))

    assert response.status_code == 403
    draft.refresh_from_db()
    assert draft.name != "回滚"


# --- A liaison in the admin sees what permissions.py lets them see ------------------------


def test_staff_liaison_sees_only_own_department_resources(client, staff_liaison_a, draft, dept_b, liaison_b):
    foreign = make_resource(dept_b, liaison_b)
    client.force_login(staff_liaison_a)

    response = client.get(admin_url(DataResource, "changelist"))

    assert response.status_code == 200
    shown = list(response.context["cl"].result_list)
    assert draft in shown and foreign not in shown


def test_staff_liaison_cannot_open_another_department_draft(client, staff_liaison_a, dept_b, liaison_b):
    foreign = make_resource(dept_b, liaison_b)
    client.force_login(staff_liaison_a)

    response = client.get(admin_url(DataResource, "change", foreign.pk))
    history = client.get(admin_url(DataResource, "history", foreign.pk))

    assert response.status_code in (302, 404)
    if response.status_code == 302:
        assert response.url == reverse("admin:index")
    assert history.status_code in (403, 404)


def test_staff_liaison_cannot_open_another_department_version(client, staff_liaison_a, dept_b, liaison_b):
    foreign = make_resource(dept_b, liaison_b)
    version = foreign.history.earliest()
    client.force_login(staff_liaison_a)

    response = client.get(reverse("admin:catalog_dataresource_simple_history", args=[foreign.pk, version.history_id]))

    assert response.status_code == 403


def test_staff_liaison_cannot_change_another_department_draft(client, staff_liaison_a, dept_b, liaison_b):
    foreign = make_resource(dept_b, liaison_b)
    client.force_login(staff_liaison_a)

    response = client.post(admin_url(DataResource, "change", foreign.pk), resource_post_data(foreign, name="越权"))

    assert response.status_code in (302, 403, 404)
    foreign.refresh_from_db()
    assert foreign.name != "越权"


def test_staff_liaison_autocomplete_offers_only_own_systems(client, staff_liaison_a, dept_a, dept_b, liaison_b):
    own = make_system(dept_a, staff_liaison_a)
    make_system(dept_b, liaison_b)
    client.force_login(staff_liaison_a)

    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "catalog", "model_name": "dataresource", "field_name": "source_system", "term": ""},
    )

    assert [r["id"] for r in response.json()["results"]] == [str(own.pk)]


def test_staff_liaison_has_no_workflow_actions(client, staff_liaison_a, draft):
    client.force_login(staff_liaison_a)

    response = client.get(admin_url(DataResource, "changelist"))

    assert not any(name.startswith("workflow_") for name in action_names(response))


# --- The ledger is read-only --------------------------------------------------------------


def test_ledger_admin_refuses_add_even_for_officer(officer_client, catalogue):
    assert officer_client.get(admin_url(LedgerEntry, "add")).status_code == 403


def test_ledger_admin_refuses_change_even_for_officer(officer_client, catalogue):
    entry = catalogue[LedgerEntry]

    response = officer_client.post(admin_url(LedgerEntry, "change", entry.pk), {"action": "forged"})

    assert response.status_code == 403
    entry.refresh_from_db()
    assert entry.action != "forged"


def test_ledger_admin_refuses_delete_even_for_officer(officer_client, catalogue):
    entry = catalogue[LedgerEntry]

    response = officer_client.post(admin_url(LedgerEntry, "delete", entry.pk), {"post": "yes"})

    assert response.status_code == 403
    assert LedgerEntry.objects.filter(pk=entry.pk).exists()


def test_ledger_admin_offers_no_bulk_delete(officer_client, catalogue):
    response = officer_client.get(admin_url(LedgerEntry, "changelist"))

    assert "delete_selected" not in action_names(response)


# --- Counting at scale --------------------------------------------------------------------


@pytest.mark.postgres
def test_paginator_estimates_unfiltered_lists_and_counts_filtered_ones(dept_a, liaison_a):
    if connection.vendor != "postgresql":
        pytest.skip("pg_class.reltuples exists on PostgreSQL only")
    for _i in range(3):
        make_resource(dept_a, liaison_a, items=0)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE catalog_dataresource")
    make_resource(dept_a, liaison_a, items=0, name="分析之后")

    class SmallThreshold(EstimatedCountPaginator):
        estimate_threshold = 1

    assert SmallThreshold(DataResource.objects.all(), 10).count == 3
    assert SmallThreshold(DataResource.objects.filter(department=dept_a), 10).count == 4
    assert EstimatedCountPaginator(DataResource.objects.all(), 10).count == 4
