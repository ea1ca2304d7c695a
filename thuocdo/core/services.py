"""Writes shared by every app: the audit trail, the calendar overrides.

An override of a day that something stored was computed with (a month's signals, an
approved period's cards: `calendar.computed_on`) is refused, naming the day and what is
computed, or, with settings.THUOCDO_CALENDAR_COMPUTED_MONTHS = "warn", written and its
audit entry names what was computed (`calendar_computed_check`; docs/decisions/0007).

`UNSET` marks a keyword argument the caller did not pass, where None is a real value
(e.g. "no parent").
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping
from typing import Any, Final

from django.conf import settings
from django.db import transaction
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from .calendar import Computed, computed_on, day_off_name, work_calendar
from .errors import ServiceError
from .models import AuditEntry, CalendarOverride
from .periods import FIRST_YEAR, LAST_YEAR, year_in_range

BULK_BATCH = 500


class Unset(enum.Enum):
    UNSET = 0


UNSET: Final = Unset.UNSET


def audit_record(
    *,
    actor: Any = None,
    action: str,
    object_type: str,
    object_code: str = "",
    changes: dict | None = None,
    reason: str = "",
) -> AuditEntry:
    """Append one entry to the audit trail. `actor` is a User or None (system, import)."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEntry.objects.create(
        actor=user,
        action=action,
        object_type=object_type,
        object_code=str(object_code)[:255],
        changes=changes or {},
        reason=reason,
    )


def _shown(day: dt.date) -> str:
    """A day as pages show it, dd/mm/yyyy (any year: `strftime` pads none below 1000)."""
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"


def _check_calendar_days(days: Mapping[dt.date, str]) -> None:
    """Refuse an unknown kind, and a day outside the years a period may take
    (`periods.FIRST_YEAR`..`LAST_YEAR`): the calendar is read for the years around a
    period, and a day of year 1 or 9999 broke whatever read it."""
    for kind in set(days.values()):
        if kind not in CalendarOverride.Kind.values:
            raise ServiceError(_("Unknown calendar day kind “%(kind)s”.") % {"kind": kind},
                               code="calendar_kind", field="kind")
    for day in sorted(days):
        if not year_in_range(day.year):
            raise ServiceError(
                _("%(day)s is outside the calendar: give a day of a year from %(first)s to "
                  "%(last)s.") % {"day": _shown(day), "first": FIRST_YEAR, "last": LAST_YEAR},
                code="calendar_day_range", field="day")


#: settings.THUOCDO_CALENDAR_COMPUTED_MONTHS: refuse an override of a day already computed
#: with, or write it and warn
COMPUTED_REFUSE, COMPUTED_WARN = "refuse", "warn"


def calendar_computed_refuses() -> bool:
    """Whether an override of a day already computed with is refused (the default)."""
    return getattr(settings, "THUOCDO_CALENDAR_COMPUTED_MONTHS",
                   COMPUTED_REFUSE) != COMPUTED_WARN


def calendar_computed_text(found: list[Computed]) -> str:
    """What is computed with a day's calendar, as one phrase ("dấu hiệu đã được tính đến
    tháng 10/2026; kỳ đánh giá tháng 10/2026 đã được phê duyệt")."""
    return "; ".join(item.text for item in found)


def calendar_computed_message(*, day: dt.date, found: list[Computed]) -> str:
    """The refusal of an override of `day`, naming what is computed with it."""
    return _("%(what)s: the calendar of %(day)s can no longer be changed (an override "
             "added, changed or removed), so that what was computed keeps the working days "
             "it was computed with.") % {
        "what": capfirst(calendar_computed_text(found)), "day": _shown(day)}


def calendar_computed_warning(*, day: dt.date, found: list[Computed]) -> str:
    """The warning of an override of `day` written although something is computed with it
    (settings.THUOCDO_CALENDAR_COMPUTED_MONTHS = "warn")."""
    return _("Warning: %(what)s, with the calendar of %(day)s as it was: computing them "
             "again follows the new calendar, while what is approved keeps the old one.") % {
        "what": calendar_computed_text(found), "day": _shown(day)}


