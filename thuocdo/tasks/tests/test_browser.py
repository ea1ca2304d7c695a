"""The work list in a real browser (Playwright driving Debian's chromium, as in
core/tests/test_browser.py; skipped, with the reason, where either is missing)."""

from __future__ import annotations

import datetime as dt
import os
import shutil

import pytest
from django.utils import timezone

from thuocdo.core.testing import PASSWORD, build_world
from thuocdo.tasks import services

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

TZ = timezone.get_fixed_timezone(7 * 60)
LAPTOP = {"width": 1366, "height": 768}


@pytest.fixture
def browser():
    with playwright_sync.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        yield browser
        browser.close()


def _tasks_like_the_demo(world) -> None:
    """Tasks with the demo's long codes, titles, products and directive codes, done and
    open, led from the long-named office of the district."""
    product = services.product_create(code="VBQPPL",
                                      name="Dự thảo văn bản quy phạm pháp luật",
                                      coefficient=1)
    directive = services.directive_create(code="178/KH-UBND-Q01", title="Kế hoạch 178",
                                          issued_by=world.units["HN.CG"],
                                          issued_on=dt.date(2026, 1, 5))
    titles = ["Báo cáo tình hình phòng chống tham nhũng tháng 9/2026",
              "Thẩm định hồ sơ đăng ký kinh doanh",
              "Dự thảo văn bản quy phạm pháp luật chỉnh trang đô thị"]
    for number, title in enumerate(titles, start=1):
        task = services.task_assign(
            assigned_by=world.officials["CG.HEAD"], title=title, product=product, quantity=8,
            directive=directive, lead_unit=world.units["HN.CG.VP"],
            lead_official=world.officials["CG.STAFF"], due=dt.date(2026, 10, 1),
            code=f"NV202609-000136{number}", allow_past_due=True,
            at=dt.datetime(2026, 9, 20 + number, 8, 0, tzinfo=TZ),
        )
        if number == 1:
            continue
        for kind, who, day in (("accept", "CG.STAFF", 24), ("submit", "CG.STAFF", 25),
                               ("approve", "CG.HEAD", 29)):
            services.task_act(task=task, kind=kind, actor=world.officials[who], data={},
                              at=dt.datetime(2026, 9, day, 15, 10, tzinfo=TZ))


def test_the_work_list_fits_a_laptop_screen(live_server, browser):
    """At 1366 px the work list's last column ("Last event") is on screen: the table fits
    its container, and the page does not scroll sideways."""
    world = build_world()
    _tasks_like_the_demo(world)
    page = browser.new_context(viewport=LAPTOP).new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("E-mail hoặc mã cán bộ").fill("CG.HEAD")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/tasks/list/")
    sizes = page.evaluate("""() => {
        const wrap = document.querySelector('#task-results .table-wrap');
        const last = wrap.querySelector('thead th:last-child').getBoundingClientRect();
        return {page: document.documentElement.scrollWidth, wrap: wrap.clientWidth,
                table: wrap.scrollWidth, lastRight: last.right,
                wrapRight: wrap.getBoundingClientRect().right};
    }""")
    assert sizes["page"] <= LAPTOP["width"], sizes
    assert sizes["table"] <= sizes["wrap"], sizes
    assert sizes["lastRight"] <= sizes["wrapRight"] + 1, sizes
