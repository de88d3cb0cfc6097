"""The language switch: Simplified Chinese by default, English on request."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def bureau_default_language(settings):
    """The rest of the suite reads English messages; here the product's own default applies."""
    settings.LANGUAGE_CODE = "zh-hans"


def test_pages_are_in_simplified_chinese_by_default(client_a):
    response = client_a.get(reverse("portal:dashboard"))
    assert '<html lang="zh-hans">' in response.content.decode()


def test_language_switch_to_english_changes_the_page_language(client_a):
    response = client_a.post(reverse("set_language"), {"language": "en", "next": reverse("portal:dashboard")})
    assert response.status_code == 302
    assert response.url == reverse("portal:dashboard")
    page = client_a.get(reverse("portal:dashboard"))
    assert '<html lang="en">' in page.content.decode()
    assert page.headers["Content-Language"] == "en"


def test_login_page_offers_the_language_switch(client):
    body = client.get(reverse("portal:login")).content.decode()
    assert reverse("set_language") in body
    assert 'value="en"' in body