def calendar_due_warning(*, day: dt.date, found: list[Computed]) -> str:
    """The warning of a day made a day off while open work falls due on it
    (`calendar.due_on`): the deadlines stay where they were set (a deadline is a date the
    assigner gave, not a count the calendar recomputes), so the administrator says so to
    whoever must move them."""
    return _("%(day)s is now a day off, and the deadline in force of %(what)s falls on it: "
             "those deadlines stay as they were set; a head who moves one grants an "
             "extension.") % {"day": _shown(day), "what": calendar_computed_text(found)}


def calendar_computed_refusal(*, days: Iterable[dt.date]) -> ServiceError | None:
    """The refusal of an override of one of `days` (the first computed with, naming what
    is), or None: nothing is computed with them, or settings.THUOCDO_CALENDAR_COMPUTED_MONTHS
    is "warn"."""
    if not calendar_computed_refuses():
        return None
    found = computed_on(set(days))
    if not found:
        return None
    day, items = next(iter(found.items()))
    return ServiceError(calendar_computed_message(day=day, found=items),
                        code="calendar_computed", field="day")


def calendar_computed_check(*, days: Iterable[dt.date]) -> dict[str, list[str]]:
    """Refuse an override of one of `days` when something is computed with its calendar
    (`calendar_computed_refusal`); with settings.THUOCDO_CALENDAR_COMPUTED_MONTHS = "warn",
    return what is, for the audit entry: {ISO day: [key, ...]} (`calendar.Computed.key`),
    empty when nothing is."""
    days = set(days)
    if calendar_computed_refuses():
        refused = calendar_computed_refusal(days=days)
        if refused is not None:
            raise refused
        return {}
    return {day.isoformat(): [item.key for item in items]
            for day, items in computed_on(days).items()}


@transaction.atomic
def calendar_overrides_bulk_set(
    *, actor: Any = None, days: Mapping[dt.date, str], audit: bool = True
) -> tuple[int, int]:
    """Make each day of `days` a day off (`holiday`) or a working day (`workday`),
    overriding the holiday library. Days not named keep their overrides. Every day falls in
    a year a period may take (`_check_calendar_days`). An import sets days here whatever the
    holiday library already says of them (a document lists the days of the civil-service
    calendar as announced); the admin adds one day with `calendar_override_add`, which
    refuses an override that changes nothing. A day created or changed must not be one
    something is computed with (`calendar_computed_check`); a day given as stored changes
    nothing and is not refused.
    The audit entry names the days: `created` {day: kind}, `changed` {day: [before,
    after]}, and `computed` {day: [what]} when settings allow such days; its object code is
    the day, or the first and last day. Returns (created, changed)."""
    new, changed, before, computed = _calendar_set(days)
    if audit and (new or changed):
        touched = sorted([o.day for o in new] + [o.day for o in changed])
        code = touched[0].isoformat()
        if len(touched) > 1:
            code += f"..{touched[-1].isoformat()}"
        changes: dict[str, Any] = {
            "created": {o.day.isoformat(): o.kind for o in new},
            "changed": {o.day.isoformat(): [before[o.day], o.kind] for o in changed}}
        if computed:
            changes["computed"] = computed
        audit_record(actor=actor, action="calendar.bulk_set", object_type="core.calendar",
                     object_code=code, changes=changes)
    return len(new), len(changed)


def _calendar_set(days: Mapping[dt.date, str]) -> tuple[
        list[CalendarOverride], list[CalendarOverride], dict[dt.date, str],
        dict[str, list[str]]]:
    """Write `days` (`calendar_overrides_bulk_set`): the overrides created, those changed,
    the kinds these had before, and what is computed with the days written
    (`calendar_computed_check`, which refuses first unless settings allow it)."""
    _check_calendar_days(days)
    ordered = sorted(days)
    stored: dict[dt.date, CalendarOverride] = {}
    for i in range(0, len(ordered), 900):
        for row in CalendarOverride.objects.filter(day__in=ordered[i:i + 900]):
            stored[row.day] = row
    new: list[CalendarOverride] = []
    changed: list[CalendarOverride] = []
    before: dict[dt.date, str] = {}
    for day in ordered:
        known = stored.get(day)
        if known is None:
            new.append(CalendarOverride(day=day, kind=days[day]))
        elif known.kind != days[day]:
            before[day] = known.kind
            known.kind = days[day]
            changed.append(known)
    computed = calendar_computed_check(days=[o.day for o in [*new, *changed]])
    CalendarOverride.objects.bulk_create(new, batch_size=BULK_BATCH)
    CalendarOverride.objects.bulk_update(changed, ["kind"], batch_size=BULK_BATCH)
    return new, changed, before, computed


