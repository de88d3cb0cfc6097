"""Data products: built by the operator's staff from licensed items only, every personal item
desensitized by a working rule, reviewed by the bureau, and stopped with their licence."""

import json
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from operations import services
from operations.choices import DesensitizationMethod, Generalization, LicenseStatus, ProductStatus
from operations.desensitize import pseudonymize
from operations.models import DataProduct, DesensitizationRule
from sharing.models import LedgerEntry

from .conftest import item, make_active_license, make_licensable_resource, make_product, standard_rules


@pytest.fixture
def draft(license_a, staff_a):
    return make_product(license_a, staff_a)


@pytest.fixture
def submitted(draft, staff_a):
    return services.product_submit(product=draft, actor=staff_a)


@pytest.fixture
def stop_license(officer, clock):
    """Take a licence out of force, by suspension or by the end of its term."""

    def stop(license, how):
        if how == "suspended":
            services.license_suspend(license=license, actor=officer, reason="数据安全事件调查")
        else:
            clock.travel_to(license.term_end + timedelta(days=1))
            services.licenses_expire_due()
        license.refresh_from_db()
        assert license.status == how

    return stop


def resave(product, actor, resource):
    """Save `product` again with all of the resource's items and the standard rules."""
    return services.product_save(
        product=product, actor=actor, items=list(resource.items.all()), rules=standard_rules(resource)
    )


def last_entry() -> dict:
    entry = LedgerEntry.objects.order_by("-seq").first()
    return {"action": entry.action, "actor_id": entry.actor_id, **json.loads(entry.payload)}


# --- Building -------------------------------------------------------------------------------


def test_operator_staff_builds_a_product_from_licensed_items(license_a, staff_a, resource):
    product = make_product(license_a, staff_a)

    assert product.status == ProductStatus.DRAFT
    assert set(product.items.all()) == set(resource.items.all())
    assert product.rules.count() == 4


def test_each_product_gets_its_own_pseudonym_key(license_a, staff_a):
    first = make_product(license_a, staff_a, name="产品一")
    second = make_product(license_a, staff_a, name="产品二")

    assert len(first.pseudonym_key) == 64
    assert first.pseudonym_key != second.pseudonym_key


def test_product_save_leaves_a_history_record_with_the_staff_member(draft, staff_a):
    assert draft.history.latest().history_user == staff_a


def test_item_outside_the_licence_is_refused(license_a, staff_a, resource, dept_b, liaison_b, officer):
    unlicensed = make_licensable_resource(dept_b, liaison_b, officer)

    with pytest.raises(ValidationError, match="not part of the licensed resources"):
        make_product(license_a, staff_a, items=[item(resource, "COUNT"), item(unlicensed, "COUNT")], rules=[])
    assert not DataProduct.objects.exists()


def test_personal_information_item_without_a_rule_is_refused(license_a, staff_a, resource):
    rules = [r for r in standard_rules(resource) if r.item.code != "NAME"]

    with pytest.raises(ValidationError) as excinfo:
        make_product(license_a, staff_a, rules=rules)

    assert excinfo.value.messages == ["“姓名” carries personal information and needs a desensitization rule."]
    assert not DataProduct.objects.exists()


def test_item_without_personal_information_needs_no_rule(license_a, staff_a, resource):
    product = make_product(license_a, staff_a, items=[item(resource, "COUNT")], rules=[])

    assert product.status == ProductStatus.DRAFT


@pytest.mark.parametrize(
    ("method", "params", "message"),
    [
        (
            DesensitizationMethod.MASK,
            {"keep_prefix": "three"},
            "“keep_prefix” must be a whole number.",
        ),
        (
            DesensitizationMethod.MASK,
            {"keep_prefix": -1},
            "The kept prefix and suffix cannot be negative.",
        ),
        (DesensitizationMethod.GENERALIZE, {}, "Unknown generalization “”."),
        (
            DesensitizationMethod.GENERALIZE,
            {"kind": Generalization.NUMBER_TO_RANGE, "width": 0},
            "The range width must be positive.",
        ),
        ("encrypt", {}, "Unknown desensitization method “encrypt”."),
    ],
)
def test_rule_with_bad_params_is_refused_with_its_message(license_a, staff_a, resource, method, params, message):
    rules = [r for r in standard_rules(resource) if r.item.code != "ID_NO"]
    rules.append(DesensitizationRule(item=item(resource, "ID_NO"), method=method, params=params))

    with pytest.raises(ValidationError) as excinfo:
        make_product(license_a, staff_a, rules=rules)

    assert f"Rule for “公民身份号码”: {message}" in excinfo.value.messages
    assert not DataProduct.objects.exists()


def test_address_generalization_rule_is_accepted(license_a, staff_a, resource):
    rules = [
        DesensitizationRule(
            item=item(resource, "ADDR"),
            method=DesensitizationMethod.GENERALIZE,
            params={"kind": Generalization.ADDRESS_TO_DISTRICT},
        )
    ]

    product = make_product(license_a, staff_a, items=[item(resource, "ADDR")], rules=rules)

    assert product.rules.get().params == {"kind": "address_district"}


