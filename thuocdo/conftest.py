"""Fixtures shared by every app's tests."""

from __future__ import annotations

import os
import shutil

import pytest
from hypothesis import settings

from thuocdo.core.testing import World, build_world

# Properties are checked for what they state, not for speed: a loaded CI machine must not
# fail an example for taking longer than hypothesis's default 200 ms (benchmarks measure
# time, in bench/).
settings.register_profile("thuocdo", deadline=None)
settings.load_profile("thuocdo")


def pytest_report_header(config):
    url = os.environ.get("THUOCDO_DATABASE_URL", "")
    engine = "PostgreSQL" if url.startswith(("postgres", "postgresql")) else "SQLite"
    return f"thuocdo: database {engine} ({'THUOCDO_DATABASE_URL' if url else 'default'})"


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language: a page answered in English (the language
    cookie of a test's client) leaves English active in the thread, and a later test in the
    same process would otherwise read its messages in English."""
    from django.conf import settings as django_settings
    from django.utils import translation

    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.activate(django_settings.LANGUAGE_CODE)


@pytest.fixture
def english(settings):
    """Pages in English (their msgids), whatever the Vietnamese catalogue says: a module
    whose assertions read English texts uses it (`pytest.mark.usefixtures("english")`)."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def world(db) -> World:
    """A small organisation with one user per role (see thuocdo.core.testing)."""
    return build_world()


@pytest.fixture
def client_for(client):
    """`client_for(user)`: the test client logged in as `user` (None: anonymous)."""

    def login(user):
        client.logout()
        if user is not None:
            client.force_login(user, backend="thuocdo.accounts.backends.EmailOrOfficialCodeBackend")
        return client

    return login


@pytest.fixture
def postgres_only(db):
    """Skip (with the reason printed) unless the tests run on PostgreSQL."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set THUOCDO_DATABASE_URL=postgres://... to run it")


@pytest.fixture
def browser():
    """Playwright driving Debian's chromium, never a downloaded browser; the test is
    skipped, with the reason, where either is missing (CI installs both)."""
    sync = pytest.importorskip("playwright.sync_api", reason="Playwright not installed")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("chromium not installed (apt-get install chromium)")
    # Playwright's sync API runs an event loop in this thread; the database calls the test
    # makes are still synchronous set-up, so Django's async-safety guard does not apply.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync.sync_playwright() as p:
        launched = p.chromium.launch(
            executable_path=chromium,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        yield launched
        launched.close()
        # While Playwright runs, an event loop runs in this thread, and Django keeps the
        # connections opened meanwhile apart from the thread's own (asgiref's thread-critical
        # Local acts as a context variable then). Closed here, before the loop stops: left
        # open, the test's connection outlived it and PostgreSQL refused to drop the test
        # database at the end ("is being accessed by other users").
        from django.db import connections

        connections.close_all()


@pytest.fixture
def phone_page(browser):
    """A page in a phone-sized window (360 × 740)."""
    return browser.new_context(viewport={"width": 360, "height": 740}).new_page()


@pytest.fixture
def forks_beside_the_live_server(monkeypatch):
    """Let `core.parallel` fork beside the browser tests' live server. pytest-django's live
    server is session-scoped: once a browser test ran in this test process, its thread
    waits in accept() until the session ends, and `parallel.can_fork` refuses to fork
    beside any other thread (a lock held by it at the fork would stay held in the worker).
    That idle server holds nothing the workers use, so the tests of the workers count every
    thread but it; without this they would test the workers or not depending on which
    tests ran before them in the same process."""
    import threading

    from django.test.testcases import LiveServerThread

    def active_count() -> int:
        return sum(1 for thread in threading.enumerate()
                   if not isinstance(thread, LiveServerThread))

    monkeypatch.setattr(threading, "active_count", active_count)
