"""The UI in a real browser: Playwright driving Debian's chromium (the `browser` fixture of
thuocdo/conftest.py).

Skipped, with the reason, where chromium or Playwright is missing; CI installs both.
"""

from __future__ import annotations

import pytest

from thuocdo.core.testing import PASSWORD, build_world

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)



def test_a_phone_sized_login_in_vietnamese_reaches_the_home_page(live_server, phone_page):
    """The login page is Vietnamese, fits a 360px screen, and logging in with an official
    code leads to the home page with the user's name and scope."""
    build_world()
    phone_page.goto(f"{live_server.url}/accounts/login/")
    assert phone_page.locator("html").get_attribute("lang") == "vi"
    assert phone_page.get_by_role("button", name="Đăng nhập").is_visible()
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 360
    phone_page.get_by_label("E-mail hoặc mã cán bộ").fill("CG.HEAD")
    phone_page.get_by_label("Mật khẩu").fill(PASSWORD)
    phone_page.get_by_role("button", name="Đăng nhập").click()
    phone_page.wait_for_url(f"{live_server.url}/")
    assert "Nguyễn Văn Đức" in phone_page.content()
    assert "HN.CG" in phone_page.content()
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 360


def test_officials_search_ignores_tones_in_the_browser(live_server, phone_page):
    world = build_world()
    assert world.users["admin"]
    phone_page.goto(f"{live_server.url}/accounts/login/")
    phone_page.get_by_label("E-mail hoặc mã cán bộ").fill("admin@example.vn")
    phone_page.get_by_label("Mật khẩu").fill(PASSWORD)
    phone_page.get_by_role("button", name="Đăng nhập").click()
    phone_page.wait_for_url(f"{live_server.url}/")
    phone_page.goto(f"{live_server.url}/org/officials/?q=nguyen+van+duc")
    assert "Nguyễn Văn Đức" in phone_page.content()
    assert "Trần Thị Bình" not in phone_page.content()
