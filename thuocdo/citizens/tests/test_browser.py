"""The public portal in a real browser at phone size: submit → code → look up.

Playwright driving Debian's chromium, as thuocdo/core/tests/test_browser.py; skipped, with the
reason, where either is missing.
"""

from __future__ import annotations

import pytest

from thuocdo.core.testing import build_world

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_submit_get_a_code_and_follow_it_on_a_phone(live_server, phone_page):
    build_world()
    phone_page.goto(f"{live_server.url}/phan-anh/")
    assert phone_page.locator("html").get_attribute("lang") == "vi"
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 360
    phone_page.locator("#id_category").select_option("urban")
    phone_page.locator("#id_unit").select_option("HN.CG.DV")
    phone_page.locator("#id_text").fill("Đèn đường ngõ 12 phố Trần Thái Tông bị hỏng hai tuần nay.")
    phone_page.locator("#id_contact").fill("0911111111")
    phone_page.locator("form.form button[type=submit]").click()
    code = phone_page.locator("#tracking-code").inner_text()
    key = phone_page.locator("#access-key").inner_text()
    assert code.startswith("PA-") and len(key) == 10
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 360
    phone_page.goto(f"{live_server.url}/phan-anh/tra-cuu/")
    phone_page.locator("#id_code").fill(code)
    phone_page.locator("#id_key").fill(key)
    phone_page.locator("form.form button[type=submit]").click()
    phone_page.wait_for_selector("#case-status")
    assert "UBND phường Dịch Vọng" in phone_page.locator("#case-unit").inner_text()
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 360


def test_follow_a_dossier_and_rate_it_on_a_phone(live_server, phone_page):
    from thuocdo.citizens import services

    from . import factories

    world = build_world()
    dossier = factories.dossier(world)
    services.dossier_move(user=world.users["staff"], dossier=dossier,
                          to_official=world.officials["CG.STAFF2"])
    services.dossier_move(user=world.users["head"], dossier=dossier,
                          to_official=world.officials["CG.DEP"])
    services.dossier_return_result(user=world.users["deputy"], dossier=dossier)
    phone_page.goto(f"{live_server.url}/phan-anh/")
    phone_page.locator("#dossier-lookup-link").click()
    phone_page.locator("#id_code").fill(dossier.code)
    phone_page.locator("#id_key").fill(factories.KEY.lower())
    phone_page.locator("form.form button[type=submit]").click()
    phone_page.wait_for_selector("#dossier-status")
    assert "Cấp giấy phép xây dựng" in phone_page.locator("#dossier-procedure").inner_text()
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 360
    assert "Trần Thị Bình" not in phone_page.content()  # the official who returned it
    phone_page.locator("input[name=rating][value=satisfied]").check()
    phone_page.locator("form.form button[type=submit]").click()
    phone_page.wait_for_selector("#dossier-rating")
    assert phone_page.locator("input[name=rating]").count() == 0
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 360


@pytest.mark.parametrize("width", [1024, 1280])
def test_the_staff_dossier_page_fits_a_laptop_screen(live_server, browser, width):
    """Between about 1000 and 1200 px the side column ("where it stands", the actions)
    took the width of its longest label on one line and pushed the page past the window:
    statuses and dates were cut at the right edge."""
    from thuocdo.citizens import services
    from thuocdo.core.testing import browser_login

    from . import factories

    world = build_world()
    dossier = factories.dossier(world)
    services.dossier_request_supplement(user=world.users["staff"], dossier=dossier,
                                        reason="Thiếu bản vẽ mặt bằng tầng một")
    page = browser_login(browser, live_server.url, "CG.STAFF", width=width)
    page.goto(f"{live_server.url}{dossier.get_absolute_url()}")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
