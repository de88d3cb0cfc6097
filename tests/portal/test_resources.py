"""Registering, editing, submitting and revising a department's resources on one page."""

import pytest
from django.urls import reverse

from catalog.models import DataItem, DataResource
from sharing.models import LedgerEntry
from tests.factories import make_duty, make_element, make_published_resource, make_resource, make_system
from tests.portal.utils import resource_post, translated

pytestmark = pytest.mark.django_db

CREATE = reverse("portal:resource_create")


def edit_url(resource):
    return reverse("portal:resource_edit", args=[resource.pk])


def test_create_resource_with_three_items_in_one_post(client_a, liaison_a, dept_a):
    data = resource_post(
        items=[{"code": "SFZH", "name": "公民身份号码"}, {"code": "XM", "name": "姓名"}, {"code": "ZZ", "name": "住址"}]
    )
    response = client_a.post(CREATE, data)
    resource = DataResource.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("portal:resource_detail", args=[resource.pk])
    assert resource.department == dept_a
    assert resource.status == "draft"
    assert sorted(resource.items.values_list("code", flat=True)) == ["SFZH", "XM", "ZZ"]


def test_created_resource_and_items_record_the_liaison_in_history(client_a, liaison_a):
    client_a.post(CREATE, resource_post(items=[{"code": "A", "name": "甲"}, {"code": "B", "name": "乙"}]))
    resource = DataResource.objects.get()
    assert resource.history.get().history_user == liaison_a
    assert {h.history_user for h in DataItem.history.all()} == {liaison_a}
    assert DataItem.history.count() == 2


def test_empty_extra_rows_are_ignored(client_a):
    data = resource_post(items=[{"code": "A", "name": "甲"}, {}, {}])
    assert client_a.post(CREATE, data).status_code == 302
    assert DataItem.objects.count() == 1


def test_created_resource_links_duties_and_system_of_the_department(client_a, liaison_a, dept_a):
    system = make_system(dept_a, liaison_a)
    duty = make_duty(dept_a, liaison_a, systems=[system])
    client_a.post(CREATE, resource_post(source_system=system.pk, duties=[duty], items=[{"code": "A", "name": "甲"}]))
    resource = DataResource.objects.get()
    assert resource.source_system == system
    assert list(resource.duties.all()) == [duty]


def test_duty_of_another_department_cannot_be_linked(client_a, liaison_b, dept_b):
    foreign = make_duty(dept_b, liaison_b)
    response = client_a.post(CREATE, resource_post(duties=[foreign], items=[{"code": "A", "name": "甲"}]))
    assert response.status_code == 200
    assert response.context["form"].errors["duties"]
    assert DataResource.objects.count() == 0


def test_item_can_carry_a_standard_data_element_by_code(client_a):
    element = make_element(code="DE-ID", name="公民身份号码")
    client_a.post(CREATE, resource_post(items=[{"code": "SFZH", "name": "身份号码", "element": "DE-ID"}]))
    assert DataItem.objects.get().element == element


def test_unknown_element_code_is_refused_on_its_row(client_a):
    response = client_a.post(CREATE, resource_post(items=[{"code": "A", "name": "甲", "element": "NOPE"}]))
    assert response.status_code == 200
    assert response.context["formset"].forms[0].errors["element"]
    assert DataResource.objects.count() == 0


def test_conditional_sharing_without_conditions_is_refused(client_a):
    data = resource_post(share_type="conditional", items=[{"code": "A", "name": "甲", "share_type": "conditional"}])
    response = client_a.post(CREATE, data)
    assert response.status_code == 200
    assert translated("Conditional sharing needs its conditions.") in response.content.decode()
    assert DataResource.objects.count() == 0
    assert DataItem.objects.count() == 0


def test_sensitive_item_in_unconditionally_shared_resource_is_refused(client_a):
    # The item itself is conditional; only together with its resource does the rule break (就高从严).
    item = {"code": "SFZH", "name": "身份号码", "personal_info": "sensitive", "share_type": "conditional"}
    response = client_a.post(CREATE, resource_post(share_type="unconditional", items=[item]))
    assert response.status_code == 200
    assert response.context["formset"].non_form_errors()
    assert translated("Sensitive personal information is at most shared conditionally.") in response.content.decode()
    assert DataResource.objects.count() == 0
    assert DataItem.objects.count() == 0


