"""The navigation bar of every role links only to pages that role may open.

Here rather than in tests/portal because the operators' and audit firms' staff are built by this
package's fixtures.
"""

import re

import pytest
from django.urls import reverse

from govdata.roles import Role
from tests.factories import make_user

from .conftest import signed_in

pytestmark = pytest.mark.django_db

CATALOGUE = reverse("portal:catalogue_list")
DASHBOARD = reverse("dashboard:index")
AUDIT = reverse("audit:timeline")


@pytest.fixture
def people(liaison_a, officer, auditor, staff_a, firm_staff_a):
    return {
        "liaison": liaison_a,
        "liaison_without_department": make_user("homeless", Role.LIAISON),
        "officer": officer,
        "auditor": auditor,
        "operator_staff": staff_a,
        "firm_staff": firm_staff_a,
        "no_role": make_user("nobody"),
    }


def nav_links(client) -> set[str]:
    """The addresses the navigation bar of the user's landing page links to (query strings dropped)."""
    body = client.get("/portal/", follow=True).content.decode()
    nav = body[body.index("<nav") : body.index("</nav>")]
    return {href.split("?")[0] for href in re.findall(r'href="([^"#][^"]*)"', nav)}


@pytest.mark.parametrize(
    "who",
    ["liaison", "liaison_without_department", "officer", "auditor", "operator_staff", "firm_staff", "no_role"],
)
def test_every_link_of_the_navigation_opens(people, who):
    client = signed_in(people[who])

    refused = {url: status for url in nav_links(client) if (status := client.get(url, follow=True).status_code) != 200}

    assert refused == {}


@pytest.mark.parametrize(
    ("who", "shown"),
    [
        ("liaison", {CATALOGUE, DASHBOARD}),
        ("liaison_without_department", {CATALOGUE}),
        ("officer", {CATALOGUE, DASHBOARD, AUDIT}),
        ("auditor", {CATALOGUE, DASHBOARD, AUDIT}),
        ("operator_staff", set()),
        ("firm_staff", set()),
        ("no_role", set()),
    ],
)
def test_catalogue_dashboard_and_audit_links_go_to_those_who_may_open_them(people, who, shown):
    links = nav_links(signed_in(people[who]))

    assert {CATALOGUE, DASHBOARD, AUDIT} & links == shown


@pytest.mark.parametrize("who", ["operator_staff", "firm_staff", "no_role"])
def test_the_catalogue_refuses_those_it_is_not_for(people, who, resource):
    client = signed_in(people[who])

    assert client.get(CATALOGUE).status_code == 403
    assert client.get(reverse("portal:catalogue_detail", args=[resource.pk])).status_code == 403
