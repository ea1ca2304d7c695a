"""The work list in a real browser (Playwright driving Debian's chromium, as in
core/tests/test_browser.py; skipped, with the reason, where either is missing)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from thuocdo.core.testing import PASSWORD, browser_login, build_world
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


def test_days_are_written_dd_mm_yyyy_in_an_english_browser(live_server, browser):
    """An English browser's date input writes mm/dd/yyyy. A day filter is a box written
    dd/mm/yyyy with the calendar button the script shows: a day picked is written back
    dd/mm/yyyy and filters the list; a day typed filters it once whole, not half-way."""
    world = build_world()
    _tasks_like_the_demo(world)  # three tasks due on 01/10/2026
    page = browser_login(browser, live_server.url, "CG.HEAD", locale="en-US")
    page.get_by_role("button", name="English").click()  # the pages in English too
    page.wait_for_url(f"{live_server.url}/")
    asked = []
    page.on("request", lambda request: asked.append(request.url)
            if "/tasks/list/" in request.url else None)
    page.goto(f"{live_server.url}/tasks/list/?due_from=2026-09-30")
    box = page.locator("#id_due_from")
    picker = page.locator("#id_due_from ~ .day-input__picker")
    rows = page.locator("#task-results tbody tr")
    assert box.input_value() == "30/09/2026"  # sent as a link does, shown as a person writes
    assert rows.count() == 3

    page.get_by_role("button", name="Pick the day on a calendar").first.click()
    assert picker.input_value() == "2026-09-30"  # the calendar opens on the box's day
    page.keyboard.press("Escape")
    picker.evaluate("p => { p.value = '2026-10-02';"
                    " p.dispatchEvent(new Event('change', {bubbles: true})); }")
    assert box.input_value() == "02/10/2026"
    page.wait_for_url(re.compile(r"due_from=02%2F10%2F2026"))
    expect(rows).to_have_count(0)

    asked.clear()
    box.fill("")
    box.press_sequentially("1/10/202")
    page.wait_for_timeout(600)  # longer than the list's 300 ms pause
    assert not [url for url in asked if "due_from=1" in url], asked
    box.press_sequentially("6")
    page.wait_for_url(re.compile(r"due_from=1%2F10%2F2026"))
    expect(rows).to_have_count(3)
    assert page.locator("#id_due_from").input_value() == "1/10/2026"

    # the calendar opens under its button, not at the box's left edge
    button = page.locator("#id_due_from ~ .day-input__button").bounding_box()
    under = picker.bounding_box()
    assert abs((under["x"] + under["width"]) - (button["x"] + button["width"])) <= 1
    assert under["width"] <= 2 * button["width"], (under, button)  # not the box's width
    # "clear" in the calendar clears the box, and the list with it
    picker.evaluate("p => { p.value = '';"
                    " p.dispatchEvent(new Event('change', {bubbles: true})); }")
    assert box.input_value() == ""
    page.wait_for_url(re.compile(r"due_from=&"))
    # a day that is not one is said above the list, naming the filter, not "0 tasks"
    box.fill("31/09/2026")
    box.press("Enter")
    problem = page.locator("#task-results [role=alert]")
    expect(problem).to_contain_text("Deadline from: Give a real day, as dd/mm/yyyy.")


def test_a_field_in_error_has_a_red_border_whatever_its_kind(live_server, browser):
    """The rule for a field in error had the weight of the inputs' own border and came
    before it: lists turned red, text boxes, day boxes and text areas did not."""
    build_world()
    page = browser_login(browser, live_server.url, "CG.HEAD")
    page.goto(f"{live_server.url}/tasks/assign/")
    page.get_by_role("button", name="Giao nhiệm vụ").click()
    page.wait_for_selector(".field--error")
    boxes = ["#id_title", "#id_due", "#id_product"]
    for selector in boxes:
        border = page.locator(selector).evaluate(
            "e => [getComputedStyle(e).borderTopWidth, getComputedStyle(e).borderTopColor]")
        assert border[0] == "2px" and border[1] != "rgb(107, 116, 128)", (selector, border)
    # a text area: the citizens' portal, sent empty
    page.goto(f"{live_server.url}/phan-anh/")
    page.locator("form.form button[type=submit]").click()
    page.wait_for_selector(".field--error #id_text")
    width = page.locator("#id_text").evaluate("e => getComputedStyle(e).borderTopWidth")
    assert width == "2px"


def test_the_task_page_s_holders_fit_a_laptop_screen(live_server, browser):
    """"Who held the work" was 788 px wide in a 736 px column at 1366 px: its last column
    ("Of them overdue") sat behind a sideways scroll. Its number headings wrap."""
    world = build_world()
    _tasks_like_the_demo(world)
    page = browser_login(browser, live_server.url, "CG.HEAD")
    page.goto(f"{live_server.url}/tasks/task/NV202609-0001362/")
    shown, wide = page.locator("table.holders").evaluate(
        "t => [t.parentElement.clientWidth, t.parentElement.scrollWidth]")
    assert wide <= shown, (shown, wide)
