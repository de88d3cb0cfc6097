"""Who may open which portal page: anonymous visitors, the owner, another department, other roles."""

import pytest
from django.test import Client
from django.urls import reverse

from catalog import services
from catalog.models import DataResource, Duty, InformationSystem, SourceAssignment
from govdata.roles import Role
from tests.factories import make_duty, make_element, make_published_resource, make_resource, make_system, make_user

pytestmark = pytest.mark.django_db

LIST_PAGES = [
    "portal:dashboard",
    "portal:resource_list",
    "portal:resource_create",
    "portal:duty_list",
    "portal:duty_create",
    "portal:system_list",
    "portal:system_create",
    "portal:catalogue_list",
    "portal:element_list",
    "portal:claim_list",
    "portal:duplicate_list",
]


@pytest.fixture
def objects_a(dept_a, liaison_a, officer):
    """One object of each kind owned by department A, the resource a draft."""
    system = make_system(dept_a, liaison_a)
    claim = services.source_claim(element=make_element(), department=dept_a, actor=liaison_a, legal_basis="依法采集")
    return {
        "draft": make_resource(dept_a, liaison_a),
        "published": make_published_resource(dept_a, liaison_a, officer),
        "duty": make_duty(dept_a, liaison_a, systems=[system]),
        "system": system,
        "claim": claim,
        "element": claim.element,
    }


def object_pages(objects):
    return {
        "resource_detail": reverse("portal:resource_detail", args=[objects["draft"].pk]),
        "resource_edit": reverse("portal:resource_edit", args=[objects["draft"].pk]),
        "duty_edit": reverse("portal:duty_edit", args=[objects["duty"].pk]),
        "system_edit": reverse("portal:system_edit", args=[objects["system"].pk]),
        "catalogue_detail_of_draft": reverse("portal:catalogue_detail", args=[objects["draft"].pk]),
        "catalogue_detail": reverse("portal:catalogue_detail", args=[objects["published"].pk]),
        "element_claim": reverse("portal:element_claim", args=[objects["element"].pk]),
    }


@pytest.mark.parametrize("name", LIST_PAGES)
def test_anonymous_visitor_is_sent_to_login(client, name):
    url = reverse(name)
    response = client.get(url)
    assert response.status_code == 302
    assert response.url == f"{reverse('portal:login')}?next={url}"


def test_anonymous_visitor_is_sent_to_login_from_object_pages(client, objects_a):
    for url in object_pages(objects_a).values():
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("portal:login")), url


