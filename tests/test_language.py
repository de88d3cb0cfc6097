"""Simplified Chinese is the default whatever the browser asks; the switch selects English; every
message of the code and the templates has its translation."""

import ast
import gettext
import importlib
import io
import tokenize
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.utils.translation.template import templatize

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


# --- Every message of the code and the templates is in the catalogue ---------------------------

# What `manage.py makemessages` reads: Python files and templates of the project, except these
# trees (the same --ignore list as the command in README.md); hidden directories are skipped too.
NOT_SCANNED = {"tests", "benchmarks", "screenshots", "staticfiles", "node_modules", "__pycache__"}
TEMPLATE_SUFFIXES = {".html", ".txt"}
# The functions xgettext is told about (its Python defaults and Django's makemessages keywords):
# name -> index of (msgctxt or None, msgid, msgid_plural or None) among the positional arguments.
KEYWORDS = {
    "_": (None, 0, None),
    "gettext": (None, 0, None),
    "gettext_lazy": (None, 0, None),
    "gettext_noop": (None, 0, None),
    "ngettext": (None, 0, 1),
    "ngettext_lazy": (None, 0, 1),
    "pgettext": (0, 1, None),
    "pgettext_lazy": (0, 1, None),
    "npgettext": (0, 1, 2),
    "npgettext_lazy": (0, 1, 2),
}


def _source_files():
    root = Path(settings.BASE_DIR)
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).parts
        if any(part.startswith(".") or part in NOT_SCANNED for part in relative[:-1]):
            continue
        if path.suffix == ".py" or path.suffix in TEMPLATE_SUFFIXES:
            yield path


def _arguments(tokens, start):
    """The positional arguments of the call whose "(" is tokens[start]: each a string or None."""
    arguments, current, depth = [], [], 0
    for token in tokens[start:]:
        if token.type in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT):
            continue
        if token.type == tokenize.OP and token.string in "([{":
            depth += 1
            if depth == 1:
                continue
        elif token.type == tokenize.OP and token.string in ")]}":
            depth -= 1
            if depth == 0:
                arguments.append(current)
                break
        elif token.type == tokenize.OP and token.string == "," and depth == 1:
            arguments.append(current)
            current = []
            continue
        current.append(token)
    # Only literals are messages, and adjacent literals are one message, as for xgettext.
    return [
        "".join(ast.literal_eval(t.string) for t in arg)
        if arg and all(t.type == tokenize.STRING for t in arg)
        else None
        for arg in arguments
    ]


def messages_in(text: str) -> set[tuple[str | None, str]]:
    """(msgctxt, msgid) of every translatable literal in Python source (as xgettext reads it)."""
    tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    found = set()
    for index, token in enumerate(tokens[:-1]):
        call = tokens[index + 1]
        if token.type != tokenize.NAME or token.string not in KEYWORDS or call.string != "(":
            continue
        context_at, msgid_at, _plural_at = KEYWORDS[token.string]
        arguments = _arguments(tokens, index + 1)
        if len(arguments) <= msgid_at or arguments[msgid_at] is None:
            continue
        context = arguments[context_at] if context_at is not None else None
        found.add((context, arguments[msgid_at]))
    return found


def _templatized(text: str, path=None) -> str:
    """Django's own conversion of a template into the Python makemessages hands to xgettext.

    Its filler keeps the template's indentation, which Python's tokenizer would take for blocks;
    each call it writes stays on one line, so the lines are read unindented.
    """
    return "\n".join(line.lstrip() for line in templatize(text, origin=str(path) if path else None).splitlines())


def project_messages() -> dict[tuple[str | None, str], str]:
    """Every message the project marks for translation -> the first file that uses it."""
    found = {}
    for path in _source_files():
        text = path.read_text(encoding="utf-8")
        source = _templatized(text, path) if path.suffix in TEMPLATE_SUFFIXES else text
        for message in messages_in(source):
            found.setdefault(message, str(path.relative_to(settings.BASE_DIR)))
    return found


def test_the_extraction_finds_every_form_of_marked_message():
    source = _templatized(
        '{% load i18n %}{% translate "One" %}{% blocktranslate with n=x %}Two {{ n }}{% endblocktranslate %}'
        '{% translate "Three" context "menu" %}{{ _("Four") }}'
    )
    python = 'x = _("Fi" "ve"); y = pgettext_lazy("ctx", "Six"); z = ngettext("seven", "sevens", n); _(name)'

    assert messages_in(source) | messages_in(python) == {
        (None, "One"),
        (None, "Two %(n)s"),
        ("menu", "Three"),
        (None, "Four"),
        (None, "Five"),
        ("ctx", "Six"),
        (None, "seven"),
    }


def test_every_message_of_the_code_and_the_templates_is_in_the_catalogue():
    """A message added without running makemessages (or left fuzzy) would be shown in English."""
    catalogue = polib.pofile(str(CATALOGUE / "django.po"))
    translated = {
        (entry.msgctxt, entry.msgid)
        for entry in catalogue
        if not entry.obsolete and entry.translated() and "fuzzy" not in entry.flags
    }
    used = project_messages()

    missing = sorted(
        f"{where}: {msgid!r}" for (context, msgid), where in used.items() if (context, msgid) not in translated
    )

    assert len(used) > 500  # the scan found the project's messages at all
    assert missing == []
