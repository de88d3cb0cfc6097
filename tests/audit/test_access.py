"""Who may open which audit page: officers and auditors everything, liaisons only the history of
their own objects, anybody else nothing; anonymous visitors are sent to sign in."""

import pytest
from django.urls import reverse

from catalog.models import DataItem
from govdata.roles import Role
from sharing import checkpoints, ledger
from tests.factories import make_published_resource, make_resource, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def resource_a(dept_a, liaison_a):
    return make_resource(dept_a, liaison_a)


@pytest.fixture
def resource_b(dept_b, liaison_b):
    return make_resource(dept_b, liaison_b)


@pytest.fixture
def ledger_with_checkpoint(signing_key, resource_a, liaison_a):
    ledger.append(action="test.step", obj=resource_a, actor=liaison_a, reason="记录")
    checkpoints.checkpoint_create()


def history_url(obj):
    return reverse("audit:object_history", args=[obj._meta.label_lower, obj.pk])


BUREAU_PAGES = [
    ("audit:timeline", []),
    ("audit:export", []),
    ("audit:ledger", []),
    ("audit:checkpoint_list", []),
    ("audit:checkpoint_json", [1]),
    ("audit:public_key", []),
    ("audit:ledger_entry", [1]),
    ("audit:ledger_entry_proof", [1]),
]


@pytest.mark.parametrize(("name", "args"), BUREAU_PAGES, ids=[n for n, _ in BUREAU_PAGES])
def test_auditor_opens_every_bureau_page(auditor_client, ledger_with_checkpoint, name, args):
    assert auditor_client.get(reverse(name, args=args)).status_code == 200


@pytest.mark.parametrize(("name", "args"), BUREAU_PAGES, ids=[n for n, _ in BUREAU_PAGES])
def test_officer_opens_every_bureau_page(officer_client, ledger_with_checkpoint, name, args):
    assert officer_client.get(reverse(name, args=args)).status_code == 200


@pytest.mark.parametrize(("name", "args"), BUREAU_PAGES, ids=[n for n, _ in BUREAU_PAGES])
def test_liaison_is_refused_every_bureau_page(client_a, ledger_with_checkpoint, name, args):
    assert client_a.get(reverse(name, args=args)).status_code == 403


def test_liaison_cannot_run_the_verification(client_a, ledger_with_checkpoint):
    assert client_a.post(reverse("audit:ledger_verify")).status_code == 403


@pytest.mark.parametrize("role", [Role.OPERATOR_USER, Role.AUDIT_FIRM_USER])
def test_other_roles_are_refused_the_timeline(client, role):
    client.force_login(make_user("someone", role))
    assert client.get(reverse("audit:timeline")).status_code == 403


@pytest.mark.parametrize(("name", "args"), BUREAU_PAGES, ids=[n for n, _ in BUREAU_PAGES])
def test_anonymous_visitor_is_sent_to_sign_in(client, ledger_with_checkpoint, name, args):
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302
    assert response.url.startswith(reverse("portal:login"))


def test_anonymous_visitor_is_sent_to_sign_in_from_an_object_history(client, resource_a):
    response = client.get(history_url(resource_a))
    assert response.status_code == 302 and response.url.startswith(reverse("portal:login"))


def test_auditor_opens_any_object_history(auditor_client, resource_a, resource_b):
    assert auditor_client.get(history_url(resource_a)).status_code == 200
    assert auditor_client.get(history_url(resource_b)).status_code == 200


def test_officer_opens_any_object_history(officer_client, resource_b, dept_b):
    assert officer_client.get(history_url(resource_b)).status_code == 200
    assert officer_client.get(history_url(dept_b)).status_code == 200


def test_liaison_opens_the_history_of_an_own_resource(client_a, resource_a):
    response = client_a.get(history_url(resource_a))
    assert response.status_code == 200
    assert resource_a.catalogue_code in response.content.decode()


def test_liaison_opens_the_history_of_an_own_item(client_a, resource_a):
    assert client_a.get(history_url(resource_a.items.first())).status_code == 200


def test_liaison_gets_404_for_another_departments_resource_history(client_a, resource_b):
    assert client_a.get(history_url(resource_b)).status_code == 404


def test_liaison_gets_404_for_another_departments_item_history(client_a, resource_b):
    assert client_a.get(history_url(resource_b.items.first())).status_code == 404


def test_published_resource_history_is_not_public(client_b, dept_a, liaison_a, officer):
    published = make_published_resource(dept_a, liaison_a, officer)
    assert client_b.get(history_url(published)).status_code == 404


def test_liaison_gets_404_for_reference_data_history(client_a, dept_a):
    # Departments have no owner grants: their history is the bureau's to read.
    assert client_a.get(history_url(dept_a)).status_code == 404


def test_liaison_gets_404_for_a_deleted_own_item(client_a, resource_a):
    item = resource_a.items.first()
    item_url = history_url(item)
    DataItem.objects.filter(pk=item.pk).delete()
    assert client_a.get(item_url).status_code == 404


def test_auditor_reads_the_history_of_a_deleted_object(auditor_client, resource_a, liaison_a):
    item = resource_a.items.first()
    item_url = history_url(item)
    item._history_user = liaison_a
    item.delete()
    response = auditor_client.get(item_url)
    assert response.status_code == 200
    assert len(response.context["versions"]) == 2


@pytest.mark.parametrize("path", ["catalog.nosuchmodel/1/", "sharing.ledgerentry/1/", "catalog.dataresource/abc/"])
def test_unknown_objects_are_404(auditor_client, path):
    assert auditor_client.get(f"/audit/history/{path}").status_code == 404


def test_history_of_an_object_that_never_existed_is_404(auditor_client, db):
    assert auditor_client.get("/audit/history/catalog.dataresource/999999/").status_code == 404


def test_object_history_url_names_the_history_page_of_an_object(resource_a):
    from govdata.audit_views import object_history_url

    assert object_history_url(resource_a) == f"/audit/history/catalog.dataresource/{resource_a.pk}/"


def test_liaison_history_page_links_back_to_the_portal_page(client_a, resource_a):
    body = client_a.get(history_url(resource_a)).content.decode()
    assert reverse("portal:resource_detail", args=[resource_a.pk]) in body
    assert f'href="{reverse("audit:timeline")}"' not in body  # no links to pages the liaison may not open


def test_an_id_beyond_the_database_range_is_404_not_an_error(auditor_client, db):
    assert auditor_client.get("/audit/history/catalog.dataresource/99999999999999999999999/").status_code == 404


def test_an_object_id_filter_beyond_the_database_range_is_a_message(auditor_client, db):
    response = auditor_client.get("/audit/", {"object_id": "99999999999999999999999"})
    assert response.status_code == 400
