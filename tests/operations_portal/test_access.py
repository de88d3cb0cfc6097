"""Who may open which operations page: anonymous visitors, the operator's and firm's own staff, another
operator's or firm's staff, department liaisons and officers."""

from datetime import timedelta

import pytest
from django.urls import reverse

from operations import services
from tests.operations_portal.conftest import (
    make_approved_product,
    make_audit,
    make_finding,
    make_license,
    make_product,
    make_trade,
    signed_in,
    today,
)

pytestmark = pytest.mark.django_db

OPERATOR_LIST_PAGES = [
    "portal:ops_home",
    "portal:ops_product_list",
    "portal:ops_product_create",
    "portal:ops_trade_list",
    "portal:ops_trade_create",
    "portal:ops_disclosure_list",
    "portal:ops_finding_list",
]
FIRM_LIST_PAGES = ["portal:ops_audit_list"]


@pytest.fixture
def world(operator_a, staff_a, firm_a, firm_staff_a, resource, officer):
    """One object of every kind belonging to operator A (audited by firm A)."""
    license = make_license(
        operator_a, [resource], officer, term_start=today().replace(month=1, day=1) - timedelta(days=200)
    )
    approved = make_approved_product(license, staff_a, officer)
    trade = make_trade(approved, staff_a)
    disclosure = services.disclosure_file(operator=operator_a, year=today().year - 1, actor=staff_a)
    audit = make_audit(firm_a, operator_a, officer, license)
    finding = make_finding(audit, firm_staff_a)
    return {
        "operator": operator_a,
        "license": license,
        "draft": make_product(license, staff_a),
        "approved": approved,
        "trade": trade,
        "disclosure": disclosure,
        "audit": audit,
        "finding": finding,
    }


def operator_object_pages(world):
    return {
        "license": reverse("portal:ops_license_detail", args=[world["license"].pk]),
        "product": reverse("portal:ops_product_detail", args=[world["approved"].pk]),
        "product_edit": reverse("portal:ops_product_edit", args=[world["draft"].pk]),
        "trade": reverse("portal:ops_trade_detail", args=[world["trade"].pk]),
        "disclosure": reverse("portal:ops_disclosure_detail", args=[world["disclosure"].pk]),
        "disclosure_file": reverse("portal:ops_disclosure_file", args=[world["operator"].pk, today().year - 2]),
        "finding": reverse("portal:ops_finding_detail", args=[world["finding"].pk]),
    }


def firm_object_pages(world):
    return {
        "audit": reverse("portal:ops_audit_detail", args=[world["audit"].pk]),
        "finding_create": reverse("portal:ops_finding_create", args=[world["audit"].pk]),
    }


def operator_posts(world):
    return {
        "submit": reverse("portal:ops_product_submit", args=[world["draft"].pk]),
        "withdraw": reverse("portal:ops_product_withdraw", args=[world["draft"].pk]),
        "answer": reverse("portal:ops_finding_detail", args=[world["finding"].pk]),
    }


def firm_posts(world):
    return {
        "status": reverse("portal:ops_audit_status", args=[world["audit"].pk]),
        "finding_create": reverse("portal:ops_finding_create", args=[world["audit"].pk]),
        "close": reverse("portal:ops_finding_close", args=[world["finding"].pk]),
    }


# --- Anonymous visitors ---------------------------------------------------------------------


@pytest.mark.parametrize("name", OPERATOR_LIST_PAGES + FIRM_LIST_PAGES)
def test_anonymous_visitor_is_sent_to_login(client, name):
    url = reverse(name)
    response = client.get(url)
    assert response.status_code == 302
    assert response.url == f"{reverse('portal:login')}?next={url}"


def test_anonymous_visitor_is_sent_to_login_from_object_pages(client, world):
    for url in {**operator_object_pages(world), **firm_object_pages(world)}.values():
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("portal:login")), url


def test_anonymous_post_is_sent_to_login_and_changes_nothing(client, world):
    for url in {**operator_posts(world), **firm_posts(world)}.values():
        response = client.post(url, {"reason": "x", "response": "x", "status": "in_progress"})
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("portal:login")), url
    world["draft"].refresh_from_db()
    world["audit"].refresh_from_db()
    assert world["draft"].status == "draft"
    assert world["audit"].status == "assigned"


# --- The organisation's own staff -----------------------------------------------------------


@pytest.mark.parametrize("name", OPERATOR_LIST_PAGES)
def test_operator_staff_open_their_pages(client_staff_a, world, name):
    assert client_staff_a.get(reverse(name)).status_code == 200


def test_operator_staff_open_their_objects(client_staff_a, world):
    for label, url in operator_object_pages(world).items():
        assert client_staff_a.get(url).status_code == 200, label


