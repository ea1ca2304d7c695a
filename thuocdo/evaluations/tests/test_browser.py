"""The score pages in a real browser (Playwright driving Debian's chromium, as
core/tests/test_browser.py; skipped, with the reason, where either is missing)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from thuocdo.accounts import services as accounts
from thuocdo.core.testing import PASSWORD, browser_login

from .helpers import load_golden
from .test_card_acceptance import _case, _score

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_the_review_screen_fits_a_phone_with_its_kht_tags(live_server, browser):
    """Golden case 08 (the KHT overrides): the review screen of HN.CG.VP tags its KHT cards
    "KHT bất kể điểm số: có căn cứ xếp loại KHT", which ran past its box and made the page
    381 px wide on a 360 px phone; a long tag wraps inside its cell."""
    load_golden(_case("08_kht_overrides"))
    _score("2026-10")
    accounts.user_create(email="admin@example.vn", password=PASSWORD, full_name="Quản trị",
                         is_superuser=True)
    page = browser_login(browser, live_server.url, "admin@example.vn", width=360, height=740)
    page.goto(live_server.url + reverse("evaluations:unit_review",
                                        kwargs={"label": "2026-10", "code": "HN.CG.VP"}))
    tags = page.locator(".tag", has_text="KHT bất kể điểm số")
    assert tags.count() >= 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