def calendar_day_refusal(*, day: dt.date, kind: str) -> ServiceError | None:
    """Why an override making `day` of `kind` would change nothing: the calendar (the
    holiday library and the overrides, as `calendar.work_calendar` combines them) already
    makes it a working day, or already a day off (saying why: the holiday, the weekend
    day, the note of an override); None when it would change the day."""
    working = work_calendar(years=[day.year]).is_workday(day)
    if working != (kind == CalendarOverride.Kind.WORKDAY):
        return None
    if working:
        message = _("%(day)s is already a working day (%(weekday)s): an override making it "
                    "a working day would change nothing.") % {
            "day": _shown(day), "weekday": date_format(day, "l")}
    else:
        why = day_off_name(day)
        message = (_("%(day)s is already a day off (%(why)s): an override making it a day "
                     "off would change nothing.") % {"day": _shown(day), "why": why}
                   if why else
                   _("%(day)s is already a day off: an override making it a day off would "
                     "change nothing.") % {"day": _shown(day)})
    return ServiceError(message, code="calendar_no_change", field="day")


@transaction.atomic
def calendar_override_add(*, actor: Any = None, day: dt.date, kind: str) -> CalendarOverride:
    """Make `day` a day off or a working day against what the calendar says of it (the
    admin's form). Refused: a day that has an override already (change that one), an
    override that would change nothing (`calendar_day_refusal`), and a day something is
    computed with (`calendar_computed_check`). Audited with the day and its kind."""
    _check_calendar_days({day: kind})
    if CalendarOverride.objects.filter(day=day).exists():
        raise ServiceError(
            _("%(day)s already has an override: change that one.") % {"day": _shown(day)},
            code="calendar_day_taken", field="day")
    refused = calendar_day_refusal(day=day, kind=kind)
    if refused is not None:
        raise refused
    computed = _calendar_set({day: kind})[3]
    changes: dict[str, Any] = {"kind": kind}
    if computed:
        changes["computed"] = computed[day.isoformat()]
    audit_record(actor=actor, action="calendar.add", object_type="core.calendar",
                 object_code=day.isoformat(), changes=changes)
    return CalendarOverride.objects.get(day=day)


@transaction.atomic
def calendar_override_change(*, actor: Any = None, override: CalendarOverride,
                             kind: str) -> CalendarOverride:
    """Switch an override to the other kind (a swapped Saturday the Government turned back
    into a day off): it always changes the day, since the override decides it, so it is
    refused on a day something is computed with (`calendar_computed_check`). Audited with
    the day and the kind before and after; the same kind changes nothing."""
    _check_calendar_days({override.day: kind})
    if kind == override.kind:
        return override
    before, note = override.kind, override.note
    computed = _calendar_set({override.day: kind})[3]
    changes: dict[str, Any] = {"kind": [before, kind]}
    if note:
        # The imported note said why the day was what it no longer is ("Nghỉ bù Tết" on a
        # day now worked): it goes, kept in the audit trail.
        CalendarOverride.objects.filter(pk=override.pk).update(note="")
        changes["note"] = [note, ""]
    if computed:
        changes["computed"] = computed[override.day.isoformat()]
    audit_record(actor=actor, action="calendar.change", object_type="core.calendar",
                 object_code=override.day.isoformat(), changes=changes)
    override.refresh_from_db()
    return override


@transaction.atomic
def calendar_override_remove(*, actor: Any = None, override: CalendarOverride) -> None:
    """Remove an override (one entered by mistake): the day is again as the holiday library
    has it. Refused on a day something is computed with (`calendar_computed_check`).
    Audited with the day and what it was, as every change of the calendar is."""
    computed = calendar_computed_check(days=[override.day])
    changes: dict[str, Any] = {"kind": override.kind, "note": override.note}
    if computed:
        changes["computed"] = computed[override.day.isoformat()]
    audit_record(actor=actor, action="calendar.remove", object_type="core.calendar",
                 object_code=override.day.isoformat(), changes=changes)
    override.delete()