@pytest.mark.parametrize("name", ["portal:resource_submit", "portal:resource_revise", "portal:claim_withdraw"], ids=str)
def test_anonymous_post_is_sent_to_login(client, objects_a, name):
    pk = objects_a["claim"].pk if name == "portal:claim_withdraw" else objects_a["draft"].pk
    response = client.post(reverse(name, args=[pk]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("portal:login"))


def test_root_redirects_to_the_portal(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.url == reverse("portal:dashboard")


@pytest.mark.parametrize("name", LIST_PAGES)
def test_owner_liaison_opens_every_list_page(client_a, name):
    assert client_a.get(reverse(name)).status_code == 200


def test_owner_liaison_opens_every_object_page(client_a, objects_a):
    for key, url in object_pages(objects_a).items():
        expected = 404 if key == "catalogue_detail_of_draft" else 200
        assert client_a.get(url).status_code == expected, key


@pytest.mark.parametrize(
    "key", ["resource_detail", "resource_edit", "duty_edit", "system_edit", "catalogue_detail_of_draft"]
)
def test_other_department_gets_404_for_unpublished_objects(client_b, objects_a, key):
    assert client_b.get(object_pages(objects_a)[key]).status_code == 404


def test_other_department_gets_404_for_the_management_page_of_a_published_resource(client_b, objects_a):
    url = reverse("portal:resource_detail", args=[objects_a["published"].pk])
    assert client_b.get(url).status_code == 404


def test_other_department_reads_published_catalogue_pages(client_b, objects_a):
    pages = object_pages(objects_a)
    assert client_b.get(pages["catalogue_detail"]).status_code == 200
    assert client_b.get(pages["element_claim"]).status_code == 200


def test_other_department_cannot_save_a_draft_by_post(client_b, objects_a):
    draft = objects_a["draft"]
    response = client_b.post(reverse("portal:resource_edit", args=[draft.pk]), {"name": "篡改"})
    assert response.status_code == 404
    draft.refresh_from_db()
    assert draft.name != "篡改"


def test_other_department_cannot_submit_a_draft(client_b, objects_a):
    draft = objects_a["draft"]
    assert client_b.post(reverse("portal:resource_submit", args=[draft.pk])).status_code == 404
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_other_department_cannot_revise_a_published_resource(client_b, objects_a):
    published = objects_a["published"]
    response = client_b.post(reverse("portal:resource_revise", args=[published.pk]), {"reason": "想改"})
    assert response.status_code == 404
    published.refresh_from_db()
    assert published.status == "published"


def test_other_department_cannot_edit_a_duty_by_post(client_b, objects_a):
    duty = objects_a["duty"]
    url = reverse("portal:duty_edit", args=[duty.pk])
    assert client_b.post(url, {"code": duty.code, "name": "篡改", "origin": "mandate"}).status_code == 404
    assert Duty.objects.get(pk=duty.pk).name != "篡改"


def test_other_department_cannot_edit_a_system_by_post(client_b, objects_a):
    system = objects_a["system"]
    url = reverse("portal:system_edit", args=[system.pk])
    assert client_b.post(url, {"code": system.code, "name": "篡改", "status": "in_use"}).status_code == 404
    assert InformationSystem.objects.get(pk=system.pk).name != "篡改"


def test_other_department_cannot_withdraw_a_claim(client_b, objects_a):
    claim = objects_a["claim"]
    assert client_b.post(reverse("portal:claim_withdraw", args=[claim.pk])).status_code == 404
    assert SourceAssignment.objects.get(pk=claim.pk).status == "claimed"


def test_other_department_lists_show_none_of_our_unpublished_work(client_b, objects_a):
    pages = ["portal:resource_list", "portal:duty_list", "portal:system_list", "portal:claim_list", "portal:dashboard"]
    for name in pages:
        body = client_b.get(reverse(name)).content.decode()
        assert objects_a["draft"].name not in body, name
        assert objects_a["duty"].name not in body, name
        assert objects_a["system"].name not in body, name


def test_catalogue_lists_published_resources_of_other_departments_only_when_published(client_b, objects_a):
    body = client_b.get(reverse("portal:catalogue_list")).content.decode()
    assert objects_a["published"].name in body
    assert objects_a["draft"].name not in body


def test_officer_landing_page_points_to_the_admin(officer_client):
    response = officer_client.get(reverse("portal:dashboard"))
    assert response.status_code == 200
    assert reverse("admin:index") in response.content.decode()


def test_officer_gets_a_friendly_403_on_department_pages(officer_client):
    response = officer_client.get(reverse("portal:resource_list"))
    assert response.status_code == 403
    assert reverse("admin:index") in response.content.decode()


def test_auditor_may_browse_the_catalogue(auditor, objects_a):
    client = Client()
    client.force_login(auditor)
    assert client.get(reverse("portal:catalogue_detail", args=[objects_a["published"].pk])).status_code == 200
    assert client.get(reverse("portal:catalogue_detail", args=[objects_a["draft"].pk])).status_code == 404


def test_liaison_without_department_is_told_to_ask_the_bureau(db):
    client = Client()
    client.force_login(make_user("homeless", Role.LIAISON))
    response = client.get(reverse("portal:resource_list"))
    assert response.status_code == 403
    assert "not linked to a department" in response.content.decode()


def test_login_page_signs_in_and_lands_on_the_dashboard(client, liaison_a):
    from tests.factories import PASSWORD

    response = client.post(reverse("portal:login"), {"username": "liaison_a", "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("portal:dashboard")
    assert client.get(reverse("portal:dashboard")).status_code == 200


def test_wrong_password_shows_an_error_and_no_500(client, liaison_a):
    response = client.post(reverse("portal:login"), {"username": "liaison_a", "password": "wrong"})
    assert response.status_code == 200
    assert response.context["form"].errors


def test_logout_signs_out(client_a):
    response = client_a.post(reverse("portal:logout"))
    assert response.status_code == 302
    assert client_a.get(reverse("portal:dashboard")).status_code == 302


def test_unknown_resource_number_is_a_404_not_a_500(client_a):
    assert client_a.get(reverse("portal:resource_detail", args=[999999])).status_code == 404
    assert DataResource.objects.count() == 0
