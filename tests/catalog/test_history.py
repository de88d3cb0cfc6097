"""Every write leaves a change-history record naming the acting user, and the reason of a workflow step."""

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse
from simple_history.middleware import HistoryRequestMiddleware

from catalog import services
from catalog.choices import DutyOrigin, ShareType, SubjectCategory, UpdateFrequency
from catalog.models import DataItem, DataResource, Department, Duty, InformationSystem, SourceAssignment
from govdata.roles import Role
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


def latest(obj):
    return obj.history.order_by("-history_id").first()


def claim(department, liaison):
    return services.source_claim(
        element=make_element(), department=department, actor=liaison, legal_basis="《居民身份证法》"
    )


# --- Each service write names its actor --------------------------------------------------------


def test_department_save_records_the_actor(officer):
    department = services.department_save(department=Department(code="TAX", name="市税务局"), actor=officer)
    assert latest(department).history_user == officer


def test_user_set_department_records_the_actor(dept_b, liaison_a, officer):
    services.user_set_department(user=liaison_a, department=dept_b, actor=officer, reason="岗位调整")
    record = latest(liaison_a)
    assert (record.history_user, record.department_id, record.history_change_reason) == (officer, dept_b.pk, "岗位调整")


def test_system_save_records_the_actor(dept_a, liaison_a):
    assert latest(make_system(dept_a, liaison_a)).history_user == liaison_a


def test_duty_save_records_the_actor(dept_a, liaison_a):
    assert latest(make_duty(dept_a, liaison_a)).history_user == liaison_a


def test_resource_save_records_the_actor_on_the_resource(dept_a, liaison_a):
    resource = make_resource(dept_a, liaison_a)
    assert latest(resource).history_user == liaison_a


def test_resource_save_records_the_actor_on_each_item(dept_a, liaison_a):
    resource = make_resource(dept_a, liaison_a, items=2)
    assert [latest(i).history_user for i in resource.items.all()] == [liaison_a, liaison_a]


def test_resource_edit_records_its_reason(dept_a, liaison_a, officer):
    resource = make_published_resource(dept_a, liaison_a, officer)
    resource.summary = "更正摘要"
    services.resource_save(resource=resource, actor=officer, reason="更正错别字")
    record = latest(resource)
    assert (record.history_user, record.history_change_reason, record.summary) == (officer, "更正错别字", "更正摘要")


def test_deleted_item_records_the_actor_and_reason(dept_a, liaison_a):
    resource = make_resource(dept_a, liaison_a, items=2)
    doomed = resource.items.first()
    doomed_id = doomed.pk
    services.resource_save(resource=resource, actor=liaison_a, deleted_items=[doomed], reason="字段重复")
    record = DataItem.history.filter(id=doomed_id).order_by("-history_id").first()
    assert (record.history_type, record.history_user, record.history_change_reason) == ("-", liaison_a, "字段重复")


def test_claim_records_the_actor(dept_a, liaison_a):
    assert latest(claim(dept_a, liaison_a)).history_user == liaison_a


# --- Workflow steps name actor and reason -----------------------------------------------------


@pytest.mark.parametrize(
    ("step", "reason"),
    [("return", REASON), ("retire", "系统下线"), ("revise", "增加信息项")],
)
def test_resource_step_records_actor_and_reason(dept_a, liaison_a, officer, step, reason):
    if step == "return":
        resource = services.resource_submit(resource=make_resource(dept_a, liaison_a), actor=liaison_a)
    else:
        resource = make_published_resource(dept_a, liaison_a, officer)
    actor = liaison_a if step == "revise" else officer
    getattr(services, f"resource_{step}")(resource=resource, actor=actor, reason=reason)
    record = latest(resource)
    assert (record.history_user, record.history_change_reason) == (actor, reason)


def test_resource_step_without_a_reason_records_the_step_name(dept_a, liaison_a, officer):
    resource = services.resource_submit(resource=make_resource(dept_a, liaison_a), actor=liaison_a)
    services.resource_publish(resource=resource, actor=officer)
    record = latest(resource)
    assert (record.history_user, record.history_change_reason, record.status) == (officer, "publish", "published")


