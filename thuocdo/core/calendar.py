"""The adapter from the database to the engine's working-day calendar, and the registry of
what has been computed with it.

A calendar override changes the working days behind whatever was computed over its day:
a month's stored signals (their delays), the score cards of an approved period. Core does
not know those apps; each registers a provider in its `AppConfig.ready()`
(`register_computed`), and the calendar's services ask them all (`computed_on`) before an
override of a day is added, changed or removed (docs/decisions/0007).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import NamedTuple

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


#: settings.THUOCDO_DEADLINE_ON_DAY_OFF: refuse a deadline set on a day off, or accept it
DAY_OFF_REFUSE, DAY_OFF_ACCEPT = "refuse", "accept"


def next_workday_if_off(calendar: WorkCalendar, day: dt.date) -> dt.date | None:
    """The first working day after `day` when `day` is a day off (None: it is a working
    day): what a refusal of a deadline on a day off names (`day_off_refusal`)."""
    return None if calendar.is_workday(day) else calendar.add_workdays(day, 1)


def day_off_refusal(day: dt.date, later: dt.date | None) -> str | None:
    """Why a deadline set now on `day`, a day off whose next working day is `later` (None:
    `day` is a working day), is refused: the day, why it is off (`day_off_name`) and the
    next working day, in the active language. None when nothing is refused: a working
    day, or settings.THUOCDO_DEADLINE_ON_DAY_OFF is "accept". The tasks' deadlines
    (`tasks.workflow.check_deadline_day`) and a dossier's new date promised in an apology
    slip (`citizens.services.dossier_apology`) are checked with it."""
    from django.conf import settings
    from django.utils.translation import gettext as _

    if later is None or settings.THUOCDO_DEADLINE_ON_DAY_OFF == DAY_OFF_ACCEPT:
        return None
    why = day_off_name(day)
    values = {"day": formats.date_format(day, "SHORT_DATE_FORMAT"), "why": why,
              "next": formats.date_format(later, "SHORT_DATE_FORMAT")}
    if why:
        return _("%(day)s is a day off (%(why)s), and a deadline must be a working day; "
                 "the next working day: %(next)s.") % values
    return _("%(day)s is a day off, and a deadline must be a working day; the next "
             "working day: %(next)s.") % values


# -- what has been computed with the calendar --------------------------------------------


class Computed(NamedTuple):
    """Something stored that was computed with the calendar of a day. `key` names it for
    the audit trail, the same in every language ("signals:2026-10",
    "period:2026-Q4:approved"); `text` for people, in the active language ("dấu hiệu đã
    được tính đến tháng 10/2026")."""

    key: str
    text: str


#: Given days, what is computed with the calendar of each (days with nothing left out).
#: A provider reads in a few queries whatever the number of days (an import names a year's).
ComputedProvider = Callable[[Collection[dt.date]], Mapping[dt.date, Sequence[Computed]]]

#: the providers, registered by the apps that store computed results (their `ready()`)
COMPUTED_PROVIDERS: list[ComputedProvider] = []


#: the providers of open work falling due on a day (same shape: `key` "tasks:due", `text`
#: "3 việc đang mở"), registered by the apps that hold deadlines; the calendar's admin names
#: them when a day becomes a day off
DUE_PROVIDERS: list[ComputedProvider] = []


def register_computed(provider: ComputedProvider) -> ComputedProvider:
    """Register `provider` (once, however often an app's `ready()` runs)."""
    if provider not in COMPUTED_PROVIDERS:
        COMPUTED_PROVIDERS.append(provider)
    return provider


def register_due(provider: ComputedProvider) -> ComputedProvider:
    """Register a provider of open work due on days (once)."""
    if provider not in DUE_PROVIDERS:
        DUE_PROVIDERS.append(provider)
    return provider


def _ask(providers: list[ComputedProvider],
         days: Collection[dt.date]) -> dict[dt.date, list[Computed]]:
    """What every provider says of `days`: the days with something, in order, each with
    what (providers in order of registration)."""
    found: dict[dt.date, list[Computed]] = {}
    if not days:
        return found
    for provider in providers:
        for day, items in provider(days).items():
            if items:
                found.setdefault(day, []).extend(items)
    return dict(sorted(found.items()))


def computed_on(days: Collection[dt.date]) -> dict[dt.date, list[Computed]]:
    """What every registered provider says is computed with the calendar of `days`."""
    return _ask(COMPUTED_PROVIDERS, days)


def due_on(days: Collection[dt.date]) -> dict[dt.date, list[Computed]]:
    """The open work whose deadline in force is one of `days`, by day (`DUE_PROVIDERS`)."""
    return _ask(DUE_PROVIDERS, days)
