"""One data, one source: claims, competing claims and duplicate collection."""

import pytest
from django.urls import reverse

from catalog import services
from catalog.models import DataItem, SourceAssignment
from sharing.models import LedgerEntry
from tests.factories import make_element, make_published_resource, make_resource
from tests.portal.utils import translated

pytestmark = pytest.mark.django_db


def claim_url(element):
    return reverse("portal:element_claim", args=[element.pk])


def test_claim_an_element_with_a_legal_basis(client_a, liaison_a, dept_a):
    element = make_element()
    response = client_a.post(claim_url(element), {"legal_basis": "《居民身份证法》第二条"})
    assert response.status_code == 302
    claim = SourceAssignment.objects.get()
    assert (claim.element, claim.department, claim.status) == (element, dept_a, "claimed")
    assert claim.history.get().history_user == liaison_a
    assert LedgerEntry.objects.filter(action="source.claim", object_id=str(claim.pk)).exists()


def test_claim_may_name_a_resource_of_the_department(client_a, liaison_a, dept_a):
    resource = make_resource(dept_a, liaison_a)
    client_a.post(claim_url(make_element()), {"legal_basis": "依法", "resource": resource.pk})
    assert SourceAssignment.objects.get().resource == resource


def test_claim_cannot_name_a_resource_of_another_department(client_a, liaison_b, dept_b, officer):
    foreign = make_published_resource(dept_b, liaison_b, officer)
    response = client_a.post(claim_url(make_element()), {"legal_basis": "依法", "resource": foreign.pk})
    assert response.status_code == 200
    assert response.context["form"].errors["resource"]
    assert SourceAssignment.objects.count() == 0


def test_claim_without_legal_basis_is_refused(client_a):
    response = client_a.post(claim_url(make_element()), {"legal_basis": "   "})
    assert response.status_code == 200
    assert response.context["form"].errors["legal_basis"]
    assert SourceAssignment.objects.count() == 0


def test_claiming_the_same_element_twice_shows_a_message(client_a, liaison_a, dept_a):
    element = make_element()
    services.source_claim(element=element, department=dept_a, actor=liaison_a, legal_basis="依法")
    response = client_a.post(claim_url(element), {"legal_basis": "再次"})
    assert response.status_code == 200
    assert translated("This department already claims this data element.") in response.content.decode()
    assert SourceAssignment.objects.count() == 1


def test_competing_claims_are_listed_on_our_claims(client_a, liaison_a, liaison_b, dept_a, dept_b):
    element = make_element()
    services.source_claim(element=element, department=dept_a, actor=liaison_a, legal_basis="依法")
    services.source_claim(element=element, department=dept_b, actor=liaison_b, legal_basis="也依法")
    response = client_a.get(reverse("portal:claim_list"))
    [claim] = response.context["page"].object_list
    assert [c.department for c in claim.element.competing_claims] == [dept_b]
    assert dept_b.name in response.content.decode()


def test_element_list_flags_contested_elements(client_a, liaison_a, liaison_b, dept_a, dept_b):
    contested, quiet = make_element(), make_element()
    services.source_claim(element=contested, department=dept_a, actor=liaison_a, legal_basis="依法")
    services.source_claim(element=contested, department=dept_b, actor=liaison_b, legal_basis="依法")
    services.source_claim(element=quiet, department=dept_b, actor=liaison_b, legal_basis="依法")
    page = client_a.get(reverse("portal:element_list"), {"state": "contested"}).context["page"]
    assert list(page.object_list) == [contested]
    assert page.object_list[0].claimed_by_me


def test_duplicate_collection_is_listed_with_a_link_to_the_source_resource(
    client_a, liaison_a, liaison_b, dept_a, dept_b, officer
):
    element = make_element(name="统一社会信用代码")
    source = make_published_resource(dept_b, liaison_b, officer, name="法人库")
    claim = services.source_claim(
        element=element, department=dept_b, actor=liaison_b, legal_basis="依法", resource=source
    )
    services.source_confirm(assignment=claim, actor=officer)
    ours = make_resource(dept_a, liaison_a, items=0)
    services.resource_save(
        resource=ours, actor=liaison_a, items=[DataItem(code="XYDM", name="信用代码", element=element)]
    )

    response = client_a.get(reverse("portal:duplicate_list"))
    [item] = response.context["page"].object_list
    assert item.resource == ours
    assert item.confirmed_source.department == dept_b
    assert reverse("portal:catalogue_detail", args=[source.pk]) in response.content.decode()


def test_resource_page_shows_its_duplicate_collection(client_a, liaison_a, liaison_b, dept_a, dept_b, officer):
    element = make_element()
    source = make_published_resource(dept_b, liaison_b, officer)
    claim = services.source_claim(
        element=element, department=dept_b, actor=liaison_b, legal_basis="依法", resource=source
    )
    services.source_confirm(assignment=claim, actor=officer)
    ours = make_resource(dept_a, liaison_a, items=0)
    services.resource_save(resource=ours, actor=liaison_a, items=[DataItem(code="X", name="项", element=element)])
    response = client_a.get(reverse("portal:resource_detail", args=[ours.pk]))
    assert [i.code for i in response.context["duplicates"]] == ["X"]
    assert reverse("portal:catalogue_detail", args=[source.pk]) in response.content.decode()


def test_our_own_confirmed_source_is_not_duplicate_collection(client_a, liaison_a, dept_a, officer):
    element = make_element()
    ours = make_resource(dept_a, liaison_a, items=0)
    services.resource_save(resource=ours, actor=liaison_a, items=[DataItem(code="X", name="项", element=element)])
    claim = services.source_claim(element=element, department=dept_a, actor=liaison_a, legal_basis="依法")
    services.source_confirm(assignment=claim, actor=officer)
    assert list(client_a.get(reverse("portal:duplicate_list")).context["page"].object_list) == []


def test_liaison_withdraws_an_open_claim(client_a, liaison_a, dept_a):
    claim = services.source_claim(element=make_element(), department=dept_a, actor=liaison_a, legal_basis="依法")
    response = client_a.post(reverse("portal:claim_withdraw", args=[claim.pk]), {"reason": "误报"})
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.status == "withdrawn"

    assert claim.decision_reason == "误报"


def test_withdrawing_a_decided_claim_shows_why_not(client_a, liaison_a, dept_a, officer):
    claim = services.source_claim(element=make_element(), department=dept_a, actor=liaison_a, legal_basis="依法")
    services.source_confirm(assignment=claim, actor=officer)
    response = client_a.post(reverse("portal:claim_withdraw", args=[claim.pk]), follow=True)
    assert response.status_code == 200
    assert list(response.context["messages"])[0].level_tag == "error"
    claim.refresh_from_db()
    assert claim.status == "confirmed"