def test_duplicate_item_codes_are_refused(client_a):
    data = resource_post(items=[{"code": "XM", "name": "姓名"}, {"code": "XM", "name": "曾用名"}])
    response = client_a.post(CREATE, data)
    assert response.status_code == 200
    expected = translated("Item codes must be unique within a resource: %(codes)s") % {"codes": "XM"}
    assert expected in response.content.decode()
    assert DataResource.objects.count() == 0
    assert DataItem.objects.count() == 0


def test_item_looser_than_its_resource_is_refused_on_its_row(client_a):
    data = resource_post(
        share_type="not_shared", not_shared_basis="《某法》第十条", items=[{"code": "A", "name": "甲"}]
    )
    response = client_a.post(CREATE, data)
    assert response.status_code == 200
    expected = translated("An item cannot be shared more freely than its resource.")
    assert expected in response.content.decode()
    assert DataResource.objects.count() == 0


def test_duplicate_catalogue_code_is_refused_with_a_message(client_a, liaison_a, dept_a):
    existing = make_resource(dept_a, liaison_a)
    response = client_a.post(CREATE, resource_post(catalogue_code=existing.catalogue_code, items=[]))
    assert response.status_code == 200
    assert response.context["form"].errors["catalogue_code"]
    assert DataResource.objects.count() == 1


def test_missing_required_fields_show_errors_and_save_nothing(client_a):
    response = client_a.post(CREATE, resource_post(name="", subject="", items=[{"code": "A", "name": ""}]))
    assert response.status_code == 200
    assert response.context["form"].errors["name"]
    assert response.context["formset"].forms[0].errors["name"]
    assert DataResource.objects.count() == 0


def test_edit_page_changes_an_item_and_adds_another(client_a, liaison_a, dept_a):
    resource = make_resource(dept_a, liaison_a, items=2)
    first, second = resource.items.order_by("id")
    data = resource_post(
        catalogue_code=resource.catalogue_code,
        name="改名后的资源",
        existing=[(first, {"name": "新名字"}), (second, {})],
        items=[{"code": "NEW", "name": "新增项"}],
    )
    response = client_a.post(edit_url(resource), data)
    assert response.status_code == 302
    resource.refresh_from_db()
    assert resource.name == "改名后的资源"
    assert sorted(resource.items.values_list("name", flat=True)) == sorted(["新名字", second.name, "新增项"])


def test_removing_an_item_row_deletes_it(client_a, liaison_a, dept_a):
    resource = make_resource(dept_a, liaison_a, items=3)
    first, second, third = resource.items.order_by("id")
    data = resource_post(
        catalogue_code=resource.catalogue_code,
        existing=[(first, {}), (second, {"DELETE": True}), (third, {})],
    )
    response = client_a.post(edit_url(resource), data)
    assert response.status_code == 302
    assert list(resource.items.order_by("id")) == [first, third]
    deletion = DataItem.history.filter(id=second.pk, history_type="-").get()
    assert deletion.history_user == liaison_a


def test_removing_a_row_added_in_the_browser_saves_nothing_for_it(client_a):
    data = resource_post(items=[{"code": "A", "name": "甲"}, {"code": "B", "name": "乙", "DELETE": True}])
    client_a.post(CREATE, data)
    assert list(DataItem.objects.values_list("code", flat=True)) == ["A"]


def test_failed_edit_keeps_the_stored_resource_unchanged(client_a, liaison_a, dept_a):
    resource = make_resource(dept_a, liaison_a, items=2)
    first, second = resource.items.order_by("id")
    data = resource_post(
        catalogue_code=resource.catalogue_code,
        name="不应保存",
        existing=[(first, {"code": "DUP"}), (second, {"code": "DUP"})],
    )
    response = client_a.post(edit_url(resource), data)
    assert response.status_code == 200
    resource.refresh_from_db()
    assert resource.name != "不应保存"
    assert sorted(resource.items.values_list("code", flat=True)) == sorted([first.code, second.code])


