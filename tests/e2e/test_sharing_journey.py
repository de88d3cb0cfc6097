"""Issue 4 in a browser: a department requests another's conditional data, the provider and the
bureau approve, the exchange system records a use over the API, and both departments see it."""

import json
import urllib.request
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from rest_framework.authtoken.models import Token

from catalog import services as catalog_services
from catalog.choices import PersonalInfo, ShareType, SubjectCategory, UpdateFrequency
from catalog.models import DataItem, DataResource
from sharing.choices import AgreementStatus, UsageMode, UsageOutcome
from sharing.models import LedgerEntry, ShareAgreement, UsageRecord
from tests.e2e.conftest import expect_success, shot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

RESOURCE_NAME = "市场主体登记信息"
ITEMS = [
    ("TYSHXYDM", "统一社会信用代码", PersonalInfo.NONE),
    ("QYMC", "企业名称", PersonalInfo.NONE),
    ("FDDBR", "法定代表人姓名", PersonalInfo.PERSONAL),
]
REQUESTED = ["TYSHXYDM", "QYMC"]
PURPOSE = "办理治安案件时核查涉案企业的登记状态。"


def _published_conditional_resource(department, liaison, officer) -> DataResource:
    resource = DataResource(
        department=department,
        catalogue_code="11000000/AMR-E2E-001",
        name=RESOURCE_NAME,
        summary="本市市场主体的登记信息。",
        subject=SubjectCategory.BASIC_LEGAL_ENTITY,
        share_type=ShareType.CONDITIONAL,
        share_conditions="仅限依法履职需要，按件查询。",
        update_frequency=UpdateFrequency.DAILY,
        personal_info=PersonalInfo.PERSONAL,
    )
    items = [
        DataItem(code=code, name=name, personal_info=info, share_type=ShareType.CONDITIONAL)
        for code, name, info in ITEMS
    ]
    resource = catalog_services.resource_save(resource=resource, actor=liaison, items=items)
    catalog_services.resource_submit(resource=resource, actor=liaison)
    return catalog_services.resource_publish(resource=resource, actor=officer)


def _post_usage(url, token, payload):
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        method="POST",
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json", "Accept": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read())


