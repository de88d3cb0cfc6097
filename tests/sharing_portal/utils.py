"""Helpers for the share-agreement page tests."""

from django.conf import settings
from django.utils import translation
from django.utils.html import escape


def shown(msgid: str, **params) -> str:
    """A message as the page shows it: translated into the site's default language (the tests'
    one, see tests/conftest.py) and HTML-escaped."""
    with translation.override(settings.LANGUAGE_CODE):
        text = translation.gettext(msgid)
    return escape(text % params if params else text)
