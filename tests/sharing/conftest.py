"""Fixtures for share agreements: published resources of dept_b (the provider) in each share type,
a third department, and agreements built and advanced through sharing/services.py only."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from catalog import services as catalog_services
from catalog.choices import PersonalInfo, SecurityGrade, ShareType
from catalog.models import Department
from govdata.roles import Role
from sharing import services
from sharing.choices import AgreementStatus, UsageMode
from sharing.models import ShareAgreement
from tests.factories import make_published_resource, make_user


@pytest.fixture
def english():
    """Service messages in English, so assertions can read them whatever the .po files hold."""
    with translation.override("en"):
        yield


@pytest.fixture
def department(db):
    """The object the ledger tests record steps on (made directly: no service step of its own)."""
    return Department.objects.create(code="PSB", name="市公安局")


@pytest.fixture
def dept_c(db):
    return catalog_services.department_save(department=Department(code="TAX", name="市税务局"), actor=None)


@pytest.fixture
def liaison_c(dept_c):
    return make_user("liaison_c", Role.LIAISON, department=dept_c)


@pytest.fixture
def conditional_resource(dept_b, liaison_b, officer):
    return make_published_resource(
        dept_b,
        liaison_b,
        officer,
        share_type=ShareType.CONDITIONAL,
        share_conditions="仅限行政执法使用",
        item_fields={"share_type": ShareType.CONDITIONAL},
    )


@pytest.fixture
def unconditional_resource(dept_b, liaison_b, officer):
    return make_published_resource(dept_b, liaison_b, officer, share_type=ShareType.UNCONDITIONAL)


@pytest.fixture
def not_shared_resource(dept_b, liaison_b, officer):
    return make_published_resource(
        dept_b,
        liaison_b,
        officer,
        share_type=ShareType.NOT_SHARED,
        not_shared_basis="《中华人民共和国统计法》第三十九条",
        item_fields={"share_type": ShareType.NOT_SHARED},
    )


@pytest.fixture
def graded_resource(dept_b, liaison_b, officer):
    """Conditional, important grade, sensitive personal information: every extra clause applies."""
    return make_published_resource(
        dept_b,
        liaison_b,
        officer,
        share_type=ShareType.CONDITIONAL,
        share_conditions="仅限行政执法使用",
        item_fields={
            "share_type": ShareType.CONDITIONAL,
            "security_grade": SecurityGrade.IMPORTANT,
            "personal_info": PersonalInfo.SENSITIVE,
        },
    )


@pytest.fixture
def make_agreement(liaison_a):
    """A draft request of the actor's department (liaison_a by default) for `items`."""

    def factory(items, *, actor=None, mode=UsageMode.QUERY, valid_from=None, valid_to=None, **fields):
        items = list(items)
        today = timezone.localdate()
        agreement = ShareAgreement(
            provider=fields.pop("provider", None) or items[0].resource.department,
            purpose=fields.pop("purpose", "核验企业登记信息"),
            legal_basis=fields.pop("legal_basis", "《政务数据共享条例》第十二条"),
            usage_mode=mode,
            valid_from=valid_from or today,
            valid_to=valid_to or today + timedelta(days=365),
            requester_contact=fields.pop("requester_contact", "张三"),
            **fields,
        )
        return services.agreement_save(agreement=agreement, actor=actor or liaison_a, items=items)

    return factory


@pytest.fixture
def conditional_draft(make_agreement, conditional_resource):
    return make_agreement(conditional_resource.items.all())


@pytest.fixture
def conditional_submitted(conditional_draft, liaison_a):
    return services.agreement_submit(agreement=conditional_draft, actor=liaison_a)


@pytest.fixture
def conditional_provider_approved(conditional_submitted, liaison_b):
    return services.agreement_provider_approve(agreement=conditional_submitted, actor=liaison_b)


@pytest.fixture
def conditional_active(conditional_provider_approved, officer):
    return services.agreement_bureau_approve(agreement=conditional_provider_approved, actor=officer)


@pytest.fixture
def conditional_suspended(conditional_active, officer):
    return services.agreement_suspend(agreement=conditional_active, actor=officer, reason="配合专项检查")


@pytest.fixture
def unconditional_submitted(make_agreement, unconditional_resource, liaison_a):
    agreement = make_agreement(unconditional_resource.items.all())
    return services.agreement_submit(agreement=agreement, actor=liaison_a)


@pytest.fixture
def activate(liaison_a, liaison_b, officer):
    """Drive a draft of liaison_a's department to active through the regular steps."""

    def run(agreement):
        services.agreement_submit(agreement=agreement, actor=liaison_a)
        unconditional = all(
            ShareType.UNCONDITIONAL == i.share_type == i.resource.share_type
            for i in agreement.items.select_related("resource")
        )
        if not unconditional:
            services.agreement_provider_approve(agreement=agreement, actor=liaison_b)
        return services.agreement_bureau_approve(agreement=agreement, actor=officer)

    return run


@pytest.fixture
def end_period(db):
    """Move the end of an agreement's period into the past.

    No service edits the period after submission, and the tests cannot wait for the calendar, so
    this arranges the state real time would produce: an agreement whose valid_to has passed.
    """

    def run(agreement, *, days_ago=1):
        ended = timezone.localdate() - timedelta(days=days_ago)
        ShareAgreement.objects.filter(pk=agreement.pk).update(
            valid_from=min(agreement.valid_from, ended), valid_to=ended
        )
        agreement.refresh_from_db()
        return agreement

    return run


@pytest.fixture
def reach(make_agreement, conditional_resource, unconditional_resource, liaison_a, liaison_b, officer, end_period):
    """A fresh request of dept_a to dept_b, driven through the services to `state`.

    Conditional items by default; `unconditional=True` for a request the provider step skips.
    """

    def run(state, *, unconditional=False, mode=UsageMode.QUERY):
        resource = unconditional_resource if unconditional else conditional_resource
        agreement = make_agreement(resource.items.all(), mode=mode)
        if state == AgreementStatus.DRAFT:
            return agreement
        if state == AgreementStatus.WITHDRAWN:
            return services.agreement_withdraw(agreement=agreement, actor=liaison_a, reason="不再需要")
        services.agreement_submit(agreement=agreement, actor=liaison_a)
        if state == AgreementStatus.SUBMITTED:
            return agreement
        if state == AgreementStatus.BUREAU_REJECTED:
            return services.agreement_bureau_reject(agreement=agreement, actor=officer, reason="用途不明确")
        if state == AgreementStatus.PROVIDER_REJECTED:
            return services.agreement_provider_reject(agreement=agreement, actor=liaison_b, reason="超出职责范围")
        if not unconditional:
            services.agreement_provider_approve(agreement=agreement, actor=liaison_b)
        if state == AgreementStatus.PROVIDER_APPROVED:
            return agreement
        services.agreement_bureau_approve(agreement=agreement, actor=officer)
        if state == AgreementStatus.ACTIVE:
            return agreement
        if state == AgreementStatus.REVOKED:
            return services.agreement_revoke(agreement=agreement, actor=officer, reason="违规使用")
        if state == AgreementStatus.EXPIRED:
            end_period(agreement)
            return services.agreement_expire(agreement=agreement)
        assert state == AgreementStatus.SUSPENDED, state
        return services.agreement_suspend(agreement=agreement, actor=officer, reason="配合专项检查")

    return run
