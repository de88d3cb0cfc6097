"""Requesting data: choosing a resource, then the items and terms, saved as a draft or submitted."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog.choices import ShareType
from sharing.choices import AgreementStatus, UsageMode
from sharing.models import LedgerEntry, ShareAgreement
from tests.factories import make_published_resource, make_resource
from tests.sharing_portal.utils import shown

pytestmark = pytest.mark.django_db

CREATE = "portal:agreement_create"


def create_url(resource):
    return f"{reverse(CREATE)}?resource={resource.pk}"


def request_post(items, action="draft", **fields):
    today = timezone.localdate()
    data = {
        "items": [str(i.pk) for i in items],
        "purpose": "核验企业登记信息",
        "legal_basis": "《政务数据共享条例》第十二条",
        "usage_mode": UsageMode.QUERY,
        "valid_from": today.isoformat(),
        "valid_to": (today + timedelta(days=180)).isoformat(),
        "requester_contact": "张三",
        "action": action,
    }
    data.update(fields)
    return data


# --- Step 1: choosing the resource ------------------------------------------------------------


def test_step_one_lists_published_resources_of_other_departments(
    client_a, conditional_resource, dept_a, liaison_a, officer
):
    own = make_published_resource(dept_a, liaison_a, officer, name="本部门资源")
    response = client_a.get(reverse(CREATE))
    listed = list(response.context["page"].object_list)
    assert conditional_resource in listed
    assert own not in listed


def test_step_one_does_not_list_unpublished_resources(client_a, dept_b, liaison_b):
    draft_resource = make_resource(dept_b, liaison_b)
    assert draft_resource not in list(client_a.get(reverse(CREATE)).context["page"].object_list)


def test_step_one_searches_by_name(client_a, conditional_resource, other_resource):
    response = client_a.get(reverse(CREATE), {"q": "行政许可"})
    assert list(response.context["page"].object_list) == [other_resource]


def test_step_one_searches_by_department(client_a, conditional_resource, dept_b, dept_c, liaison_c, officer):
    make_published_resource(dept_c, liaison_c, officer)
    response = client_a.get(reverse(CREATE), {"department": dept_b.pk})
    assert list(response.context["page"].object_list) == [conditional_resource]


def test_catalogue_page_offers_to_request_the_data(client_a, conditional_resource):
    body = client_a.get(reverse("portal:catalogue_detail", args=[conditional_resource.pk])).content.decode()
    assert create_url(conditional_resource) in body


def test_catalogue_page_of_own_resource_offers_no_request(client_b, conditional_resource):
    body = client_b.get(reverse("portal:catalogue_detail", args=[conditional_resource.pk])).content.decode()
    assert create_url(conditional_resource) not in body


def test_catalogue_page_of_a_not_shared_resource_explains_the_exception(client_a, not_shared_resource):
    body = client_a.get(reverse("portal:catalogue_detail", args=[not_shared_resource.pk])).content.decode()
    assert create_url(not_shared_resource) not in body
    assert (
        shown("Not shared: it can only be requested after the bureau grants an exception with a legal basis.") in body
    )


def test_own_resource_is_not_requested_from_oneself(client_b, conditional_resource):
    response = client_b.get(create_url(conditional_resource))
    assert response.status_code == 302
    assert response.url == reverse(CREATE)


def test_unpublished_resource_cannot_be_requested(client_a, dept_b, liaison_b):
    assert client_a.get(create_url(make_resource(dept_b, liaison_b))).status_code == 404


def test_malformed_resource_parameter_is_404(client_a):
    assert client_a.get(f"{reverse(CREATE)}?resource=abc").status_code == 404


# --- Step 2: the form -------------------------------------------------------------------------


def test_form_shows_share_type_grade_and_personal_information_of_each_item(client_a, conditional_resource):
    response = client_a.get(create_url(conditional_resource))
    body = response.content.decode()
    item = conditional_resource.items.first()
    assert f'value="{item.pk}"' in body
    for text in (item.get_share_type_display(), item.get_security_grade_display(), item.get_personal_info_display()):
        assert shown(text) in body


def test_form_offers_items_of_the_providers_other_resources(client_a, conditional_resource, other_resource):
    body = client_a.get(create_url(conditional_resource)).content.decode()
    for item in other_resource.items.all():
        assert f'value="{item.pk}"' in body


def test_not_shared_items_are_disabled_with_a_note(client_a, conditional_resource, not_shared_resource):
    body = client_a.get(create_url(conditional_resource)).content.decode()
    item = not_shared_resource.items.first()
    assert f'value="{item.pk}" id="item-{item.pk}" disabled' in body
    assert (
        shown("Not shared: it can only be requested after the bureau grants an exception with a legal basis.") in body
    )


def test_save_as_draft_creates_the_agreement_with_its_items(client_a, conditional_resource, liaison_a, dept_a):
    items = list(conditional_resource.items.all())
    response = client_a.post(create_url(conditional_resource), request_post(items, "draft"))
    agreement = ShareAgreement.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("portal:agreement_detail", args=[agreement.pk])
    assert (agreement.status, agreement.requester, agreement.provider) == (
        AgreementStatus.DRAFT,
        dept_a,
        conditional_resource.department,
    )
    assert set(agreement.items.all()) == set(items)


def test_saved_draft_has_history_with_the_liaison_as_user(client_a, conditional_resource, liaison_a):
    client_a.post(create_url(conditional_resource), request_post(conditional_resource.items.all(), "draft"))
    agreement = ShareAgreement.objects.get()
    history = agreement.history.all()
    assert history.exists()
    assert {h.history_user for h in history} == {liaison_a}


def test_save_and_submit_in_one_click(client_a, conditional_resource, liaison_a):
    items = list(conditional_resource.items.all())
    response = client_a.post(create_url(conditional_resource), request_post(items, "submit"))
    agreement = ShareAgreement.objects.get()
    assert response.status_code == 302
    assert agreement.status == AgreementStatus.SUBMITTED
    assert agreement.decision_due is not None
    assert agreement.requester_duties and agreement.provider_duties and agreement.bureau_duties
    assert set(agreement.items.all()) == set(items)
    assert {h.history_user for h in agreement.history.all()} == {liaison_a}
    entry = LedgerEntry.objects.get(object_type="sharing.shareagreement", object_id=str(agreement.pk))
    assert (entry.action, entry.actor) == ("agreement.submit", liaison_a)


def test_items_of_two_resources_of_the_same_provider(client_a, conditional_resource, other_resource):
    items = [conditional_resource.items.first(), other_resource.items.first()]
    client_a.post(create_url(conditional_resource), request_post(items, "submit"))
    assert set(ShareAgreement.objects.get().items.all()) == set(items)


def test_the_form_keeps_the_chosen_usage_mode_and_period(client_a, conditional_resource):
    data = request_post(conditional_resource.items.all(), "draft", usage_mode=UsageMode.VERIFY)
    client_a.post(create_url(conditional_resource), data)
    agreement = ShareAgreement.objects.get()
    assert agreement.usage_mode == UsageMode.VERIFY
    assert agreement.valid_to.isoformat() == data["valid_to"]


# --- Invalid input: shown on the form, nothing saved -------------------------------------------


def assert_refused(response, message):
    assert response.status_code == 200
    assert shown(message) in response.content.decode()
    assert not ShareAgreement.objects.exists()
    assert not ShareAgreement.history.exists()
    assert not LedgerEntry.objects.filter(object_type="sharing.shareagreement").exists()


@pytest.mark.parametrize("action", ["draft", "submit"])
def test_request_without_items_is_refused(client_a, conditional_resource, action):
    response = client_a.post(create_url(conditional_resource), request_post([], action))
    assert_refused(response, "Choose at least one data item.")


@pytest.mark.parametrize("action", ["draft", "submit"])
def test_reversed_period_is_refused(client_a, conditional_resource, action):
    today = timezone.localdate()
    data = request_post(
        conditional_resource.items.all(),
        action,
        valid_from=(today + timedelta(days=30)).isoformat(),
        valid_to=today.isoformat(),
    )
    assert_refused(client_a.post(create_url(conditional_resource), data), "The period must not end before it begins.")


@pytest.mark.parametrize("action", ["draft", "submit"])
def test_items_of_two_providers_are_refused(client_a, conditional_resource, dept_c, liaison_c, officer, action):
    foreign = make_published_resource(dept_c, liaison_c, officer)
    items = [conditional_resource.items.first(), foreign.items.first()]
    response = client_a.post(create_url(conditional_resource), request_post(items, action))
    assert response.status_code == 200
    assert "items" in response.context["form"].errors
    assert not ShareAgreement.objects.exists()


def test_not_shared_item_posted_anyway_is_refused(client_a, conditional_resource, not_shared_resource):
    items = [conditional_resource.items.first(), not_shared_resource.items.first()]
    response = client_a.post(create_url(conditional_resource), request_post(items, "draft"))
    assert response.status_code == 200
    assert "items" in response.context["form"].errors
    assert not ShareAgreement.objects.exists()


def test_missing_purpose_is_refused(client_a, conditional_resource):
    response = client_a.post(
        create_url(conditional_resource), request_post(conditional_resource.items.all(), purpose="")
    )
    assert response.status_code == 200
    assert "purpose" in response.context["form"].errors
    assert not ShareAgreement.objects.exists()


def test_refused_submission_leaves_no_draft_behind(client_a, conditional_resource):
    """The service refuses a period that has already ended; the draft saved in the same click goes too."""
    today = timezone.localdate()
    data = request_post(
        conditional_resource.items.all(),
        "submit",
        valid_from=(today - timedelta(days=30)).isoformat(),
        valid_to=(today - timedelta(days=1)).isoformat(),
    )
    assert_refused(client_a.post(create_url(conditional_resource), data), "The period has already ended.")


def test_a_resource_that_is_unpublished_meanwhile_cannot_be_requested(client_a, conditional_resource, officer):
    from catalog import services as catalog_services

    items = list(conditional_resource.items.all())
    catalog_services.resource_retire(resource=conditional_resource, actor=officer, reason="停止采集")
    response = client_a.post(create_url(conditional_resource), request_post(items))
    assert response.status_code == 404
    assert not ShareAgreement.objects.exists()


def test_unconditional_items_are_requested_like_any_other(client_a, unconditional_resource):
    client_a.post(create_url(unconditional_resource), request_post(unconditional_resource.items.all(), "submit"))
    agreement = ShareAgreement.objects.get()
    assert agreement.status == AgreementStatus.SUBMITTED
    assert {i.share_type for i in agreement.items.all()} == {ShareType.UNCONDITIONAL}
