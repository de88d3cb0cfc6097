"""Issue 3 in a browser: a liaison registers and submits a resource, the bureau publishes it in the
admin, and another department finds it in the published catalogue."""

import re

import pytest
from playwright.sync_api import expect

from catalog.choices import ResourceStatus, ShareType, SubjectCategory, UpdateFrequency
from catalog.models import DataResource
from tests.e2e.conftest import expect_success, login, shot, switch_language

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CODE = "11000000/PSB-E2E-001"
CJK = re.compile("[\u4e00-\u9fff]")
NAME = "户籍人口基本信息"
ITEMS = [("SFZH", "公民身份号码"), ("XM", "姓名"), ("HJDZ", "户籍地址")]


def _fill_item(page, index, code, name):
    page.fill(f"input[name='items-{index}-code']", code)
    page.fill(f"input[name='items-{index}-name']", name)
    # An item may be stricter than its resource, never looser: the resource is shared conditionally.
    page.select_option(f"select[name='items-{index}-share_type']", ShareType.CONDITIONAL)


def test_liaison_registers_resource_bureau_publishes_other_department_finds_it(
    live_server, new_context, browse, liaison_a, liaison_b, officer
):
    # --- liaison_a signs in and registers the resource with three items -------------------
    context = new_context()
    page = context.new_page()
    page.goto(live_server.url + "/portal/login/")
    expect(page.locator("input[name=username]")).to_be_visible()
    shot(page, "catalogue", "01-login")
    login(page, liaison_a)

    page.goto(live_server.url + "/portal/resources/new/")
    page.fill("input[name=catalogue_code]", CODE)
    page.fill("input[name=name]", NAME)
    page.fill("textarea[name=summary]", "本市户籍人口的身份、姓名与户籍地址，每日更新。")
    page.select_option("select[name=subject]", SubjectCategory.BASIC_POPULATION)
    page.select_option("select[name=update_frequency]", UpdateFrequency.DAILY)
    page.select_option("select[name=share_type]", ShareType.CONDITIONAL)
    # The conditions field appears only once "conditional" is chosen.
    conditions = page.locator("textarea[name=share_conditions]")
    expect(conditions).to_be_visible()
    conditions.fill("仅限政务服务与执法办案使用，需经本局审核。")

    # Two of the three rows the empty form offers, then a row added with the button; the
    # unused third row stays empty and must be ignored.
    rows = page.locator("[data-formset-body] tr")
    initial_rows = rows.count()
    _fill_item(page, 0, *ITEMS[0])
    _fill_item(page, 1, *ITEMS[1])
    page.locator("[data-formset-add]").click()
    expect(rows).to_have_count(initial_rows + 1)
    _fill_item(page, initial_rows, *ITEMS[2])
    expect(page.locator("input[name='items-TOTAL_FORMS']")).to_have_value(str(initial_rows + 1))
    shot(page, "catalogue", "02-resource-form")

    with page.expect_navigation():
        page.locator("main form button[type=submit].btn-primary").click()
    expect_success(page)
    expect(page.locator("h1")).to_contain_text(NAME)

    resource = DataResource.objects.get(catalogue_code=CODE)
    assert resource.department_id == liaison_a.department_id
    assert resource.status == ResourceStatus.DRAFT
    assert sorted(resource.items.values_list("code", "name")) == sorted(ITEMS)
    assert resource.history.latest().history_user == liaison_a
    for _code, item_name in ITEMS:
        expect(page.locator("main")).to_contain_text(item_name)

    with page.expect_navigation():
        page.locator(f"form[action$='/resources/{resource.pk}/submit/'] button[type=submit]").click()
    expect_success(page)
    resource.refresh_from_db()
    assert resource.status == ResourceStatus.SUBMITTED
    assert resource.history.latest().history_user == liaison_a
    shot(page, "catalogue", "03-resource-detail")
    context.close()

    # --- the officer publishes it in the admin -------------------------------------------
    page = browse(officer, via="/admin/")
    page.goto(live_server.url + "/admin/catalog/dataresource/?status__exact=submitted")
    page.fill("#searchbar", "户籍人口")
    with page.expect_navigation():
        page.locator("#changelist-search [type=submit]").click()
    row = page.locator("#result_list tbody tr", has_text=CODE)
    expect(row).to_have_count(1)
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    shot(page, "catalogue", "04-admin-changelist")

    row.locator("input.action-select").check()
    page.select_option("select[name=action]", "workflow_publish")
    with page.expect_navigation():
        page.locator("button[name=index]").click()
    # The intermediate page names the resource and records an optional reason.
    expect(page.locator("ul.workflow-objects")).to_contain_text(NAME)
    page.fill("textarea[name=reason]", "目录信息完整，准予发布。")
    with page.expect_navigation():
        page.locator("input[name=apply]").click()
    expect_success(page)
    resource.refresh_from_db()
    assert resource.status == ResourceStatus.PUBLISHED
    published = resource.history.latest()
    assert published.history_user == officer
    assert published.history_change_reason == "目录信息完整，准予发布。"
    page.context.close()

    # --- liaison_b finds it in the published catalogue ------------------------------------
    page = browse(liaison_b)
    page.goto(live_server.url + "/portal/catalogue/")
    page.fill("input[name=q]", "户籍")
    with page.expect_navigation():
        page.locator("form.filter-bar button[type=submit]").click()
    hit = page.get_by_role("link", name=NAME)
    expect(hit).to_be_visible()
    expect(page.locator("main table tbody tr")).to_have_count(1)
    chinese_title = page.locator("h1").inner_text()
    assert CJK.search(chinese_title), f"the catalogue's title is not in Chinese: {chinese_title!r}"
    shot(page, "catalogue", "05-catalogue-search")

    with page.expect_navigation():
        hit.click()
    assert page.url.endswith(f"/portal/catalogue/{resource.pk}/")
    expect(page.locator("h1")).to_have_text(NAME)
    for _code, item_name in ITEMS:
        expect(page.locator("main")).to_contain_text(item_name)
    shot(page, "catalogue", "06-catalogue-detail")

    # --- the same search in English, switched with the page's own switch ------------------
    page.go_back()
    switch_language(page, "en")
    expect(page.locator("h1")).to_have_text("Published catalogue")
    assert not CJK.search(page.locator("thead").inner_text())
    expect(page.get_by_role("link", name=NAME)).to_be_visible()
    shot(page, "catalogue", "05-catalogue-search", lang="en")
