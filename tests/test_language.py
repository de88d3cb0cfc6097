"""Simplified Chinese is the default whatever the browser asks; the switch selects English."""

import pytest
from django.conf import settings


@pytest.mark.django_db
def test_chinese_is_served_even_to_an_english_browser(client):
    response = client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "zh-hans"
    assert "用户名" in response.content.decode()


@pytest.mark.django_db
def test_language_switch_selects_english(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/admin/login/"}, follow=True)
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert response.headers["Content-Language"] == "en"
    assert "Username" in response.content.decode()


@pytest.mark.django_db
def test_unknown_language_cookie_falls_back_to_chinese(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "xx"
    response = client.get("/admin/login/")
    assert response.headers["Content-Language"] == "zh-hans"
