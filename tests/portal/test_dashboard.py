"""The dashboard's inbox: what the department owes, share requests to decide first."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog.choices import ShareType
from sharing import services as sharing_services
from sharing.choices import UsageMode
from sharing.models import ShareAgreement
from tests.factories import make_published_resource

pytestmark = pytest.mark.django_db


def request_for(resource, requester, **fields):
    """A share request by `requester`'s department for all items of `resource`, submitted."""
    today = timezone.localdate()
    agreement = ShareAgreement(
        provider=resource.department,
        purpose=fields.pop("purpose", "核验企业登记信息"),
        legal_basis="《政务数据共享条例》第十二条",
        usage_mode=UsageMode.QUERY,
        valid_from=today,
        valid_to=today + timedelta(days=365),
        requester_contact="张三",
    )
    agreement = sharing_services.agreement_save(agreement=agreement, actor=requester, items=list(resource.items.all()))
    return sharing_services.agreement_submit(agreement=agreement, actor=requester)


@pytest.fixture
def conditional_a(dept_a, liaison_a, officer):
    return make_published_resource(
        dept_a,
        liaison_a,
        officer,
        share_type=ShareType.CONDITIONAL,
        share_conditions="仅限行政执法使用",
        item_fields={"share_type": ShareType.CONDITIONAL},
    )


def test_share_request_to_decide_is_in_the_provider_inbox(client_a, conditional_a, liaison_b):
    agreement = request_for(conditional_a, liaison_b, purpose="查验经营者身份")
    response = client_a.get(reverse("portal:dashboard"))
    assert [a.pk for a in response.context["inbox"]["requests"]] == [agreement.pk]
    assert "查验经营者身份" in response.content.decode()


def test_requesting_department_has_nothing_to_decide(client_b, conditional_a, liaison_b):
    request_for(conditional_a, liaison_b)
    assert client_b.get(reverse("portal:dashboard")).context["inbox"]["requests"] == []


def test_overdue_decision_is_flagged(client_a, conditional_a, liaison_b):
    agreement = request_for(conditional_a, liaison_b)
    # The deadline is set by the service in working days; move it into the past as time would.
    ShareAgreement.objects.filter(pk=agreement.pk).update(decision_due=timezone.localdate() - timedelta(days=1))
    body = client_a.get(reverse("portal:dashboard")).content.decode()
    assert "text-danger" in body


def test_dashboard_lists_drafts_and_counts_resources_by_status(client_a, liaison_a, officer, dept_a):
    from tests.factories import make_resource

    draft = make_resource(dept_a, liaison_a)
    make_published_resource(dept_a, liaison_a, officer)
    response = client_a.get(reverse("portal:dashboard"))
    assert response.context["inbox"]["drafts"] == [draft]
    counts = response.context["resource_counts"]
    assert (counts["draft"], counts["published"], counts["total"]) == (1, 1, 2)


def test_empty_dashboard_says_what_to_do_next(client_a):
    body = client_a.get(reverse("portal:dashboard")).content.decode()
    assert reverse("portal:resource_create") in body
    assert reverse("portal:duty_create") in body