def _ledger_actions(agreement) -> list[str]:
    return list(
        LedgerEntry.objects.filter(object_type="sharing.shareagreement", object_id=str(agreement.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )


def test_request_approved_by_provider_and_bureau_then_use_recorded_over_api(
    live_server, browse, dept_b, liaison_a, liaison_b, officer
):
    resource = _published_conditional_resource(dept_b, liaison_b, officer)

    # --- liaison_a requests two items -----------------------------------------------------
    page = browse(liaison_a)
    # From the published catalogue: find the resource, open it, press its request button.
    page.goto(live_server.url + "/portal/catalogue/")
    page.fill("input[name=q]", "市场主体")
    with page.expect_navigation():
        page.locator("form.filter-bar button[type=submit]").click()
    with page.expect_navigation():
        page.get_by_role("link", name=RESOURCE_NAME).click()
    with page.expect_navigation():
        page.locator(f"main a[href$='/agreements/new/?resource={resource.pk}']").click()
    expect(page.locator("h1")).to_contain_text(dept_b.name)
    for code in REQUESTED:
        item = DataItem.objects.get(resource=resource, code=code)
        page.locator(f"#item-{item.pk}").check()
    page.fill("textarea[name=purpose]", PURPOSE)
    page.fill("textarea[name=legal_basis]", "《中华人民共和国治安管理处罚法》第八十七条。")
    page.locator(f"input[name=usage_mode][value={UsageMode.QUERY}]").check()
    page.fill("input[name=requester_contact]", "张警官")
    # The period is proposed: from today, for a year.
    today = timezone.localdate()
    expect(page.locator("input[name=valid_from]")).to_have_value(today.isoformat())
    expect(page.locator("input[name=valid_to]")).to_have_value((today + timedelta(days=365)).isoformat())
    shot(page, "sharing", "01-request-form")
    with page.expect_navigation():
        page.locator("button[name=action][value=submit]").click()
    expect_success(page)

    agreement = ShareAgreement.objects.get(requester=liaison_a.department)
    assert agreement.provider == dept_b
    assert agreement.status == AgreementStatus.SUBMITTED
    assert sorted(agreement.items.values_list("code", flat=True)) == sorted(REQUESTED)
    assert agreement.purpose == PURPOSE
    assert (agreement.valid_from, agreement.valid_to) == (today, today + timedelta(days=365))
    assert agreement.history.latest().history_user == liaison_a
    assert _ledger_actions(agreement)[-1] == "agreement.submit"
    expect(page.locator("h1")).to_contain_text(agreement.number)
    page.context.close()

    # --- liaison_b decides in the provider inbox ------------------------------------------
    page = browse(liaison_b)
    page.goto(live_server.url + "/portal/agreements/?side=received&status=submitted")
    row = page.locator("table tbody tr", has_text=agreement.number)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(liaison_a.department.name)
    shot(page, "sharing", "02-provider-inbox")
    with page.expect_navigation():
        row.get_by_role("link", name=agreement.number).click()
    decision = page.locator("#decision")
    expect(decision).to_be_visible()
    decision.locator("input[name=approve-contact]").fill("李科长")
    decision.locator("textarea[name=approve-reason]").fill("用途明确，依据充分，同意按件查询。")
    with page.expect_navigation():
        decision.locator(f"form[action$='/agreements/{agreement.pk}/approve/'] button[type=submit]").click()
    expect_success(page)
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.PROVIDER_APPROVED
    assert agreement.provider_contact == "李科长"
    assert agreement.history.latest().history_user == liaison_b
    assert _ledger_actions(agreement)[-1] == "agreement.provider_approve"
    page.context.close()

    # --- the officer gives the final approval in the admin --------------------------------
    page = browse(officer, via="/admin/")
    page.goto(live_server.url + "/admin/sharing/shareagreement/")
    row = page.locator("#result_list tbody tr", has_text=agreement.number)
    expect(row).to_have_count(1)
    row.locator("input.action-select").check()
    page.select_option("select[name=action]", "workflow_bureau_approve")
    with page.expect_navigation():
        page.locator("button[name=index]").click()
    expect(page.locator("ul.workflow-objects")).to_contain_text(agreement.number)
    page.fill("textarea[name=reason]", "符合共享条例，准予生效。")
    with page.expect_navigation():
        page.locator("input[name=apply]").click()
    expect_success(page)
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.ACTIVE
    assert agreement.history.latest().history_user == officer
    assert _ledger_actions(agreement)[-1] == "agreement.bureau_approve"
    page.context.close()

    # --- the exchange system records a use over real HTTP ---------------------------------
    token = Token.objects.create(user=liaison_a)
    status, body = _post_usage(
        live_server.url + "/api/usage/",
        token.key,
        {
            "agreement": agreement.number,
            "mode": UsageMode.QUERY,
            "items": REQUESTED,
            "record_count": 17,
            "purpose_reference": "治安案件 2026-0415",
            "end_user": "张警官",
        },
    )
    assert status == 201, body
    assert body["outcome"] == UsageOutcome.ACCEPTED
    record = UsageRecord.objects.get(agreement=agreement)
    assert record.user == liaison_a
    assert record.record_count == 17
    assert record.outcome == UsageOutcome.ACCEPTED
    assert LedgerEntry.objects.filter(action="usage.accepted", object_id=str(record.pk)).exists()

    # --- both departments see the use on the agreement page -------------------------------
    for user, lang_step in ((liaison_a, "03-agreement-requester"), (liaison_b, "04-agreement-provider")):
        # Signing in from the agreement's own link lands on the agreement.
        page = browse(user, via=f"/portal/agreements/{agreement.pk}/")
        assert page.url.endswith(f"/portal/agreements/{agreement.pk}/")
        usage = page.locator("#usage")
        expect(usage.locator("tbody tr")).to_have_count(1)
        expect(usage).to_contain_text("治安案件 2026-0415")
        expect(usage).to_contain_text("17")
        expect(usage).to_contain_text("TYSHXYDM")
        shot(page, "sharing", lang_step)
        page.context.close()
