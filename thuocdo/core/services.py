"""Writes shared by every app: the audit trail, the calendar overrides.

`UNSET` marks a keyword argument the caller did not pass, where None is a real value
(e.g. "no parent").
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from typing import Any, Final

from django.db import transaction
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from .calendar import day_off_name, work_calendar
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


@transaction.atomic
def calendar_overrides_bulk_set(
    *, actor: Any = None, days: Mapping[dt.date, str], audit: bool = True
) -> tuple[int, int]:
    """Make each day of `days` a day off (`holiday`) or a working day (`workday`),
    overriding the holiday library. Days not named keep their overrides. Every day falls in
    a year a period may take (`_check_calendar_days`). An import sets days here whatever the
    holiday library already says of them (a document lists the days of the civil-service
    calendar as announced); the admin adds one day with `calendar_override_add`, which
    refuses an override that changes nothing.
    The audit entry names the days: `created` {day: kind}, `changed` {day: [before,
    after]}; its object code is the day, or the first and last day. Returns (created,
    changed)."""
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
    CalendarOverride.objects.bulk_create(new, batch_size=BULK_BATCH)
    CalendarOverride.objects.bulk_update(changed, ["kind"], batch_size=BULK_BATCH)
    if audit and (new or changed):
        touched = sorted([o.day for o in new] + [o.day for o in changed])
        code = touched[0].isoformat()
        if len(touched) > 1:
            code += f"..{touched[-1].isoformat()}"
        audit_record(actor=actor, action="calendar.bulk_set", object_type="core.calendar",
                     object_code=code, changes={
                         "created": {o.day.isoformat(): o.kind for o in new},
                         "changed": {o.day.isoformat(): [before[o.day], o.kind]
                                     for o in changed}})
    return len(new), len(changed)


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
    admin's form). Refused: a day that has an override already (change that one), and an
    override that would change nothing (`calendar_day_refusal`). Audited with the day and
    its kind."""
    _check_calendar_days({day: kind})
    if CalendarOverride.objects.filter(day=day).exists():
        raise ServiceError(
            _("%(day)s already has an override: change that one.") % {"day": _shown(day)},
            code="calendar_day_taken", field="day")
    refused = calendar_day_refusal(day=day, kind=kind)
    if refused is not None:
        raise refused
    calendar_overrides_bulk_set(days={day: kind}, audit=False)
    audit_record(actor=actor, action="calendar.add", object_type="core.calendar",
                 object_code=day.isoformat(), changes={"kind": kind})
    return CalendarOverride.objects.get(day=day)


@transaction.atomic
def calendar_override_change(*, actor: Any = None, override: CalendarOverride,
                             kind: str) -> CalendarOverride:
    """Switch an override to the other kind (a swapped Saturday the Government turned back
    into a day off): it always changes the day, since the override decides it. Audited with
    the day and the kind before and after; the same kind changes nothing."""
    _check_calendar_days({override.day: kind})
    if kind == override.kind:
        return override
    before, note = override.kind, override.note
    calendar_overrides_bulk_set(days={override.day: kind}, audit=False)
    changes: dict[str, Any] = {"kind": [before, kind]}
    if note:
        # The imported note said why the day was what it no longer is ("Nghỉ bù Tết" on a
        # day now worked): it goes, kept in the audit trail.
        CalendarOverride.objects.filter(pk=override.pk).update(note="")
        changes["note"] = [note, ""]
    audit_record(actor=actor, action="calendar.change", object_type="core.calendar",
                 object_code=override.day.isoformat(), changes=changes)
    override.refresh_from_db()
    return override


@transaction.atomic
def calendar_override_remove(*, actor: Any = None, override: CalendarOverride) -> None:
    """Remove an override (one entered by mistake): the day is again as the holiday library
    has it. Audited with the day and what it was, as every change of the calendar is."""
    audit_record(actor=actor, action="calendar.remove", object_type="core.calendar",
                 object_code=override.day.isoformat(),
                 changes={"kind": override.kind, "note": override.note})
    override.delete()
