"""The adapter from the database to the engine's working-day calendar."""

from __future__ import annotations

import datetime as dt

import holidays
from django.utils import formats, translation

from thuocdo.measure.calendar import WorkCalendar, public_days

from .models import CalendarOverride


def work_calendar(*, years: range | list[int], overrides_model=CalendarOverride) -> WorkCalendar:
    """Vietnam's public holidays for `years` (the `holidays` library, including its observed
    and substituted days off and the Saturdays swapped into working days: `public_days`)
    corrected by the administrators' overrides for those years.
    `overrides_model`: a data migration passes its historical `CalendarOverride`."""
    years = list(years)
    library_off, library_work = public_days(years)
    base = set(library_off)
    overrides = overrides_model.objects.filter(day__year__in=years).values_list("day", "kind")
    workdays: set = set(library_work)
    for day, kind in overrides:
        if kind == CalendarOverride.Kind.HOLIDAY:
            base.add(day)
            workdays.discard(day)
        else:
            base.discard(day)
            workdays.add(day)
    return WorkCalendar.of(base, workdays)


def day_off_name(day: dt.date) -> str:
    """Why `day` is off as far as the calendar knows, in the active language: the note of
    the administrator's override that made it a day off, else the holiday library's name of
    the day (unless an override made it a working day), else the day of the week of a
    weekend ("Chủ nhật"); "" when none says (an override without a note on a weekday)."""
    override = CalendarOverride.objects.filter(day=day).first()
    if override is not None and override.kind == CalendarOverride.Kind.HOLIDAY and override.note:
        return override.note
    if override is None or override.kind == CalendarOverride.Kind.HOLIDAY:
        language = "vi" if (translation.get_language() or "").startswith("vi") else "en_US"
        name = holidays.country_holidays("VN", years=[day.year], language=language).get(day)
        if name:
            return str(name)
    if day.weekday() >= 5:
        return formats.date_format(day, "l")
    return ""