def test_claim_confirmation_records_actor_and_reason(dept_a, liaison_a, officer):
    assignment = claim(dept_a, liaison_a)
    services.source_confirm(assignment=assignment, actor=officer, reason="三定方案明确")
    record = latest(assignment)
    assert (record.history_user, record.history_change_reason) == (officer, "三定方案明确")


def test_rejected_competitor_records_the_confirming_officer_and_why(dept_a, dept_b, liaison_a, liaison_b, officer):
    winner = claim(dept_a, liaison_a)
    loser = services.source_claim(element=winner.element, department=dept_b, actor=liaison_b, legal_basis="依据")
    services.source_confirm(assignment=winner, actor=officer)
    record = latest(loser)
    assert record.history_user == officer
    assert dept_a.name in record.history_change_reason


def test_claim_withdrawal_records_actor_and_reason(dept_a, liaison_a):
    assignment = claim(dept_a, liaison_a)
    services.source_withdraw(assignment=assignment, actor=liaison_a, reason="误报")
    record = latest(assignment)
    assert (record.history_user, record.history_change_reason) == (liaison_a, "误报")


# --- Many-to-many links are part of the history ---------------------------------------------


def test_linking_duties_to_a_resource_is_recorded(dept_a, liaison_a):
    duty = make_duty(dept_a, liaison_a)
    resource = make_resource(dept_a, liaison_a)
    services.resource_save(resource=resource, actor=liaison_a, duties=[duty])
    record = latest(resource)
    assert [row.duty for row in record.duties.all()] == [duty]
    assert record.history_user == liaison_a


def test_unlinking_duties_from_a_resource_is_recorded(dept_a, liaison_a):
    duty = make_duty(dept_a, liaison_a)
    resource = make_resource(dept_a, liaison_a)
    services.resource_save(resource=resource, actor=liaison_a, duties=[duty])
    services.resource_save(resource=resource, actor=liaison_a, duties=[])
    assert list(latest(resource).duties.all()) == []


def test_linking_systems_to_a_duty_is_recorded(dept_a, liaison_a):
    system = make_system(dept_a, liaison_a)
    duty = make_duty(dept_a, liaison_a)
    services.duty_save(duty=duty, actor=liaison_a, systems=[system])
    record = latest(duty)
    assert [row.informationsystem for row in record.systems.all()] == [system]
    assert record.history_user == liaison_a


def test_earlier_history_keeps_the_earlier_links(dept_a, liaison_a):
    first, second = make_system(dept_a, liaison_a), make_system(dept_a, liaison_a)
    duty = make_duty(dept_a, liaison_a, systems=[first])
    linked_once = latest(duty)
    services.duty_save(duty=duty, actor=liaison_a, systems=[second])
    assert [row.informationsystem for row in linked_once.systems.all()] == [first]


# --- Channels: web request and command -------------------------------------------------------


def test_history_request_middleware_is_installed():
    assert "simple_history.middleware.HistoryRequestMiddleware" in django_settings.MIDDLEWARE


def test_write_during_a_request_is_attributed_to_the_signed_in_user(officer):
    # A save that names no actor, as a third-party view or form would do, inside a request.
    element = make_element()
    request = RequestFactory().post("/")
    request.user = officer

    def view(request):
        element.name = "公民身份号码"
        element.save()
        return HttpResponse()

    HistoryRequestMiddleware(view)(request)
    assert latest(element).history_user == officer


def test_write_during_an_anonymous_request_is_attributed_to_nobody(db):
    element = make_element()
    request = RequestFactory().post("/")
    request.user = AnonymousUser()

    def view(request):
        element.save()
        return HttpResponse()

    HistoryRequestMiddleware(view)(request)
    assert latest(element).history_user is None


def test_admin_change_form_attributes_the_record_to_the_signed_in_officer(client, officer, dept_a):
    client.force_login(officer)
    url = reverse("admin:catalog_department_change", args=[dept_a.pk])
    data = {"code": dept_a.code, "name": "市公安局（更名）", "kind": dept_a.kind, "parent": "", "active": "on"}
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    record = latest(dept_a)
    assert (record.name, record.history_user) == ("市公安局（更名）", officer)


