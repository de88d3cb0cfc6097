"""Every kind of page names the site icon, so no browser asks /favicon.ico (a 404 here)."""

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

pytestmark = pytest.mark.django_db

ICONS = ("portal/favicon.ico", "portal/favicon.svg")


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def assert_names_the_icons(response):
    assert response.status_code == 200
    body = response.content.decode()
    for icon in ICONS:
        assert f'rel="icon" href="/static/{icon}"' in body


@pytest.mark.parametrize("path", ["/portal/login/", "/admin/login/"])
def test_pages_for_anonymous_visitors_name_the_icon(client, path):
    assert_names_the_icons(client.get(path))


def test_portal_pages_name_the_icon(liaison_a):
    assert_names_the_icons(signed_in(liaison_a).get("/portal/"))


def test_admin_pages_name_the_icon(officer):
    client = signed_in(officer)
    assert_names_the_icons(client.get("/admin/"))
    assert_names_the_icons(client.get("/admin/catalog/dataresource/"))


def test_audit_pages_name_the_icon(auditor):
    assert_names_the_icons(signed_in(auditor).get("/audit/"))


def test_browsable_api_names_the_icon(liaison_a):
    assert_names_the_icons(signed_in(liaison_a).get("/api/", HTTP_ACCEPT="text/html"))


@pytest.mark.parametrize("icon", ICONS)
def test_the_icons_are_static_files(icon):
    found = finders.find(icon)
    assert found, icon
    with open(found, "rb") as handle:
        head = handle.read(8)
    # An .ico starts with its reserved word 0 and type 1; the SVG with its root element.
    expected = b"\x00\x00\x01\x00" if icon.endswith(".ico") else b"<svg"
    assert head.startswith(expected)
