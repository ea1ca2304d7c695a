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
from django.utils.translation import gettext as _

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


@transaction.atomic
def calendar_overrides_bulk_set(
    *, actor: Any = None, days: Mapping[dt.date, str], audit: bool = True
) -> tuple[int, int]:
    """Make each day of `days` a day off (`holiday`) or a working day (`workday`),
    overriding the holiday library. Days not named keep their overrides. Every day falls in
    a year a period may take (`periods.FIRST_YEAR`..`LAST_YEAR`): the calendar is read for
    the years around a period, and a day of year 1 or 9999 broke whatever read it.
    Returns (created, changed)."""
    for kind in set(days.values()):
        if kind not in CalendarOverride.Kind.values:
            raise ServiceError(_("Unknown calendar day kind “%(kind)s”.") % {"kind": kind},
                               code="calendar_kind", field="kind")
    ordered = sorted(days)
    for day in ordered:
        if not year_in_range(day.year):
            raise ServiceError(
                _("%(day)s is outside the calendar: give a day of a year from %(first)s to "
                  "%(last)s.") % {"day": f"{day.day:02d}/{day.month:02d}/{day.year:04d}",
                                  "first": FIRST_YEAR, "last": LAST_YEAR},
                code="calendar_day_range", field="day")
    stored: dict[dt.date, CalendarOverride] = {}
    for i in range(0, len(ordered), 900):
        for row in CalendarOverride.objects.filter(day__in=ordered[i:i + 900]):
            stored[row.day] = row
    new: list[CalendarOverride] = []
    changed: list[CalendarOverride] = []
    for day in ordered:
        known = stored.get(day)
        if known is None:
            new.append(CalendarOverride(day=day, kind=days[day]))
        elif known.kind != days[day]:
            known.kind = days[day]
            changed.append(known)
    CalendarOverride.objects.bulk_create(new, batch_size=BULK_BATCH)
    CalendarOverride.objects.bulk_update(changed, ["kind"], batch_size=BULK_BATCH)
    if audit and (new or changed):
        audit_record(actor=actor, action="calendar.bulk_set", object_type="core.calendar",
                     changes={"created": len(new), "changed": len(changed)})
    return len(new), len(changed)


@transaction.atomic
def calendar_override_remove(*, actor: Any = None, override: CalendarOverride) -> None:
    """Remove an override (one entered by mistake): the day is again as the holiday library
    has it. Audited with the day and what it was, as every change of the calendar is."""
    audit_record(actor=actor, action="calendar.remove", object_type="core.calendar",
                 object_code=override.day.isoformat(),
                 changes={"kind": override.kind, "note": override.note})
    override.delete()
