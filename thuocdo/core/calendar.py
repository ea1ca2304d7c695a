"""The adapter from the database to the engine's working-day calendar."""

from __future__ import annotations

import holidays

from thuocdo.measure.calendar import WorkCalendar

from .models import CalendarOverride


def work_calendar(*, years: range | list[int], overrides_model=CalendarOverride) -> WorkCalendar:
    """Vietnam's public holidays for `years` (the `holidays` library, including its observed
    and substituted days) corrected by the administrators' overrides for those years.
    `overrides_model`: a data migration passes its historical `CalendarOverride`."""
    years = list(years)
    base = set(holidays.country_holidays("VN", years=years).keys())
    overrides = overrides_model.objects.filter(day__year__in=years).values_list("day", "kind")
    workdays: set = set()
    for day, kind in overrides:
        if kind == CalendarOverride.Kind.HOLIDAY:
            base.add(day)
            workdays.discard(day)
        else:
            base.discard(day)
            workdays.add(day)
    return WorkCalendar.of(base, workdays)
