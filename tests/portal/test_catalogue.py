"""The published catalogue: search across departments, and a detail page with each element's source."""

import pytest
from django.urls import reverse

from catalog import services
from tests.factories import make_element, make_published_resource, make_resource

pytestmark = pytest.mark.django_db


@pytest.fixture
def published_b(dept_b, liaison_b, officer):
    return make_published_resource(dept_b, liaison_b, officer, name="市场主体登记信息", subject="basic_legal_entity")


def listed(client, **params):
    return list(client.get(reverse("portal:catalogue_list"), params).context["page"].object_list)


def test_search_by_name(client_a, published_b, dept_a, liaison_a, officer):
    make_published_resource(dept_a, liaison_a, officer, name="常住人口信息")
    assert listed(client_a, q="市场主体") == [published_b]


def test_search_by_code(client_a, published_b):
    assert listed(client_a, q=published_b.catalogue_code) == [published_b]


def test_filter_by_department_subject_share_type_and_grade(client_a, published_b, dept_a, liaison_a, officer):
    make_published_resource(dept_a, liaison_a, officer)
    assert listed(client_a, department=published_b.department_id) == [published_b]
    assert listed(client_a, subject="basic_legal_entity") == [published_b]
    assert listed(
        client_a, share_type="unconditional", security_grade="general", department=published_b.department_id
    ) == [published_b]
    assert listed(client_a, share_type="not_shared") == []


def test_bad_filter_values_are_ignored_not_a_500(client_a, published_b):
    response = client_a.get(reverse("portal:catalogue_list"), {"department": "x", "subject": "nope", "page": "999"})
    assert response.status_code == 200
    assert list(response.context["page"].object_list) == [published_b]


def test_catalogue_never_lists_drafts_of_any_department(client_a, dept_a, dept_b, liaison_a, liaison_b):
    make_resource(dept_a, liaison_a)
    make_resource(dept_b, liaison_b)
    assert listed(client_a) == []


def test_detail_shows_items_owner_share_open_type_and_frequency(client_a, published_b):
    body = client_a.get(reverse("portal:catalogue_detail", args=[published_b.pk])).content.decode()
    assert published_b.department.name in body
    assert str(published_b.get_share_type_display()) in body
    assert str(published_b.get_open_type_display()) in body
    assert str(published_b.get_update_frequency_display()) in body
    for item in published_b.items.all():
        assert item.name in body


def test_detail_shows_the_confirmed_source_of_each_element(client_a, dept_a, dept_b, liaison_a, liaison_b, officer):
    element = make_element(name="统一社会信用代码")
    source_resource = make_published_resource(dept_b, liaison_b, officer, name="法人库")
    claim = services.source_claim(
        element=element, department=dept_b, actor=liaison_b, legal_basis="登记条例", resource=source_resource
    )
    services.source_confirm(assignment=claim, actor=officer)
    user = make_published_resource(dept_a, liaison_a, officer, items=1, item_fields={"element": element})
    response = client_a.get(reverse("portal:catalogue_detail", args=[user.pk]))
    item = response.context["items"][0]
    assert item.confirmed_source.department == dept_b
    assert reverse("portal:catalogue_detail", args=[source_resource.pk]) in response.content.decode()


def test_list_heads_the_frequency_column_update_frequency(client_a, published_b):
    body = client_a.get(reverse("portal:catalogue_list")).content.decode()
    assert "<th>Update frequency</th>" in body
    assert "<th>Updated</th>" not in body
    assert str(published_b.get_update_frequency_display()) in body