def test_admin_change_form_of_a_resource_attributes_the_record_to_the_signed_in_officer(
    client, officer, dept_a, liaison_a
):
    resource = make_published_resource(dept_a, liaison_a, officer)
    client.force_login(officer)
    url = reverse("admin:catalog_dataresource_change", args=[resource.pk])
    form = client.get(url).context["adminform"].form
    data = _form_data(form)
    data["summary"] = "由局里更正"
    data.update(_inline_data(client.get(url).context["inline_admin_formsets"]))
    response = client.post(url, data)
    assert response.status_code == 302, _errors(response)
    record = latest(resource)
    assert (record.summary, record.history_user) == ("由局里更正", officer)


def _errors(response):
    context = response.context
    return (
        context["adminform"].form.errors,
        [f.formset.errors for f in context["inline_admin_formsets"]],
        [f.formset.non_form_errors() for f in context["inline_admin_formsets"]],
        [str(m) for m in context["messages"]],
    )


def _form_data(form) -> dict:
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None:
            continue
        if isinstance(value, list | tuple):
            data[name] = [getattr(v, "pk", v) for v in value]
        elif hasattr(value, "pk"):
            data[name] = value.pk
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        else:
            data[name] = value
    return data


def _inline_data(inline_admin_formsets) -> dict:
    data = {}
    for inline in inline_admin_formsets:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[f"{management.prefix}-{name}"] = management.initial.get(name, 0)
        # Submit the existing rows only, not the blank extra ones.
        data[f"{management.prefix}-TOTAL_FORMS"] = len(formset.initial_forms)
        for form in formset.initial_forms:
            for name, value in _form_data(form).items():
                data[f"{form.prefix}-{name}"] = value
            data[f"{form.prefix}-{formset.model._meta.pk.name}"] = form.instance.pk
    return data


def test_service_called_outside_a_request_attributes_the_explicit_actor(dept_a, liaison_a, officer):
    # The path of a management command: no request, the command passes the acting user.
    resource = services.resource_submit(resource=make_resource(dept_a, liaison_a), actor=liaison_a)
    services.resource_return(resource=resource, actor=officer, reason=REASON)
    assert latest(resource).history_user == officer


def test_explicit_actor_wins_over_the_signed_in_user_of_the_request(dept_a, liaison_a, officer):
    other_officer = make_user("officer2", Role.OFFICER)
    resource = services.resource_submit(resource=make_resource(dept_a, liaison_a), actor=liaison_a)
    request = RequestFactory().post("/")
    request.user = other_officer

    def view(request):
        services.resource_publish(resource=resource, actor=officer)
        return HttpResponse()

    HistoryRequestMiddleware(view)(request)
    assert latest(resource).history_user == officer


def test_every_governed_write_of_a_full_workflow_has_an_actor(dept_a, liaison_a, officer):
    duty = Duty(department=dept_a, code="D1", name="职责", origin=DutyOrigin.MANDATE)
    services.duty_save(duty=duty, actor=liaison_a)
    system = services.system_save(
        system=InformationSystem(department=dept_a, code="SYS-X", name="系统"), actor=liaison_a
    )
    resource = DataResource(
        department=dept_a,
        catalogue_code="RES-X",
        name="资源",
        subject=SubjectCategory.DEPARTMENTAL,
        share_type=ShareType.UNCONDITIONAL,
        update_frequency=UpdateFrequency.DAILY,
        source_system=system,
    )
    services.resource_save(resource=resource, actor=liaison_a, items=[DataItem(code="F1", name="字段")], duties=[duty])
    services.resource_submit(resource=resource, actor=liaison_a)
    services.resource_publish(resource=resource, actor=officer)
    claim(dept_a, liaison_a)
    for model in (Duty, InformationSystem, DataResource, DataItem, SourceAssignment):
        assert not model.history.filter(history_user__isnull=True).exists(), model.__name__


def test_signing_in_leaves_no_history_version(client, liaison_a):
    from tests.factories import PASSWORD

    versions = liaison_a.history.count()
    assert client.login(username="liaison_a", password=PASSWORD)
    liaison_a.refresh_from_db()
    assert liaison_a.last_login is not None
    assert liaison_a.history.count() == versions
