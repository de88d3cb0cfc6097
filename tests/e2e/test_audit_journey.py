"""Issue 6 in a browser: an auditor traces an edited resource through the change timeline to its
field-level diff, verifies the ledger, and the officer looks at the governance dashboard."""

import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from playwright.sync_api import expect

from catalog import services
from catalog.choices import UpdateFrequency
from sharing import checkpoints, ledger
from sharing.models import LedgerEntry
from tests.e2e.conftest import shot
from tests.factories import make_duty, make_resource, make_system

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

OLD_NAME = "企业信用评价信息"
NEW_NAME = "企业公共信用综合评价信息"
EDIT_REASON = "按照新版目录规范更正名称。"


@pytest.fixture
def signing_key(settings):
    """A bureau key for this test only, so "verify now" checks the signed checkpoints too."""
    raw = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    settings.LEDGER_SIGNING_KEY = base64.b64encode(raw).decode()


def test_auditor_traces_an_edit_to_its_diff_and_verifies_the_ledger(
    live_server, browse, signing_key, dept_a, liaison_a, officer, auditor
):
    # A resource published once, edited through a revision, and published again.
    system = make_system(dept_a, liaison_a)
    duty = make_duty(dept_a, liaison_a, systems=[system])
    resource = make_resource(dept_a, liaison_a, name=OLD_NAME, update_frequency=UpdateFrequency.DAILY)
    services.resource_save(resource=resource, actor=liaison_a, duties=[duty])
    services.resource_submit(resource=resource, actor=liaison_a)
    services.resource_publish(resource=resource, actor=officer)
    services.resource_revise(resource=resource, actor=liaison_a, reason=EDIT_REASON)
    resource.refresh_from_db()
    resource.name = NEW_NAME
    resource.update_frequency = UpdateFrequency.MONTHLY
    services.resource_save(resource=resource, actor=liaison_a, reason=EDIT_REASON)
    services.resource_submit(resource=resource, actor=liaison_a)
    services.resource_publish(resource=resource, actor=officer)
    checkpoints.checkpoint_create()
    ledger_size = LedgerEntry.objects.count()
    assert ledger_size >= 5

    # --- the auditor narrows the timeline to the resource ---------------------------------
    page = browse(auditor)
    page.goto(live_server.url + "/audit/")
    page.select_option("select[name=model]", "catalog.dataresource")
    page.fill("input[name=object_id]", str(resource.pk))
    with page.expect_navigation():
        page.locator("main form[role=search] button[type=submit]").click()
    rows = page.locator("table.audit-table tbody tr")
    expect(rows.first).to_be_visible()
    # Every row is this resource; the edit shows the old and the new name.
    assert rows.count() == resource.history.count()
    edit = rows.filter(has=page.locator("ins.diff-new", has_text=NEW_NAME))
    expect(edit).to_have_count(1)
    expect(edit.locator("del.diff-old")).to_contain_text([OLD_NAME])
    expect(edit).to_contain_text("liaison_a")
    expect(edit).to_contain_text(EDIT_REASON)
    shot(page, "audit", "01-timeline")

    # --- the object's own history, with every field diff ----------------------------------
    with page.expect_navigation():
        edit.get_by_role("link", name=NEW_NAME).click()
    assert f"/audit/history/catalog.dataresource/{resource.pk}/" in page.url
    expect(page.locator("h1")).to_contain_text(NEW_NAME)
    edit = page.locator("table.audit-table tbody tr").filter(has=page.locator("ins.diff-new", has_text=NEW_NAME))
    expect(edit).to_have_count(1)
    expect(edit.locator("del.diff-old", has_text=OLD_NAME)).to_be_visible()
    # The update frequency changed in the same save: both diffs are on the one version.
    expect(edit.locator("li")).to_have_count(2)
    shot(page, "audit", "02-object-history")

    # --- the ledger, verified on demand ---------------------------------------------------
    with page.expect_navigation():
        page.locator("ul.nav-tabs a[href$='/audit/ledger/']").click()
    expect(page.locator("h1")).to_be_visible()
    with page.expect_navigation():
        page.locator("form[action$='/audit/ledger/verify/'] button[type=submit]").click()
    result = page.locator("#verification")
    expect(result).to_have_class("alert alert-success")
    expect(result).to_contain_text(str(ledger_size))
    shot(page, "audit", "03-ledger-verified")
    # Verifying reads only.
    assert LedgerEntry.objects.count() == ledger_size
    assert ledger.verify().ok
    page.context.close()

    # --- the officer's dashboard ----------------------------------------------------------
    page = browse(officer, via="/dashboard/")
    assert page.url.endswith("/dashboard/")
    expect(page.locator("#funnel-overall [data-figure=duties]")).to_have_text("1")
    expect(page.locator("#scorecard-table")).to_contain_text(dept_a.name)
    # Charts draw after load; give them their animation frame before the picture.
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(800)
    shot(page, "audit", "04-dashboard")
    page.context.close()
