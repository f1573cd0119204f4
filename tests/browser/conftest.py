"""Real-browser tests: Debian's Chromium, driven by Playwright, against the live test server.

No browser is ever downloaded: Playwright launches /usr/bin/chromium (see
scripts/ensure-chromium). The site is served by pytest-django's ``live_server`` with the shipped
content loaded (again for each test: the database is emptied after every test that uses the live
server). One browser serves the whole session; tests that only read pages share a page per
module, the others get a fresh context.
"""

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from articles.loader import load_content

from .support import PUBLIC_PAGES, open_page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]


@pytest.fixture(scope="session", autouse=True)
def _django_orm_beside_playwright():
    # Playwright's sync API keeps an asyncio loop running in this thread, which makes Django
    # refuse ORM calls (loading content, flushing the test database) unless this is set.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Launch Debian's Chromium instead of a browser Playwright would download."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: run scripts/ensure-chromium as root "
            "(or 'sudo apt-get install chromium') to run the browser tests.",
            pytrace=False,
        )
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def base_url(live_server):
    """Pages open relative to the live server: page.goto("/relief/")."""
    return live_server.url


@pytest.fixture
def new_context(new_context):
    """pytest-playwright's new_context, failing after 10 s rather than 30 s."""

    def make(**kwargs):
        context = new_context(**kwargs)
        context.set_default_timeout(10_000)
        return context

    return make


@pytest.fixture(scope="module")
def reader_page(browser, browser_context_args):
    """One page shared by a module's tests that only read: saves a browser context per test.

    Each test sets what it depends on (colour scheme, address) itself.
    """
    yield from open_page(browser, browser_context_args)


@pytest.fixture
def content(transactional_db):
    """The shipped content, committed so the live server's thread sees it."""
    load_content()


@pytest.fixture(params=list(PUBLIC_PAGES.items()), ids=list(PUBLIC_PAGES))
def public_page(request, content):
    """(name, path) of one public page; a test using it runs once per page."""
    return request.param


@pytest.fixture
def log_in_editor(
    content, editors_group, reviewers_group, django_user_model, new_context, live_server
):
    """log_in_editor(username, group="Editors", **user_fields): a page of a new browser
    context, logged in as a new member of the Editors group (or of the Reviewers group).

    Logged in by session cookie: test_editor.py drives the login form; here it would only cost
    two page loads per editor.
    """

    groups = {"Editors": editors_group, "Reviewers": reviewers_group}

    def log_in(username, group="Editors", **fields):
        user = django_user_model.objects.create_user(username, is_staff=True, **fields)
        user.groups.add(groups[group])
        client = Client()
        client.force_login(user)
        context = new_context()
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
        return context.new_page()

    return log_in