def test_edit_page_offers_the_empty_row_template_and_element_suggestions(client_a, liaison_a, dept_a):
    make_element(code="DE-SUGGESTED")
    resource = make_resource(dept_a, liaison_a, items=1)
    body = client_a.get(edit_url(resource)).content.decode()
    assert "items-__prefix__-code" in body
    assert 'id="element-options"' in body
    assert "DE-SUGGESTED" in body


@pytest.fixture
def conditional_draft(dept_a, liaison_a):
    return make_resource(
        dept_a,
        liaison_a,
        items=1,
        share_type="conditional",
        share_conditions="仅限行政审批核验使用",
        item_fields={"share_type": "conditional"},
    )


def test_new_item_rows_start_at_the_resources_share_type(client_a, conditional_draft):
    formset = client_a.get(edit_url(conditional_draft)).context["formset"]

    assert [form["share_type"].value() for form in formset.extra_forms] == ["conditional"]
    assert formset.empty_form["share_type"].value() == "conditional"
    # The stored item keeps its own share type.
    assert [form["share_type"].value() for form in formset.initial_forms] == ["conditional"]


def test_new_item_rows_of_a_new_resource_keep_the_item_default(client_a):
    formset = client_a.get(CREATE).context["formset"]

    assert {form["share_type"].value() for form in formset.extra_forms} == {"unconditional"}


def test_new_row_added_as_offered_saves_with_the_resources_share_type(client_a, conditional_draft):
    (item,) = conditional_draft.items.all()
    data = resource_post(
        catalogue_code=conditional_draft.catalogue_code,
        share_type="conditional",
        share_conditions=conditional_draft.share_conditions,
        existing=[(item, {})],
        items=[{"code": "NEW", "name": "新增项", "share_type": "conditional"}],
    )

    assert client_a.post(edit_url(conditional_draft), data).status_code == 302
    assert conditional_draft.items.get(code="NEW").share_type == "conditional"


def test_untouched_new_row_is_skipped_when_the_resource_share_type_changes(client_a, conditional_draft):
    # The row was offered as "conditional"; the liaison makes the resource stricter and leaves the row.
    (item,) = conditional_draft.items.all()
    data = resource_post(
        catalogue_code=conditional_draft.catalogue_code,
        share_type="not_shared",
        not_shared_basis="《中华人民共和国个人信息保护法》第十三条",
        existing=[(item, {"share_type": "not_shared"})],
        items=[{"share_type": "conditional"}],
    )

    assert client_a.post(edit_url(conditional_draft), data).status_code == 302
    conditional_draft.refresh_from_db()
    assert conditional_draft.share_type == "not_shared"
    assert list(conditional_draft.items.values_list("code", flat=True)) == [item.code]


def test_submit_moves_the_draft_to_submitted_with_a_ledger_entry(client_a, liaison_a, dept_a):
    resource = make_resource(dept_a, liaison_a)
    response = client_a.post(reverse("portal:resource_submit", args=[resource.pk]))
    assert response.status_code == 302
    resource.refresh_from_db()
    assert resource.status == "submitted"
    entry = LedgerEntry.objects.get(action="resource.submit", object_id=str(resource.pk))
    assert entry.actor == liaison_a


def test_submitting_a_resource_without_items_shows_why(client_a, liaison_a, dept_a):
    resource = make_resource(dept_a, liaison_a, items=0)
    response = client_a.post(reverse("portal:resource_submit", args=[resource.pk]), follow=True)
    resource.refresh_from_db()
    assert resource.status == "draft"
    assert translated("Add at least one data item before submitting.") in response.content.decode()


def test_submit_needs_post(client_a, liaison_a, dept_a):
    resource = make_resource(dept_a, liaison_a)
    assert client_a.get(reverse("portal:resource_submit", args=[resource.pk])).status_code == 405


def test_submitted_resource_edit_page_is_read_only(client_a, liaison_a, dept_a):
    resource = make_resource(dept_a, liaison_a)
    client_a.post(reverse("portal:resource_submit", args=[resource.pk]))
    response = client_a.get(edit_url(resource))
    assert response.status_code == 200
    assert "formset" not in response.context
    assert 'name="items-TOTAL_FORMS"' not in response.content.decode()


