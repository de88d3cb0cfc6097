"""Fixtures for the share-agreement pages: dept_a requests, dept_b provides, dept_c looks on.

Agreements are built and advanced through sharing/services.py only, so the pages see the same
grants, history and ledger entries as real use.
"""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from catalog import services as catalog_services
from catalog.choices import PersonalInfo, SecurityGrade, ShareType
from catalog.models import Department
from govdata.roles import Role
from sharing import services
from sharing.choices import UsageMode
from sharing.models import ShareAgreement
from tests.factories import make_published_resource, make_user


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def client_a(liaison_a):
    return signed_in(liaison_a)


@pytest.fixture
def client_b(liaison_b):
    return signed_in(liaison_b)


@pytest.fixture
def dept_c(db):
    return catalog_services.department_save(department=Department(code="TAX", name="市税务局"), actor=None)


@pytest.fixture
def liaison_c(dept_c):
    return make_user("liaison_c", Role.LIAISON, department=dept_c)


@pytest.fixture
def client_c(liaison_c):
    return signed_in(liaison_c)


@pytest.fixture
def officer_client(officer):
    return signed_in(officer)


@pytest.fixture
def auditor_client(auditor):
    return signed_in(auditor)


@pytest.fixture
def conditional_resource(dept_b, liaison_b, officer):
    """dept_b's published resource, shared conditionally, important grade, personal information."""
    return make_published_resource(
        dept_b,
        liaison_b,
        officer,
        name="企业登记信息",
        share_type=ShareType.CONDITIONAL,
        share_conditions="仅限行政执法使用",
        item_fields={
            "share_type": ShareType.CONDITIONAL,
            "security_grade": SecurityGrade.IMPORTANT,
            "personal_info": PersonalInfo.PERSONAL,
        },
    )


@pytest.fixture
def other_resource(dept_b, liaison_b, officer):
    """A second published resource of the same provider."""
    return make_published_resource(
        dept_b,
        liaison_b,
        officer,
        name="行政许可信息",
        share_type=ShareType.CONDITIONAL,
        share_conditions="仅限审批使用",
        item_fields={"share_type": ShareType.CONDITIONAL},
    )


@pytest.fixture
def unconditional_resource(dept_b, liaison_b, officer):
    return make_published_resource(dept_b, liaison_b, officer, name="公开名录", share_type=ShareType.UNCONDITIONAL)


@pytest.fixture
def not_shared_resource(dept_b, liaison_b, officer):
    return make_published_resource(
        dept_b,
        liaison_b,
        officer,
        name="统计调查原始数据",
        share_type=ShareType.NOT_SHARED,
        not_shared_basis="《中华人民共和国统计法》第三十九条",
        item_fields={"share_type": ShareType.NOT_SHARED},
    )


@pytest.fixture
def make_agreement(liaison_a):
    """A draft request of liaison_a's department for `items` (their resource's department provides)."""

    def factory(items, *, actor=None, mode=UsageMode.QUERY, **fields):
        items = list(items)
        today = timezone.localdate()
        agreement = ShareAgreement(
            provider=fields.pop("provider", None) or items[0].resource.department,
            purpose=fields.pop("purpose", "核验企业登记信息"),
            legal_basis=fields.pop("legal_basis", "《政务数据共享条例》第十二条"),
            usage_mode=mode,
            valid_from=fields.pop("valid_from", today),
            valid_to=fields.pop("valid_to", today + timedelta(days=365)),
            requester_contact=fields.pop("requester_contact", "张三"),
            **fields,
        )
        return services.agreement_save(agreement=agreement, actor=actor or liaison_a, items=items)

    return factory


@pytest.fixture
def draft(make_agreement, conditional_resource):
    return make_agreement(conditional_resource.items.all())


@pytest.fixture
def submitted(draft, liaison_a):
    return services.agreement_submit(agreement=draft, actor=liaison_a)


@pytest.fixture
def active(submitted, liaison_b, officer):
    services.agreement_provider_approve(agreement=submitted, actor=liaison_b, contact="李四")
    return services.agreement_bureau_approve(agreement=submitted, actor=officer)


@pytest.fixture
def make_overdue(db):
    """Move an agreement's decision deadline into the past, as the calendar would.

    The service sets the deadline from working days at submission; tests cannot wait for it.
    """

    def run(agreement, *, days_ago=1):
        ShareAgreement.objects.filter(pk=agreement.pk).update(
            decision_due=timezone.localdate() - timedelta(days=days_ago)
        )
        agreement.refresh_from_db()
        return agreement

    return run
