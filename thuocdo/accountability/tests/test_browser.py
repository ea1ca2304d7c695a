"""The accountability dashboard in a real browser (Playwright driving Debian's chromium, as
core/tests/test_browser.py; skipped, with the reason, where either is missing)."""

from __future__ import annotations

import pytest

from thuocdo.core.testing import browser_login, build_world

from .helpers import late_task, refresh_for

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _dashboard(live_server, browser, width: int):
    page = browser_login(browser, live_server.url, "CG.HEAD", width=width)
    page.goto(f"{live_server.url}/accountability/")
    return page


SIZES = """() => ({
    page: document.documentElement.scrollWidth,
    tables: [...document.querySelectorAll('.table-wrap')].map(
        w => [w.querySelector('caption, th')?.textContent.trim(), w.clientWidth, w.scrollWidth]),
    charts: [...document.querySelectorAll('figure svg')].map(
        s => s.getBoundingClientRect().width)})"""


def test_the_dashboard_s_tables_fit_a_laptop_screen(live_server, browser):
    """At 1366 px no table hides a column behind a sideways scroll: the signals' statuses
    and the buckets are long headings over short numbers, and they wrap (the signals' table
    was 1,515 px wide in Vietnamese)."""
    world = build_world()
    refresh_for(late_task(world))
    sizes = _dashboard(live_server, browser, 1366).evaluate(SIZES)
    assert sizes["page"] <= 1366, sizes
    assert len(sizes["tables"]) >= 4, sizes
    for heading, shown, wide in sizes["tables"]:
        assert wide <= shown, (heading, shown, wide)


def test_the_dashboard_s_charts_stay_readable_on_a_phone(live_server, browser):
    """At 360 px a chart keeps a readable size and scrolls sideways inside its figure (it
    shrank to 248 px, its text to 5 px); the page itself does not scroll sideways."""
    world = build_world()
    refresh_for(late_task(world))
    sizes = _dashboard(live_server, browser, 360).evaluate(SIZES)
    assert sizes["page"] <= 360, sizes
    assert sizes["charts"] and all(width >= 560 for width in sizes["charts"]), sizes