def test_firm_staff_open_their_pages(client_firm_a, world):
    for url in [reverse("portal:ops_audit_list"), *firm_object_pages(world).values()]:
        assert client_firm_a.get(url).status_code == 200, url


# --- Another operator or firm ---------------------------------------------------------------


def test_another_operators_staff_get_404_for_every_object(client_staff_b, world):
    for label, url in operator_object_pages(world).items():
        assert client_staff_b.get(url).status_code == 404, label


def test_another_operators_staff_cannot_post_to_the_objects(client_staff_b, world):
    for label, url in operator_posts(world).items():
        assert client_staff_b.post(url, {"reason": "收回", "response": "已整改"}).status_code == 404, label
    world["draft"].refresh_from_db()
    world["finding"].refresh_from_db()
    assert world["draft"].status == "draft"
    assert world["finding"].operator_response == ""


def test_another_operators_lists_do_not_show_the_objects(client_staff_b, world, operator_b, resource, officer):
    make_license(operator_b, [resource], officer)
    pages = [reverse(name) for name in OPERATOR_LIST_PAGES if name != "portal:ops_product_create"]
    for url in pages:
        content = client_staff_b.get(url).content.decode()
        assert world["approved"].name not in content, url
        assert world["license"].number not in content, url
        assert world["finding"].description not in content, url
        assert world["trade"].buyer not in content, url


def test_another_operators_product_form_does_not_take_the_operators_licence(client_staff_b, world):
    url = reverse("portal:ops_product_create") + f"?license={world['license'].pk}"
    assert client_staff_b.get(url).status_code == 404


def test_another_operators_trade_form_does_not_offer_the_operators_products(client_staff_b, world):
    response = client_staff_b.post(
        reverse("portal:ops_trade_create"),
        {"product": world["approved"].pk, "buyer": "某公司", "price": "10", "traded_on": today().isoformat()},
    )
    assert response.status_code == 200
    assert world["approved"].trades.count() == 1


def test_another_firms_staff_get_404_for_the_audit_and_its_findings(client_firm_b, world):
    for label, url in firm_object_pages(world).items():
        assert client_firm_b.get(url).status_code == 404, label
    for label, url in firm_posts(world).items():
        assert client_firm_b.post(url, {"reason": "x", "status": "in_progress"}).status_code == 404, label
    assert world["finding"].description not in client_firm_b.get(reverse("portal:ops_audit_list")).content.decode()


# --- Other roles ----------------------------------------------------------------------------


def test_department_liaison_is_refused_every_operations_page(client, liaison_a, world):
    client.force_login(liaison_a)
    pages = [reverse(name) for name in OPERATOR_LIST_PAGES + FIRM_LIST_PAGES]
    pages += [*operator_object_pages(world).values(), *firm_object_pages(world).values()]
    for url in pages:
        assert client.get(url).status_code in (403, 404), url


def test_officer_is_pointed_to_the_admin_rather_than_the_operator_pages(officer, world):
    client = signed_in(officer)
    assert client.get(reverse("portal:ops_home")).status_code == 403
    assert client.get(reverse("portal:ops_product_detail", args=[world["approved"].pk])).status_code == 403


def test_firm_staff_are_refused_the_operator_pages_and_operator_staff_the_firm_pages(
    client_staff_a, client_firm_a, world
):
    assert client_firm_a.get(reverse("portal:ops_home")).status_code == 403
    assert client_firm_a.get(reverse("portal:ops_finding_detail", args=[world["finding"].pk])).status_code == 403
    assert client_staff_a.get(reverse("portal:ops_audit_list")).status_code == 403
    assert client_staff_a.get(reverse("portal:ops_audit_detail", args=[world["audit"].pk])).status_code == 403


# --- Landing page and navigation ------------------------------------------------------------


def test_portal_start_page_sends_operator_staff_to_their_home(client_staff_a):
    response = client_staff_a.get(reverse("portal:dashboard"))
    assert response.status_code == 302
    assert response.url == reverse("portal:ops_home")


def test_portal_start_page_sends_firm_staff_to_their_audits(client_firm_a):
    response = client_firm_a.get(reverse("portal:dashboard"))
    assert response.status_code == 302
    assert response.url == reverse("portal:ops_audit_list")


def test_navigation_shows_operations_links_to_operator_staff_only(client_staff_a, client, liaison_a):
    assert reverse("portal:ops_product_list") in client_staff_a.get(reverse("portal:ops_home")).content.decode()
    client.force_login(liaison_a)
    assert reverse("portal:ops_product_list") not in client.get(reverse("portal:catalogue_list")).content.decode()


def test_navigation_shows_the_audits_link_to_firm_staff(client_firm_a):
    content = client_firm_a.get(reverse("portal:ops_audit_list")).content.decode()
    assert reverse("portal:ops_audit_list") in content
    assert reverse("portal:ops_product_list") not in content
