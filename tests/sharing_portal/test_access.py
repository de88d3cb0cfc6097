"""Who may open which share-agreement page: anonymous visitors, both parties, a third department,
the bureau; and which side may take which step."""

import pytest
from django.urls import reverse

from sharing.choices import AgreementStatus

pytestmark = pytest.mark.django_db

PAGES = ["portal:agreement_list", "portal:agreement_create"]
OBJECT_PAGES = ["portal:agreement_detail", "portal:agreement_edit"]
ACTIONS = [
    "portal:agreement_submit",
    "portal:agreement_withdraw",
    "portal:agreement_approve",
    "portal:agreement_reject",
    "portal:agreement_revoke",
]
# A valid body for every action, so that only the permission decides.
ACTION_DATA = {
    "portal:agreement_submit": {},
    "portal:agreement_withdraw": {"withdraw-reason": "不再需要"},
    "portal:agreement_approve": {"approve-contact": "李四"},
    "portal:agreement_reject": {"reject-reason": "超出职责范围"},
    "portal:agreement_revoke": {"revoke-reason": "违规使用"},
}


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_visitor_is_sent_to_login(client, name):
    url = reverse(name)
    response = client.get(url)
    assert response.status_code == 302
    assert response.url == f"{reverse('portal:login')}?next={url}"


@pytest.mark.parametrize("name", OBJECT_PAGES)
def test_anonymous_visitor_is_sent_to_login_from_agreement_pages(client, draft, name):
    response = client.get(reverse(name, args=[draft.pk]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("portal:login"))


@pytest.mark.parametrize("name", ACTIONS)
def test_anonymous_post_is_sent_to_login_and_changes_nothing(client, submitted, name):
    response = client.post(reverse(name, args=[submitted.pk]), ACTION_DATA[name])
    assert response.status_code == 302
    assert response.url.startswith(reverse("portal:login"))
    submitted.refresh_from_db()
    assert submitted.status == AgreementStatus.SUBMITTED


def test_requester_opens_its_agreement(client_a, submitted):
    assert client_a.get(reverse("portal:agreement_detail", args=[submitted.pk])).status_code == 200


def test_provider_opens_the_agreement_addressed_to_it(client_b, submitted):
    assert client_b.get(reverse("portal:agreement_detail", args=[submitted.pk])).status_code == 200


def test_requester_opens_the_edit_page_of_its_draft(client_a, draft):
    assert client_a.get(reverse("portal:agreement_edit", args=[draft.pk])).status_code == 200


@pytest.mark.parametrize("name", OBJECT_PAGES)
def test_third_department_gets_404_for_agreement_pages(client_c, draft, name):
    assert client_c.get(reverse(name, args=[draft.pk])).status_code == 404


@pytest.mark.parametrize("name", ACTIONS)
def test_third_department_gets_404_for_every_action_by_get(client_c, submitted, name):
    assert client_c.get(reverse(name, args=[submitted.pk])).status_code == 404


@pytest.mark.parametrize("name", ACTIONS)
def test_third_department_gets_404_for_every_action_by_post(client_c, submitted, name):
    response = client_c.post(reverse(name, args=[submitted.pk]), ACTION_DATA[name])
    assert response.status_code == 404
    submitted.refresh_from_db()
    assert submitted.status == AgreementStatus.SUBMITTED


def test_third_department_does_not_see_the_agreement_in_its_list(client_c, submitted):
    response = client_c.get(reverse("portal:agreement_list"))
    assert list(response.context["page"].object_list) == []
    assert submitted.number not in response.content.decode()


def test_agreement_number_of_another_department_is_not_found_by_search(client_c, submitted):
    response = client_c.get(reverse("portal:agreement_list"), {"q": submitted.number})
    assert list(response.context["page"].object_list) == []


@pytest.mark.parametrize("who", ["officer_client", "auditor_client"])
def test_bureau_reads_the_agreement_without_actions(request, submitted, who):
    response = request.getfixturevalue(who).get(reverse("portal:agreement_detail", args=[submitted.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    for name in ACTIONS:
        assert reverse(name, args=[submitted.pk]) not in body


def test_officer_cannot_take_a_step_in_the_portal(officer_client, active):
    response = officer_client.post(reverse("portal:agreement_revoke", args=[active.pk]), {"revoke-reason": "违规"})
    assert response.status_code == 403
    active.refresh_from_db()
    assert active.status == AgreementStatus.ACTIVE


def test_officer_has_no_request_form(officer_client):
    assert officer_client.get(reverse("portal:agreement_create")).status_code == 403


def test_provider_does_not_see_a_draft_not_yet_submitted_to_it(client_b, draft):
    assert client_b.get(reverse("portal:agreement_detail", args=[draft.pk])).status_code == 404
    assert draft.number not in client_b.get(reverse("portal:agreement_list")).content.decode()


def test_provider_cannot_open_the_edit_page(client_b, submitted):
    assert client_b.get(reverse("portal:agreement_edit", args=[submitted.pk])).status_code == 403


def test_provider_cannot_edit_by_post(client_b, submitted):
    url = reverse("portal:agreement_edit", args=[submitted.pk])
    response = client_b.post(url, {"purpose": "篡改", "action": "draft"})
    assert response.status_code == 403
    submitted.refresh_from_db()
    assert submitted.purpose != "篡改"


def test_provider_cannot_submit(client_b, submitted):
    response = client_b.post(reverse("portal:agreement_submit", args=[submitted.pk]))
    assert response.status_code == 403
    submitted.refresh_from_db()
    assert submitted.status == AgreementStatus.SUBMITTED


def test_provider_cannot_withdraw(client_b, submitted):
    response = client_b.post(reverse("portal:agreement_withdraw", args=[submitted.pk]), {"withdraw-reason": "撤回"})
    assert response.status_code == 403
    submitted.refresh_from_db()
    assert submitted.status == AgreementStatus.SUBMITTED


def test_requester_cannot_approve(client_a, submitted):
    response = client_a.post(reverse("portal:agreement_approve", args=[submitted.pk]), {"approve-contact": "张三"})
    assert response.status_code == 403
    submitted.refresh_from_db()
    assert submitted.status == AgreementStatus.SUBMITTED


def test_requester_cannot_reject(client_a, submitted):
    response = client_a.post(reverse("portal:agreement_reject", args=[submitted.pk]), {"reject-reason": "不同意"})
    assert response.status_code == 403
    submitted.refresh_from_db()
    assert submitted.status == AgreementStatus.SUBMITTED


def test_requester_cannot_revoke(client_a, active):
    response = client_a.post(reverse("portal:agreement_revoke", args=[active.pk]), {"revoke-reason": "不用了"})
    assert response.status_code == 403
    active.refresh_from_db()
    assert active.status == AgreementStatus.ACTIVE


@pytest.mark.parametrize("name", ACTIONS)
def test_action_urls_answer_get_with_405(client_a, submitted, name):
    assert client_a.get(reverse(name, args=[submitted.pk])).status_code == 405


def test_provider_sees_decision_forms_and_requester_does_not(client_a, client_b, submitted):
    approve = reverse("portal:agreement_approve", args=[submitted.pk])
    assert approve in client_b.get(reverse("portal:agreement_detail", args=[submitted.pk])).content.decode()
    assert approve not in client_a.get(reverse("portal:agreement_detail", args=[submitted.pk])).content.decode()