def test_rule_for_an_item_outside_the_product_is_refused(license_a, staff_a, resource):
    with pytest.raises(ValidationError, match="not in the product"):
        make_product(license_a, staff_a, items=[item(resource, "COUNT")], rules=standard_rules(resource)[:1])


def test_editing_a_draft_replaces_its_rules(draft, staff_a, resource):
    rules = [
        DesensitizationRule(item=item(resource, "ID_NO"), method=DesensitizationMethod.SUPPRESS, params={}),
        *[r for r in standard_rules(resource) if r.item.code != "ID_NO"],
    ]

    services.product_save(product=draft, actor=staff_a, items=list(resource.items.all()), rules=rules)

    assert draft.rules.get(item__code="ID_NO").method == DesensitizationMethod.SUPPRESS
    assert draft.rules.count() == 4


# --- Preview --------------------------------------------------------------------------------


def test_preview_shows_each_method_applied_to_its_sample(draft, resource):
    rules = [
        *standard_rules(resource),
        DesensitizationRule(item=item(resource, "COUNT"), method=DesensitizationMethod.SUPPRESS, params={}),
    ]
    samples = {
        item(resource, "ID_NO").pk: "110105199001011234",
        item(resource, "BIRTH").pk: "1990-01-01",
        item(resource, "ADDR").pk: "北京市朝阳区建国路1号",
        item(resource, "NAME").pk: "张三",
        item(resource, "COUNT").pk: "3",
    }

    rows = {row["rule"].item.code: row for row in services.product_preview(draft, rules, samples)}

    assert rows["ID_NO"]["result"] == "110***********1234"
    assert rows["BIRTH"]["result"] == "1990-01"
    assert rows["ADDR"]["result"] == "北京市朝阳区"
    assert rows["NAME"]["result"] == pseudonymize("张三", key=draft.pseudonym_key.encode())
    assert rows["COUNT"]["result"] == ""
    assert all(row["error"] == "" for row in rows.values())


def test_preview_before_saving_uses_the_given_key(resource):
    rule = DesensitizationRule(item=item(resource, "NAME"), method=DesensitizationMethod.PSEUDONYMIZE, params={})

    [row] = services.product_preview(b"draft-key", [rule], {rule.item_id: "张三"})

    assert row["result"] == pseudonymize("张三", key=b"draft-key")


def test_preview_shows_a_value_the_rule_cannot_handle_as_an_error(draft, resource):
    rule = DesensitizationRule(
        item=item(resource, "BIRTH"), method=DesensitizationMethod.GENERALIZE, params={"kind": "date_month"}
    )

    [row] = services.product_preview(draft, [rule], {rule.item_id: "去年春天"})

    assert row["result"] == ""
    assert "not a date" in row["error"]


def test_preview_shows_bad_parameters_as_an_error(draft, resource):
    rule = DesensitizationRule(
        item=item(resource, "ID_NO"), method=DesensitizationMethod.MASK, params={"keep_prefix": "x"}
    )

    [row] = services.product_preview(draft, [rule], {rule.item_id: "110105199001011234"})

    assert "keep_prefix" in row["error"]


# --- Review ---------------------------------------------------------------------------------


def test_operator_staff_submits_a_draft(draft, staff_a):
    services.product_submit(product=draft, actor=staff_a)

    assert draft.status == ProductStatus.SUBMITTED
    assert last_entry()["action"] == "product.submit"
    assert last_entry()["actor_id"] == staff_a.pk


def test_bureau_approves_a_submitted_product(submitted, officer):
    services.product_approve(product=submitted, actor=officer)

    assert submitted.status == ProductStatus.APPROVED
    assert last_entry()["action"] == "product.approve"
    assert last_entry()["actor_id"] == officer.pk


def test_bureau_rejects_a_submitted_product_with_a_reason(submitted, officer):
    services.product_reject(product=submitted, actor=officer, reason="脱敏不充分")

    assert submitted.status == ProductStatus.REJECTED
    assert submitted.status_reason == "脱敏不充分"
    assert last_entry()["reason"] == "脱敏不充分"


@pytest.mark.parametrize("reason", ["", "  "])
def test_rejection_needs_a_reason(submitted, officer, reason):
    with pytest.raises(ValidationError, match="reason"):
        services.product_reject(product=submitted, actor=officer, reason=reason)

    submitted.refresh_from_db()
    assert submitted.status == ProductStatus.SUBMITTED


def test_rejected_product_can_be_revised_and_resubmitted(submitted, staff_a, officer, resource):
    services.product_reject(product=submitted, actor=officer, reason="脱敏不充分")
    rules = [
        DesensitizationRule(item=item(resource, "ID_NO"), method=DesensitizationMethod.SUPPRESS, params={}),
        *[r for r in standard_rules(resource) if r.item.code != "ID_NO"],
    ]
    services.product_save(product=submitted, actor=staff_a, items=list(resource.items.all()), rules=rules)

    services.product_submit(product=submitted, actor=staff_a)

    assert submitted.status == ProductStatus.SUBMITTED


