"""Browser fixtures for every app's tests: headless Chromium (Debian's, through Playwright) against
pytest-django's live server, at a phone and a desktop viewport, with an axe-core accessibility check.

    @pytest.mark.browser
    def test_lookup_page(browser_page, assert_accessible):      # runs twice: phone and desktop
        browser_page.goto("/don-vi/tra-cuu/?q=Đội Cấn")         # relative to live_server.url
        assert browser_page.get_by_role("heading", level=1).is_visible()
        assert_accessible(browser_page)

`live_server` flushes the database after each test (transactional_db): create what the test needs inside it.
"""

import os

import pytest

from hopnhat.core import browser_testing


@pytest.fixture(scope="module")
def browser():
    """One Chromium per test module. Playwright's sync API keeps an asyncio loop on this thread while it runs,
    which Django would take for async code, so database access from the test is allowed for the module's life
    (the live server answers from its own thread)."""
    from playwright.sync_api import sync_playwright

    executable = browser_testing.chromium_path()
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=executable, args=browser_testing.LAUNCH_ARGS)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def _page(browser, live_server, viewport: str):
    context = browser.new_context(viewport=browser_testing.VIEWPORTS[viewport], base_url=live_server.url,
                                  locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.viewport_name = viewport
    return context, page


@pytest.fixture(params=list(browser_testing.VIEWPORTS))
def browser_page(request, browser, live_server):
    """A fresh page (own cookies) at each viewport in turn: the test runs once per viewport.
    `page.viewport_name` says which ("phone" or "desktop")."""
    context, page = _page(browser, live_server, request.param)
    yield page
    context.close()


@pytest.fixture
def phone_page(browser, live_server):
    context, page = _page(browser, live_server, "phone")
    yield page
    context.close()


@pytest.fixture
def desktop_page(browser, live_server):
    context, page = _page(browser, live_server, "desktop")
    yield page
    context.close()


@pytest.fixture
def assert_accessible():
    """assert_accessible(page): fail on any serious or critical axe-core violation, listing each with its
    elements and the rule's help page."""

    def check(page):
        violations = browser_testing.axe_violations(page)
        if violations:
            pytest.fail(f"{page.url}: {len(violations)} accessibility violation(s)\n"
                        + browser_testing.describe_violations(violations), pytrace=False)

    return check
