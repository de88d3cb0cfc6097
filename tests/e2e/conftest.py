"""Browser tests: Playwright driving Debian's Chromium against Django's live server.

Never a browser downloaded by `playwright install`: the bureau's machines run the distribution's
Chromium, so the tests do too. Without it every e2e test is skipped with the reason.
GOVDATA_CHROMIUM points at another binary (or at a missing one, to see the skip).
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import pytest

# Playwright's sync API keeps an asyncio event loop running in the test thread, and Django
# refuses ORM calls from a thread with a running loop. The tests arrange and check data with the
# ORM between browser steps, one at a time, so nothing actually runs concurrently. It is set for
# the whole process on purpose: the session's Playwright (and its loop) outlives the e2e tests,
# and the tests collected after them use the ORM in the same thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("GOVDATA_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_MISSING = "Debian's chromium is not installed (apt-get install chromium)"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"
E2E_DIR = Path(__file__).resolve().parent


def pytest_configure(config):
    # pytest-playwright 0.10 defines its session-scoped `base_url` fixture as a method, which pytest 9
    # warns about on every run; nothing here uses base_url.
    config.addinivalue_line(
        "filterwarnings",
        "ignore:Session-scoped fixtures defined as instance methods are deprecated:pytest.PytestRemovedIn10Warning",
    )


def _chromium_available() -> bool:
    return os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)


def pytest_collection_modifyitems(config, items):
    if _chromium_available():
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM_MISSING}; looked for {CHROMIUM}")
    for item in items:
        if E2E_DIR in Path(str(item.path)).resolve().parents:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _bureau_default_language(settings):
    """The journeys run in the product's own default language (the rest of the suite reads English)."""
    settings.LANGUAGE_CODE = importlib.import_module("govdata.settings").LANGUAGE_CODE


@pytest.fixture(scope="session")
def browser_type_launch_args():
    return {"executable_path": CHROMIUM, "headless": True, "args": LAUNCH_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # Wide enough for the navbar to show its links (and the language switch) without the burger menu.
    return {**browser_context_args, "viewport": {"width": 1440, "height": 900}, "locale": "zh-CN"}


@pytest.fixture
def browse(new_context, live_server):
    """browse(user) -> a page in a fresh browser (own cookies) signed in to the portal as `user`."""

    def open_as(user, *, via="/portal/login/"):
        context = new_context()
        context.set_default_timeout(10_000)
        page = context.new_page()
        page.goto(live_server.url + via)
        login(page, user)
        return page

    return open_as


def login(page, user) -> None:
    """Fill the sign-in form on the current page (portal or admin) and wait for the next page."""
    from tests.factories import PASSWORD

    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.locator("form:has(input[name=password]) [type=submit]").click()
    assert "login" not in page.url, f"{user.username} could not sign in: still on {page.url}"


def shot(page, journey: str, step: str, lang: str = "zh") -> Path:
    """A full-page screenshot named <journey>-<step>-<lang>.png in screenshots/."""
    # A "zh" picture must show the Chinese default, an "en" one the page after the switch.
    expected = {"zh": "zh-hans", "en": "en"}[lang]
    assert page.locator("html").get_attribute("lang") == expected, f"{page.url} is not served in {expected}"
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{journey}-{step}-{lang}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def switch_language(page, code: str) -> None:
    """Click the page's own language switch (the navbar buttons) and wait for the reload."""
    with page.expect_navigation():
        page.locator(f"form.language-switch button[name=language][value={code}]").click()
    assert page.locator("html").get_attribute("lang") == code


def expect_success(page) -> None:
    """The page shows a success message: the portal's flash alert or the admin's message list."""
    from playwright.sync_api import expect

    # Dismissible alerts are the flash messages; a status panel may be green too.
    expect(page.locator(".alert-success.alert-dismissible, ul.messagelist li.success").first).to_be_visible()