def test_published_resource_edit_page_is_read_only_and_offers_a_revision(client_a, liaison_a, officer, dept_a):
    resource = make_published_resource(dept_a, liaison_a, officer)
    response = client_a.get(edit_url(resource))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'name="items-TOTAL_FORMS"' not in body
    assert reverse("portal:resource_revise", args=[resource.pk]) in body


def test_posting_to_a_published_resource_changes_nothing(client_a, liaison_a, officer, dept_a):
    resource = make_published_resource(dept_a, liaison_a, officer)
    response = client_a.post(edit_url(resource), resource_post(catalogue_code=resource.catalogue_code, name="偷改"))
    assert response.status_code == 200
    resource.refresh_from_db()
    assert resource.name != "偷改"
    assert resource.status == "published"


def test_revise_with_a_reason_brings_a_published_resource_back_to_draft(client_a, liaison_a, officer, dept_a):
    resource = make_published_resource(dept_a, liaison_a, officer)
    response = client_a.post(reverse("portal:resource_revise", args=[resource.pk]), {"reason": "增加数据项"})
    assert response.status_code == 302
    assert response.url == edit_url(resource)
    resource.refresh_from_db()
    assert resource.status == "draft"
    assert LedgerEntry.objects.filter(action="resource.revise", object_id=str(resource.pk)).exists()


def test_revise_without_a_reason_is_refused_with_a_message(client_a, liaison_a, officer, dept_a):
    resource = make_published_resource(dept_a, liaison_a, officer)
    response = client_a.post(reverse("portal:resource_revise", args=[resource.pk]), {"reason": "  "})
    assert response.status_code == 200
    assert response.context["revise_form"].errors["reason"]
    resource.refresh_from_db()
    assert resource.status == "published"


def test_returned_resource_shows_the_bureau_reason(client_a, liaison_a, officer, dept_a):
    from catalog import services

    resource = make_resource(dept_a, liaison_a)
    services.resource_submit(resource=resource, actor=liaison_a)
    services.resource_return(resource=resource, actor=officer, reason="请补充字段说明")
    assert "请补充字段说明" in client_a.get(reverse("portal:resource_detail", args=[resource.pk])).content.decode()
    assert "请补充字段说明" in client_a.get(reverse("portal:dashboard")).content.decode()


def test_resource_list_filters_by_status(client_a, liaison_a, officer, dept_a):
    draft = make_resource(dept_a, liaison_a)
    published = make_published_resource(dept_a, liaison_a, officer)
    page = client_a.get(reverse("portal:resource_list"), {"status": "published"}).context["page"]
    assert list(page.object_list) == [published]
    assert draft not in page.object_list


def test_resource_list_ignores_a_bad_status_filter(client_a, liaison_a, dept_a):
    make_resource(dept_a, liaison_a)
    response = client_a.get(reverse("portal:resource_list"), {"status": "nonsense", "page": "abc"})
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 1


def test_empty_resource_list_says_what_to_do_next(client_a):
    body = client_a.get(reverse("portal:resource_list")).content.decode()
    assert translated("No data resources yet — click “Register a data resource” to start.") in body


def test_item_row_pointing_at_another_resources_item_never_touches_it(client_a, liaison_a, liaison_b, dept_a, dept_b):
    ours = make_resource(dept_a, liaison_a, items=1)
    theirs = make_resource(dept_b, liaison_b, items=1)
    foreign_item = theirs.items.get()
    data = resource_post(catalogue_code=ours.catalogue_code, existing=[(foreign_item, {"name": "篡改"})])
    response = client_a.post(edit_url(ours), data)
    # The formset only binds rows to the resource's own items: the foreign id becomes a new row,
    # whose code collides with ours, so the page refuses it and nothing changes anywhere.
    assert response.status_code == 200
    foreign_item.refresh_from_db()
    assert (foreign_item.resource, foreign_item.name) == (theirs, "字段0")
    assert list(ours.items.values_list("name", flat=True)) == ["字段0"]
