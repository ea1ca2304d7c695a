"""The UI in a real browser: Playwright driving Debian's chromium (never a downloaded one).

Skipped, with the reason, where chromium or Playwright is missing; CI installs both.
"""

from __future__ import annotations

import os
import shutil

import pytest

from thuocdo.core.testing import PASSWORD, build_world

playwright_sync = pytest.importorskip("playwright.sync_api", reason="Playwright not installed")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.skipif(CHROMIUM is None,
                       reason="chromium not installed (apt-get install chromium)"),
    pytest.mark.django_db(transaction=True),
]

# Playwright's sync API runs an event loop in this thread; the database calls made here are
# still synchronous test set-up, so Django's async-safety guard does not apply.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def page():
    with playwright_sync.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        context = browser.new_context(viewport={"width": 360, "height": 740})
        yield context.new_page()
        browser.close()


def test_a_phone_sized_login_in_vietnamese_reaches_the_home_page(live_server, page):
    """The login page is Vietnamese, fits a 360px screen, and logging in with an official
    code leads to the home page with the user's name and scope."""
    build_world()
    page.goto(f"{live_server.url}/accounts/login/")
    assert page.locator("html").get_attribute("lang") == "vi"
    assert page.get_by_role("button", name="Đăng nhập").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_label("E-mail hoặc mã cán bộ").fill("CG.HEAD")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{live_server.url}/")
    assert "Nguyễn Văn Đức" in page.content()
    assert "HN.CG" in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_officials_search_ignores_tones_in_the_browser(live_server, page):
    world = build_world()
    assert world.users["admin"]
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("E-mail hoặc mã cán bộ").fill("admin@example.vn")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/org/officials/?q=nguyen+van+duc")
    assert "Nguyễn Văn Đức" in page.content()
    assert "Trần Thị Bình" not in page.content()
