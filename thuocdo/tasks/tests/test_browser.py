"""The work list in a real browser (Playwright driving Debian's chromium, as in
core/tests/test_browser.py; skipped, with the reason, where either is missing)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from thuocdo.core.testing import PASSWORD, build_world
from thuocdo.tasks import services

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


TZ = timezone.get_fixed_timezone(7 * 60)
LAPTOP = {"width": 1366, "height": 768}


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
