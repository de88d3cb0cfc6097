"""Simplified Chinese is the default whatever the browser asks; the switch selects English."""

import gettext
import importlib
from pathlib import Path

import polib
import pytest
from django.conf import settings

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"


@pytest.fixture(autouse=True)
def bureau_default_language(settings):
    """The rest of the suite reads English messages; here the product's own default applies."""
    settings.LANGUAGE_CODE = importlib.import_module("govdata.settings").LANGUAGE_CODE


def test_the_product_default_is_simplified_chinese():
    assert importlib.import_module("govdata.settings").LANGUAGE_CODE == "zh-hans"


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


@pytest.mark.django_db
def test_our_own_pages_are_in_chinese_by_default(client):
    response = client.get("/portal/login/")
    assert "数据治理门户" in response.content.decode()


def test_every_message_of_the_catalogue_is_translated():
    catalogue = polib.pofile(str(CATALOGUE / "django.po"))
    untranslated = [e.msgid for e in catalogue if not e.obsolete and (not e.translated() or "fuzzy" in e.flags)]
    assert untranslated == []


def test_the_compiled_catalogue_matches_the_source():
    """The committed .mo is what Django loads; it must say what the .po says."""
    compiled = gettext.GNUTranslations((CATALOGUE / "django.mo").open("rb"))

    def lookup(entry):
        return compiled.pgettext(entry.msgctxt, entry.msgid) if entry.msgctxt else compiled.gettext(entry.msgid)

    entries = [e for e in polib.pofile(str(CATALOGUE / "django.po")) if not e.obsolete and not e.msgid_plural]
    stale = [e.msgid for e in entries if lookup(e) != e.msgstr]
    assert entries and stale == []
