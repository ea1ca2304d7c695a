"""`plain_number`: a number as the pages write it, whatever its stored scale."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation

from thuocdo.core.templatetags.numbers import plain_number


@pytest.mark.parametrize(("value", "vi", "en"), [
    (Decimal("0.500"), "0,5", "0.5"),
    (Decimal("1.000"), "1", "1"),
    (Decimal("1.250"), "1,25", "1.25"),
    (Decimal("20.00"), "20", "20"),
    (2.0, "2", "2"),
])
def test_a_number_without_trailing_zeros_in_the_language_s_mark(value, vi, en):
    with translation.override("vi"):
        assert plain_number(value) == vi
    with translation.override("en"):
        assert plain_number(value) == en


def test_anything_else_is_left_as_it_is():
    assert plain_number("—") == "—"
    assert plain_number(None) is None
