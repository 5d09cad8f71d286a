"""Playwright driving Debian's chromium (/usr/bin/chromium) against the live test server."""

import os
import re
import shutil

import pytest

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make around it
# are ordinary synchronous ones.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail("Debian's chromium is required for the browser tests (apt-get install chromium; .ci/run does it)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield browser
        browser.close()


@pytest.fixture
def phone_page(browser):
    """A phone-sized page, the way most residents and many clerks see the system."""
    # An English browser on purpose: the UI must still default to Chinese.
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale="en-US")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def desk_page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    yield page
    context.close()



@pytest.fixture(autouse=True)
def reference_data(reference_in_transactional_db):
    """Browser tests run against a live server in another thread, so they need committed data."""


@pytest.fixture(autouse=True)
def static_files_by_plain_name(settings):
    """The live server serves static files through the finders, which know `js/site.js` but not the manifest's
    hashed `js/site.<hash>.js` that production pages link to; without this every stylesheet and script 404s."""
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}


def sign_in(page, live_server, username: str) -> None:
    """Sign in through the Chinese login page, as a clerk would."""
    from tests.conftest import PASSWORD

    page.goto(f"{live_server.url}/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    # Home is the workbench, or the supervision desk for supervisors (home redirects them there).
    page.wait_for_url(re.compile(re.escape(live_server.url) + r"/(supervision/)?$"))
