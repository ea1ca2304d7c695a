"""Periods in words: `{% load periods %}` then `{{ period.label|period_name }}`.

A period's label is ISO (2026-10, 2026-Q4, 2026): it stays so in URLs, files' names, the
command line and the engine. People read it as "tháng 10/2026", "quý IV/2026", "năm 2026"
(in English "October 2026", "Q4 2026", "2026"). `period_name` is the one place that says
so, for the templates (the filter) and for the views and exports (the function).
"""

from __future__ import annotations

import re

from django import template
from django.utils.translation import pgettext, pgettext_lazy

register = template.Library()

MONTHS = (
    pgettext_lazy("period", "January %(year)d"),
    pgettext_lazy("period", "February %(year)d"),
    pgettext_lazy("period", "March %(year)d"),
    pgettext_lazy("period", "April %(year)d"),
    pgettext_lazy("period", "May %(year)d"),
    pgettext_lazy("period", "June %(year)d"),
    pgettext_lazy("period", "July %(year)d"),
    pgettext_lazy("period", "August %(year)d"),
    pgettext_lazy("period", "September %(year)d"),
    pgettext_lazy("period", "October %(year)d"),
    pgettext_lazy("period", "November %(year)d"),
    pgettext_lazy("period", "December %(year)d"),
)
QUARTERS = (
    pgettext_lazy("period", "Q1 %(year)d"),
    pgettext_lazy("period", "Q2 %(year)d"),
    pgettext_lazy("period", "Q3 %(year)d"),
    pgettext_lazy("period", "Q4 %(year)d"),
)
_LABEL = re.compile(r"^(?P<year>\d{4})(?:-(?:(?P<month>\d{2})|Q(?P<quarter>[1-4])))?$")


@register.filter
def period_name(label) -> str:
    """A period's label (or a period: its `str` is its label) in words in the active
    language; anything else is returned as it is.

    >>> from django.utils import translation
    >>> with translation.override("en"):
    ...     period_name("2026-10"), period_name("2026-Q4"), period_name("2026")
    ('October 2026', 'Q4 2026', '2026')
    """
    text = "" if label is None else str(label)
    match = _LABEL.match(text)
    if match is None:
        return text
    year = int(match["year"])
    if match["month"]:
        month = int(match["month"])
        return str(MONTHS[month - 1]) % {"year": year} if 1 <= month <= 12 else text
    if match["quarter"]:
        return str(QUARTERS[int(match["quarter"]) - 1]) % {"year": year}
    return pgettext("period", "%(year)d") % {"year": year}
