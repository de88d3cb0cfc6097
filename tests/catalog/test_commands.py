"""The demo seed (`seed_demo`) and the permission rebuild (`sync_permissions`).

The seed runs once for the whole module, inside a transaction that is rolled back when the
module is done, so no other test module ever sees the demo data. Each test runs in a savepoint
inside it, as Django's TestCase does with setUpTestData.
"""

from collections import Counter
from datetime import timedelta
from io import StringIO

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q
from django.test import override_settings
from django.utils import timezone, translation
from guardian.utils import get_group_obj_perms_model

from catalog import demo_data, services
from catalog.choices import ClaimStatus, PersonalInfo, ResourceStatus, ShareType, SubjectCategory
from catalog.management.commands.sync_permissions import sync_object_permissions
from catalog.models import (
    DataElement,
    DataItem,
    DataResource,
    Department,
    Duty,
    InformationSystem,
    SourceAssignment,
    User,
)
from govdata.permissions import restrict
from govdata.roles import Role
from operations import demo_data as operations_demo
from operations import services as operations_services
from operations.choices import FindingStatus, LicenseStatus, ProductStatus
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
from sharing import demo_data as sharing_demo
from sharing import ledger
from sharing.choices import MODE_RANK, AgreementStatus, UsageOutcome
from sharing.models import LedgerEntry, ShareAgreement, UsageRecord

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def seed_output(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        with transaction.atomic():
            out = StringIO()
            call_command("seed_demo", stdout=out)
            yield out.getvalue()
            transaction.set_rollback(True)


@pytest.fixture
def seeded(seed_output, db):
    return seed_output


@pytest.fixture
def officer(seeded):
    return User.objects.get(username="officer")


def liaison(code):
    return User.objects.get(username=f"liaison_{code.lower()}")


def row_counts():
    return {model._meta.label: model._default_manager.count() for model in apps.get_models(include_auto_created=True)}


def confirmed_sources():
    return dict(
        SourceAssignment.objects.filter(status=ClaimStatus.CONFIRMED).values_list("element_id", "department_id")
    )


# --- seed_demo: content -----------------------------------------------------------------------


def test_seed_creates_at_least_the_minimum_catalogue(seeded):
    assert Department.objects.count() >= 12
    assert Duty.objects.count() >= 60
    assert InformationSystem.objects.count() >= 20
    assert DataResource.objects.count() >= 100
    assert DataElement.objects.count() >= 30


def test_seed_creates_one_liaison_per_business_department_and_the_bureau_roles(seeded):
    business = Department.objects.exclude(code=demo_data.BUREAU_CODE)
    for department in business:
        user = liaison(department.code)
        assert user.department == department
        assert set(user.groups.values_list("name", flat=True)) == {Role.LIAISON.value, department.liaison_group.name}
        assert user.last_name and user.first_name
    officer = User.objects.get(username="officer")
    assert officer.is_staff and officer.department.code == demo_data.BUREAU_CODE
    assert list(officer.groups.values_list("name", flat=True)) == [Role.OFFICER.value]
    auditor = User.objects.get(username="auditor")
    assert auditor.is_staff and list(auditor.groups.values_list("name", flat=True)) == [Role.AUDITOR.value]


def test_seed_gives_every_demo_user_the_demo_password(seeded):
    assert User.objects.count() == 15 + len(operations_demo.USERNAMES)
    assert all(user.check_password(settings.DEMO_PASSWORD) for user in User.objects.all())


def test_every_seeded_resource_and_item_passes_model_validation(seeded):
    resources = DataResource.objects.select_related("source_system").prefetch_related("items__resource")
    for resource in resources:
        resource.full_clean()
        items = list(resource.items.all())
        assert 3 <= len(items) <= 12, resource.catalogue_code
        services.validate_resource_items(resource, items)
        for item in items:
            item.full_clean()


def test_core_items_of_basic_libraries_are_shared_unconditionally_and_not_sensitive(seeded):
    core = DataItem.objects.filter(is_core_item=True).select_related("resource")
    assert core.count() >= 20
    for item in core:
        assert item.resource.subject in SubjectCategory.basic_libraries()
        assert item.share_type == ShareType.UNCONDITIONAL
        assert item.personal_info != PersonalInfo.SENSITIVE


def test_seed_covers_every_share_type_with_its_conditions_or_legal_basis(seeded):
    conditional = DataResource.objects.filter(share_type=ShareType.CONDITIONAL)
    not_shared = DataResource.objects.filter(share_type=ShareType.NOT_SHARED)
    assert DataResource.objects.filter(share_type=ShareType.UNCONDITIONAL).exists()
    assert conditional.exists() and not conditional.filter(share_conditions="").exists()
    assert not_shared.exists() and not not_shared.filter(not_shared_basis="").exists()


def test_seed_puts_resources_in_every_workflow_state(seeded):
    counts = dict(DataResource.objects.order_by().values("status").annotate(n=Count("pk")).values_list("status", "n"))
    assert counts[ResourceStatus.PUBLISHED] > sum(counts.values()) / 2
    assert counts[ResourceStatus.DRAFT] >= 2
    assert counts[ResourceStatus.SUBMITTED] >= 2
    assert counts[ResourceStatus.RETIRED] == 1
    returned = DataResource.objects.exclude(return_reason="")
    assert returned.count() == 1 and returned.get().status == ResourceStatus.DRAFT


def test_seeded_duties_reach_every_stage_of_the_coverage_funnel(seeded):
    assert Duty.objects.filter(systems__isnull=True).exists()
    assert Duty.objects.filter(systems__isnull=False, resources__isnull=True).exists()
    assert Duty.objects.filter(systems__isnull=False, resources__isnull=False).exists()


def test_seed_confirms_sources_through_claims_of_the_right_department(seeded):
    confirmed = SourceAssignment.objects.filter(status=ClaimStatus.CONFIRMED).select_related("resource", "element")
    assert confirmed.count() >= 20
    for assignment in confirmed:
        assert assignment.resource.department_id == assignment.department_id
        # The source resource really collects the element.
        assert assignment.resource.items.filter(element=assignment.element).exists()


def test_seed_leaves_exactly_two_elements_with_competing_open_claims(seeded):
    contested = (
        DataElement.objects.annotate(
            open_claims=Count("assignments", filter=Q(assignments__status=ClaimStatus.CLAIMED))
        )
        .filter(open_claims__gte=2)
        .values_list("code", flat=True)
    )
    assert sorted(contested) == ["DE0108", "DE0301"]
    assert not SourceAssignment.objects.filter(element__code__in=contested, status=ClaimStatus.CONFIRMED).exists()


def test_seed_creates_exactly_one_duplicate_collection(seeded):
    sources = confirmed_sources()
    duplicates = {
        (item.resource.catalogue_code, item.element.code)
        for item in DataItem.objects.filter(element__isnull=False).select_related("resource", "element")
        if item.element_id in sources and sources[item.element_id] != item.resource.department_id
    }
    assert duplicates == {("JT-0002", "DE0402")}


def test_seed_leaves_a_few_elements_without_any_source(seeded):
    unsourced = DataElement.objects.filter(
        ~Exists(
            SourceAssignment.objects.filter(
                element=OuterRef("pk"), status__in=[ClaimStatus.CLAIMED, ClaimStatus.CONFIRMED]
            )
        )
    )
    assert unsourced.count() >= 2


def test_seed_leaves_a_verifiable_ledger_of_every_workflow_step(seeded):
    result = ledger.verify()
    assert result.ok
    assert result.checked >= DataResource.objects.exclude(status=ResourceStatus.DRAFT).count() + 30


def test_seed_prints_the_logins_and_the_demo_password(seeded):
    assert settings.DEMO_PASSWORD in seeded
    for username in ["officer", "auditor", "liaison_ga", "liaison_yj"]:
        assert username in seeded


# --- seed_demo: sharing and operations -----------------------------------------------------------


def test_seed_creates_share_agreements_in_every_state_that_can_be_reached_today(seeded):
    wanted = Counter(spec["status"] for spec in sharing_demo.AGREEMENTS)
    counts = Counter(dict(ShareAgreement.objects.order_by().values_list("status").annotate(n=Count("pk"))))
    assert counts == wanted
    # Expiry needs a period that has ended, and such a period can be neither approved nor resumed.
    assert set(counts) == set(AgreementStatus) - {AgreementStatus.EXPIRED}
    assert counts[AgreementStatus.ACTIVE] == max(counts.values())


def test_seeded_refusals_and_rejections_state_their_reason(seeded):
    refused = ShareAgreement.objects.filter(
        status__in=[
            AgreementStatus.PROVIDER_REJECTED,
            AgreementStatus.BUREAU_REJECTED,
            AgreementStatus.WITHDRAWN,
            AgreementStatus.SUSPENDED,
            AgreementStatus.REVOKED,
        ]
    )
    assert refused.count() == 6
    assert not refused.filter(status_reason="").exists()


def test_seed_records_a_few_hundred_uses_over_the_last_90_days(seeded):
    records = UsageRecord.objects.all()
    assert 250 <= records.count() <= 350
    earliest = timezone.now() - timedelta(days=sharing_demo.USAGE_WINDOW_DAYS)
    assert not records.filter(used_at__lt=earliest).exists()
    assert not records.filter(used_at__gt=timezone.now()).exists()
    assert records.filter(used_at__lt=timezone.now() - timedelta(days=60)).exists()


def test_seeded_uses_are_mostly_accepted_and_only_under_agreements_that_were_in_force(seeded):
    rejected = UsageRecord.objects.filter(outcome=UsageOutcome.REJECTED)
    assert 0 < rejected.count() < UsageRecord.objects.count() / 10
    assert not rejected.filter(rejection_reason="").exists()
    in_force = ShareAgreement.objects.filter(usage_records__outcome=UsageOutcome.ACCEPTED).distinct()
    assert set(in_force.values_list("status", flat=True)) == {
        AgreementStatus.ACTIVE,
        AgreementStatus.SUSPENDED,
        AgreementStatus.REVOKED,
    }


def test_every_seeded_use_and_refusal_has_its_ledger_entry(seeded):
    entries = LedgerEntry.objects.filter(object_type="sharing.usagerecord")
    assert (
        entries.filter(action="usage.accepted").count()
        == UsageRecord.objects.filter(outcome=UsageOutcome.ACCEPTED).count()
    )
    assert (
        entries.filter(action="usage.rejected").count()
        == UsageRecord.objects.filter(outcome=UsageOutcome.REJECTED).count()
    )


def test_seeded_usage_refusals_include_items_outside_scope_a_stronger_mode_and_a_suspended_agreement(seeded):
    rejected = UsageRecord.objects.filter(outcome=UsageOutcome.REJECTED).select_related("agreement")
    outside = stronger = inactive = 0
    for record in rejected:
        agreement = record.agreement
        granted = {f"{r}/{c}" for r, c in agreement.items.values_list("resource__catalogue_code", "code")}
        if not set(record.item_codes) <= granted:
            outside += 1
        elif MODE_RANK[record.mode] > MODE_RANK[agreement.usage_mode]:
            stronger += 1
        elif agreement.status == AgreementStatus.SUSPENDED:
            inactive += 1
    assert outside and stronger and inactive
    assert outside + stronger + inactive == rejected.count()


def test_seed_creates_the_operators_licences_products_trades_and_audit(seeded):
    assert Operator.objects.count() == len(operations_demo.OPERATORS)
    assert dict(Counter(OperatingLicense.objects.values_list("status", flat=True))) == {
        LicenseStatus.ACTIVE: 2,
        LicenseStatus.APPLIED: 1,
    }
    assert dict(Counter(DataProduct.objects.values_list("status", flat=True))) == {
        ProductStatus.APPROVED: 1,
        ProductStatus.SUBMITTED: 1,
    }
    assert Trade.objects.count() == len(operations_demo.TRADES)
    assert AuditFirm.objects.count() == 1 and Audit.objects.count() == 1
    assert dict(Counter(Finding.objects.values_list("status", flat=True))) == {
        FindingStatus.ANSWERED: 1,
        FindingStatus.OPEN: 1,
    }


def test_seeded_trades_stay_within_the_price_cap_of_their_licence(seeded):
    assert not Trade.objects.filter(price__gt=F("license__price_cap")).exists()


def test_seeded_traded_product_masks_its_id_number_and_rules_every_personal_item(seeded):
    product = DataProduct.objects.get(status=ProductStatus.APPROVED)
    rules = {rule.item.code: rule.method for rule in product.rules.select_related("item")}
    assert rules["GMSFHM"] == "mask"
    personal = product.items.exclude(personal_info=PersonalInfo.NONE)
    assert personal.exists()
    assert set(personal.values_list("code", flat=True)) <= set(rules)


def test_seeded_licences_cover_no_core_resource_and_personal_information_in_the_active_one(seeded):
    assert not OperatingLicense.objects.filter(resources__security_grade="core").exists()
    licensed = DataResource.objects.filter(licenses__number="SQYY-XK-0001")
    assert 2 <= licensed.count() <= 3
    assert all(r.items.exclude(personal_info=PersonalInfo.NONE).exists() for r in licensed)


def test_seed_files_one_disclosure_and_leaves_the_other_operator_missing(seeded):
    missing, year = operations_services.operators_missing_disclosure()
    assert [operator.nature for operator in missing] == ["private"]
    filed = AnnualDisclosure.objects.get()
    assert filed.year == year and filed.operator.nature == "state_owned"


def test_seed_makes_the_operator_and_audit_firm_logins_staff_of_their_organisation(seeded):
    for spec in operations_demo.OPERATORS:
        user = User.objects.get(username=spec["user"]["username"])
        operator = Operator.objects.get(credit_code=spec["credit_code"])
        assert set(user.groups.values_list("name", flat=True)) == {Role.OPERATOR_USER.value, operator.staff_group.name}
        assert user.check_password(settings.DEMO_PASSWORD)
    firm_user = User.objects.get(username=operations_demo.AUDIT_FIRM["user"]["username"])
    firm = AuditFirm.objects.get()
    assert set(firm_user.groups.values_list("name", flat=True)) == {Role.AUDIT_FIRM_USER.value, firm.staff_group.name}


def test_seed_prints_the_operator_and_audit_firm_logins_with_their_organisation(seeded):
    for username in operations_demo.USERNAMES:
        assert username in seeded
    assert operations_demo.OPERATORS[0]["name"] in seeded
    assert operations_demo.AUDIT_FIRM["name"] in seeded


def test_history_of_seeded_sharing_and_operations_objects_carries_the_acting_user(seeded):
    models = [*apps.get_app_config("sharing").get_models(), *apps.get_app_config("operations").get_models()]
    checked = 0
    for model in models:
        if "history_user" not in {f.name for f in model._meta.get_fields()}:
            continue
        assert not model.objects.filter(history_user__isnull=True).exists(), model.__name__
        checked += model.objects.count()
    assert checked > 400


def test_seeded_agreement_steps_are_taken_by_the_party_each_belongs_to(seeded):
    history = ShareAgreement.history.select_related("history_user", "requester", "provider")
    for record in history.filter(history_change_reason="submit"):
        assert record.history_user.department_id == record.requester_id
    for record in history.filter(status=AgreementStatus.PROVIDER_APPROVED, history_type="~"):
        assert record.history_user.department_id == record.provider_id
    for record in history.filter(status=AgreementStatus.ACTIVE, history_type="~"):
        assert record.history_user.username == "officer"


# --- seed_demo: history and idempotency -------------------------------------------------------


def test_seeded_history_is_attributed_to_the_officer_except_steps_a_department_takes(officer):
    """Departments submit their resources and claim their elements; the bureau does the rest."""
    for model in apps.get_app_config("catalog").get_models():
        if "history_user" not in {f.name for f in model._meta.get_fields()}:
            continue
        records = model.objects.all()
        assert not records.filter(history_user__isnull=True).exists(), model.__name__
        for record in records.exclude(history_user=officer).select_related("history_user"):
            submit = model is DataResource.history.model and record.history_change_reason == "submit"
            claim = model is SourceAssignment.history.model and record.history_type == "+"
            assert submit or claim, (model.__name__, record.pk)
            department = Department.objects.get(pk=record.department_id)
            assert record.history_user == liaison(department.code)


def test_second_seed_run_changes_nothing(seeded):
    before = row_counts()
    out = StringIO()
    with translation.override("en"):
        call_command("seed_demo", stdout=out)
    assert row_counts() == before
    assert "Nothing to create" in out.getvalue()


def test_second_seed_run_resets_a_changed_demo_password(officer):
    user = liaison("GA")
    user.set_password("changed-by-someone-123")
    user._history_user = user
    user.save()

    call_command("seed_demo", stdout=StringIO())

    user.refresh_from_db()
    assert user.check_password(settings.DEMO_PASSWORD)
    reset = user.history.first()
    assert reset.history_user == officer
    assert reset.history_change_reason == demo_data.RESET_REASON


# --- permissions of the demo data ---------------------------------------------------------------


def test_demo_liaison_cannot_see_another_departments_drafts(seeded):
    drafts = DataResource.objects.filter(status=ResourceStatus.DRAFT)
    own = drafts.filter(department__code="GA")
    other = drafts.exclude(department__code="GA")
    assert own.exists() and other.exists()
    visible = restrict(drafts, liaison("GA"))
    assert set(visible) == set(own)


# --- sync_permissions ---------------------------------------------------------------------------


def owner_grants(obj):
    perm_model = get_group_obj_perms_model(type(obj))
    return set(perm_model.objects.filter(content_object=obj).values_list("group__name", "permission__codename"))


def test_seeded_grants_are_already_in_step_with_ownership(seeded):
    assert not sync_object_permissions().changed


def test_sync_permissions_restores_a_deleted_grant(seeded):
    resource = DataResource.objects.get(catalogue_code="GA-0007")  # submitted: visible to GA only
    before = owner_grants(resource)
    get_group_obj_perms_model(DataResource).objects.filter(content_object=resource).delete()
    assert not restrict(DataResource.objects.filter(pk=resource.pk), liaison("GA")).exists()

    report = sync_object_permissions()

    assert report.grants[DataResource] == (len(before), 0)
    assert owner_grants(resource) == before
    assert restrict(DataResource.objects.filter(pk=resource.pk), liaison("GA")).exists()


def test_sync_permissions_removes_a_grant_given_to_another_departments_group(seeded):
    draft = DataResource.objects.filter(status=ResourceStatus.DRAFT, department__code="GA").first()
    other_group = Department.objects.get(code="SJ").liaison_group
    get_group_obj_perms_model(DataResource).objects.create(
        content_object=draft, group=other_group, permission=Permission.objects.get(codename="view_dataresource")
    )
    assert restrict(DataResource.objects.filter(pk=draft.pk), liaison("SJ")).exists()

    report = sync_object_permissions()

    assert report.grants[DataResource] == (0, 1)
    assert not restrict(DataResource.objects.filter(pk=draft.pk), liaison("SJ")).exists()


def test_sync_permissions_removes_a_permission_the_owner_should_not_hold(seeded):
    item = DataItem.objects.filter(resource__department__code="WJ").first()
    owner_group = Department.objects.get(code="WJ").liaison_group
    get_group_obj_perms_model(DataItem).objects.create(
        content_object=item, group=owner_group, permission=Permission.objects.get(codename="add_dataitem")
    )

    report = sync_object_permissions()

    assert report.grants[DataItem] == (0, 1)
    assert ("dept:WJ", "add_dataitem") not in owner_grants(item)


def test_sync_permissions_fixes_liaison_group_membership(seeded):
    user = liaison("MZ")
    user.groups.remove(Department.objects.get(code="MZ").liaison_group)
    user.groups.add(Department.objects.get(code="SJ").liaison_group)

    report = sync_object_permissions()

    assert report.memberships_fixed == ["liaison_mz"]
    assert set(user.groups.values_list("name", flat=True)) == {Role.LIAISON.value, "dept:MZ"}


def test_sync_permissions_gives_a_department_without_a_group_its_group_and_grants(seeded):
    department = Department.objects.get(code="HJ")
    Department.objects.filter(pk=department.pk).update(liaison_group=None)
    Group.objects.filter(name="dept:HJ").delete()  # takes its grants and memberships with it

    report = sync_object_permissions()

    assert report.groups_linked == ["HJ"]
    assert report.memberships_fixed == ["liaison_hj"]
    resource = DataResource.objects.filter(department=department).first()
    assert owner_grants(resource) == {("dept:HJ", "view_dataresource"), ("dept:HJ", "change_dataresource")}
    assert restrict(DataResource.objects.filter(pk=resource.pk), liaison("HJ")).exists()


def test_second_sync_permissions_run_reports_no_changes(seeded):
    get_group_obj_perms_model(DataItem).objects.all().delete()
    assert sync_object_permissions().changed

    out = StringIO()
    with translation.override("en"):
        call_command("sync_permissions", stdout=out)

    assert "Data items: 0 grants added, 0 removed" in out.getvalue()
    assert "Nothing to change" in out.getvalue()


@pytest.mark.parametrize("broken", [5, 50])
def test_sync_permissions_query_count_does_not_grow_with_the_grants_it_restores(
    seeded, broken, django_assert_max_num_queries
):
    resources = DataResource.objects.order_by("pk")[:broken]
    perm_model = get_group_obj_perms_model(DataResource)
    perm_model.objects.filter(content_object__in=list(resources)).delete()
    get_group_obj_perms_model(DataItem).objects.filter(content_object__resource__in=list(resources)).delete()

    with django_assert_max_num_queries(40):
        report = sync_object_permissions()

    assert report.grants[DataResource] == (2 * broken, 0)