@pytest.mark.parametrize("actor_fixture", ["staff_a", "auditor", "liaison_a", "firm_staff_a"])
def test_only_the_bureau_approves_products(request, submitted, actor_fixture):
    with pytest.raises(PermissionDenied):
        services.product_approve(product=submitted, actor=request.getfixturevalue(actor_fixture))

    submitted.refresh_from_db()
    assert submitted.status == ProductStatus.SUBMITTED


def test_approval_of_a_draft_is_refused(draft, officer):
    with pytest.raises(ValidationError):
        services.product_approve(product=draft, actor=officer)


def test_approved_product_cannot_be_edited(submitted, staff_a, officer, resource):
    services.product_approve(product=submitted, actor=officer)
    submitted.name = "改名"

    with pytest.raises(ValidationError, match="Only drafts"):
        resave(submitted, staff_a, resource)


def test_operator_withdraws_an_approved_product_with_a_reason(submitted, staff_a, officer):
    services.product_approve(product=submitted, actor=officer)

    services.product_withdraw(product=submitted, actor=staff_a, reason="停止运营该产品")

    assert submitted.status == ProductStatus.WITHDRAWN


# --- A licence out of force stops products at once ------------------------------------------


@pytest.mark.parametrize("how", [LicenseStatus.SUSPENDED, LicenseStatus.EXPIRED])
def test_licence_out_of_force_stops_new_products(license_a, staff_a, stop_license, how):
    stop_license(license_a, how)

    with pytest.raises(ValidationError, match="not in force"):
        make_product(license_a, staff_a)
    assert not DataProduct.objects.exists()


@pytest.mark.parametrize("how", [LicenseStatus.SUSPENDED, LicenseStatus.EXPIRED])
def test_licence_out_of_force_stops_submissions(draft, staff_a, stop_license, how):
    stop_license(draft.license, how)

    with pytest.raises(ValidationError, match="not in force"):
        services.product_submit(product=draft, actor=staff_a)
    draft.refresh_from_db()
    assert draft.status == ProductStatus.DRAFT


@pytest.mark.parametrize("how", [LicenseStatus.SUSPENDED, LicenseStatus.EXPIRED])
def test_licence_out_of_force_stops_approvals(submitted, officer, stop_license, how):
    stop_license(submitted.license, how)

    with pytest.raises(ValidationError, match="not in force"):
        services.product_approve(product=submitted, actor=officer)
    submitted.refresh_from_db()
    assert submitted.status == ProductStatus.SUBMITTED


@pytest.mark.parametrize("how", [LicenseStatus.SUSPENDED, LicenseStatus.EXPIRED])
def test_licence_out_of_force_stops_edits_of_drafts(draft, staff_a, resource, stop_license, how):
    stop_license(draft.license, how)
    draft.name = "改名"

    with pytest.raises(ValidationError, match="not in force"):
        resave(draft, staff_a, resource)


def test_resumed_licence_allows_submissions_again(draft, staff_a, officer):
    services.license_suspend(license=draft.license, actor=officer, reason="调查")
    services.license_resume(license=draft.license, actor=officer, reason="调查结束")

    services.product_submit(product=draft, actor=staff_a)

    assert draft.status == ProductStatus.SUBMITTED


# --- Another operator -----------------------------------------------------------------------


def test_another_operators_staff_cannot_build_under_the_licence(license_a, staff_b):
    with pytest.raises(PermissionDenied):
        make_product(license_a, staff_b)
    assert not DataProduct.objects.exists()


def test_another_operators_staff_cannot_edit_a_product(draft, staff_b, resource):
    draft.name = "被改名"

    with pytest.raises(PermissionDenied):
        resave(draft, staff_b, resource)
    assert DataProduct.objects.get(pk=draft.pk).name == "人口分布统计"


def test_another_operator_cannot_take_a_product_over_under_its_own_licence(draft, staff_b, license_b, resource):
    draft.license = license_b

    with pytest.raises(PermissionDenied):
        resave(draft, staff_b, resource)
    assert DataProduct.objects.get(pk=draft.pk).license.operator.name == "甲数据运营有限公司"


def test_product_cannot_move_to_another_licence(draft, staff_a, operator_a, resource, officer):
    other = make_active_license(operator_a, [resource], officer)
    draft.license = other

    with pytest.raises(ValidationError, match="stays under the licence"):
        resave(draft, staff_a, resource)


def test_another_operators_staff_cannot_submit_a_product(draft, staff_b):
    with pytest.raises(PermissionDenied):
        services.product_submit(product=draft, actor=staff_b)
    draft.refresh_from_db()
    assert draft.status == ProductStatus.DRAFT


def test_another_operators_staff_cannot_withdraw_a_product(submitted, staff_b):
    with pytest.raises(PermissionDenied):
        services.product_withdraw(product=submitted, actor=staff_b, reason="恶意撤回")
