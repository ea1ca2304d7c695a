"""The public portal in a real browser at phone size: submit → code → look up.

Playwright driving Debian's chromium, as thuocdo/core/tests/test_browser.py; skipped, with the
reason, where either is missing.
"""

from __future__ import annotations

import os
import shutil

import pytest

from thuocdo.core.testing import build_world

playwright_sync = pytest.importorskip("playwright.sync_api", reason="Playwright not installed")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.skipif(CHROMIUM is None,
                       reason="chromium not installed (apt-get install chromium)"),
    pytest.mark.django_db(transaction=True),
]
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


def test_submit_get_a_code_and_follow_it_on_a_phone(live_server, page):
    build_world()
    page.goto(f"{live_server.url}/phan-anh/")
    assert page.locator("html").get_attribute("lang") == "vi"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.locator("#id_category").select_option("urban")
    page.locator("#id_unit").select_option("HN.CG.DV")
    page.locator("#id_text").fill("Đèn đường ngõ 12 phố Trần Thái Tông bị hỏng hai tuần nay.")
    page.locator("#id_contact").fill("0911111111")
    page.locator("form.form button[type=submit]").click()
    code = page.locator("#tracking-code").inner_text()
    key = page.locator("#access-key").inner_text()
    assert code.startswith("PA-") and len(key) == 10
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.goto(f"{live_server.url}/phan-anh/tra-cuu/")
    page.locator("#id_code").fill(code)
    page.locator("#id_key").fill(key)
    page.locator("form.form button[type=submit]").click()
    page.wait_for_selector("#case-status")
    assert "UBND phường Dịch Vọng" in page.locator("#case-unit").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_follow_a_dossier_and_rate_it_on_a_phone(live_server, page):
    from thuocdo.citizens import services

    from . import factories

    world = build_world()
    dossier = factories.dossier(world)
    services.dossier_move(user=world.users["staff"], dossier=dossier,
                          to_official=world.officials["CG.STAFF2"])
    services.dossier_move(user=world.users["head"], dossier=dossier,
                          to_official=world.officials["CG.DEP"])
    services.dossier_return_result(user=world.users["deputy"], dossier=dossier)
    page.goto(f"{live_server.url}/phan-anh/")
    page.locator("#dossier-lookup-link").click()
    page.locator("#id_code").fill(dossier.code)
    page.locator("#id_key").fill(factories.KEY.lower())
    page.locator("form.form button[type=submit]").click()
    page.wait_for_selector("#dossier-status")
    assert "Cấp giấy phép xây dựng" in page.locator("#dossier-procedure").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert "Trần Thị Bình" not in page.content()  # the official who returned it
    page.locator("input[name=rating][value=satisfied]").check()
    page.locator("form.form button[type=submit]").click()
    page.wait_for_selector("#dossier-rating")
    assert page.locator("input[name=rating]").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
