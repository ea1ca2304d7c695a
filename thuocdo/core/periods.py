"""Period labels as users and callers type them: YYYY-MM, YYYY-Qn or YYYY (domain.md,
"kỳ đánh giá"), read into the engine's `Period` with a clear refusal otherwise."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from thuocdo.measure.scoring import Period

from .errors import ServiceError

LABEL = re.compile(r"[0-9]{4}(-(0[1-9]|1[0-2])|-Q[1-4])?")
#: The years a period may fall in: any year of the records of a public body, with room on
#: both sides for the twelve months a trend looks back and the months a deadline runs on
#: (a year the calendar cannot hold, 0000 or 9999-12 + one month, used to fail with a 500).
FIRST_YEAR, LAST_YEAR = 1900, 2999
#: A month label YYYY-MM of a year in FIRST_YEAR..LAST_YEAR, for regex fields and checks.
MONTH_REGEX = r"^(19[0-9]{2}|2[0-9]{3})-(0[1-9]|1[0-2])$"


def year_in_range(year: int) -> bool:
    return FIRST_YEAR <= year <= LAST_YEAR


def parse_period(label: str) -> Period:
    """`YYYY-MM`, `YYYY-Qn` or `YYYY` → the engine's period; a `ServiceError` (field
    "period") naming the label otherwise, a year outside FIRST_YEAR..LAST_YEAR included."""
    label = (label or "").strip()
    refusal = ServiceError(
        _("“%(label)s” is not a period: write YYYY-MM, YYYY-Qn or YYYY.") % {"label": label},
        code="period_label", field="period")
    if not LABEL.fullmatch(label) or not year_in_range(int(label[:4])):
        raise refusal
    return Period.parse(label)
