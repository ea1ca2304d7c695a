"""Computing a month's signals and delays from the database (reads only; `services` stores).

One pass over the month's work, a top-level agency at a time (`adapters.period_chunks`):
the engine's detectors (`thuocdo.measure.signals.detect_all`) on each chunk, the citizens'
signals (S10, S11 and forwarded feedback for S3) once, and the working days of delay of each
holder for the tasks that belong to the month (original deadline in it).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from thuocdo.citizens.adapters import citizen_signals
from thuocdo.core.errors import ServiceError
from thuocdo.measure.history import delay_by_holder
from thuocdo.measure.signals import Signal, detect_all, period_bounds

from . import adapters

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def month_bounds(period: str) -> tuple[dt.date, dt.date]:
    """First and last day of a month label "YYYY-MM"; a clear error for anything else."""
    if not MONTH.match(period or ""):
        raise ServiceError(
            _("The period must be a month written YYYY-MM (e.g. 2026-10), not “%(value)s”.")
            % {"value": period}, code="bad_period", field="period")
    return period_bounds(period)


@dataclass(frozen=True)
class DelayRow:
    task_id: int
    unit: str
    official: str | None
    workdays: int


@dataclass
class MonthResult:
    """The signals of a month (engine objects, sorted as the engine sorts them), where each
    signal's subject lives, and the delay of each holder."""

    period: str
    as_of: dt.datetime
    signals: list[Signal] = field(default_factory=list)
    #: signal key → task id (signals about one task)
    task_ids: dict[str, int] = field(default_factory=dict)
    #: signal key → "task", "person", "dossier" or "feedback"
    kinds: dict[str, str] = field(default_factory=dict)
    delays: list[DelayRow] = field(default_factory=list)
    thresholds: str = ""
    #: codes → ids of every unit and official, as read once for the computation
    unit_ids: dict[str, int] = field(default_factory=dict)
    official_ids: dict[str, int] = field(default_factory=dict)


def compute_month(*, period: str, as_of: dt.datetime) -> MonthResult:
    """Every signal raised in `period` by what was recorded by `as_of`, with the delays."""
    start, end = month_bounds(period)
    world = adapters.load_world(on=min(end, as_of.date()))
    calendar = adapters.calendar_for(start, as_of)
    result = MonthResult(period, as_of, thresholds=world.thresholds.version,
                         unit_ids=world.unit_ids, official_ids=world.official_ids)
    for _label, chunk in adapters.period_chunks(world, period_start=start, period_end=end,
                                                 as_of=as_of):
        found = detect_all(chunk.histories, calendar=calendar, period_start=start,
                           period_end=end, as_of=as_of, thresholds=world.thresholds,
                           authority=world.authority, people=world.people, tasks=chunk.facts)
        for signal in found:
            if signal.task is not None:
                result.task_ids[signal.key] = chunk.ids[signal.task]
            result.kinds[signal.key] = "task" if signal.task else "person"
        result.signals.extend(found)
        for code, history in chunk.histories.items():
            if not start <= history.due <= end:
                continue
            for holder, days in delay_by_holder(history, calendar, as_of).items():
                result.delays.append(DelayRow(chunk.ids[code], holder.unit, holder.official,
                                              days))
    for signal in citizen_signals(period_start=start, period_end=end, as_of=as_of):
        result.kinds[signal.key] = "dossier" if signal.code in {"S10", "S11"} else "feedback"
        result.signals.append(signal)
    result.signals.sort(key=lambda s: (int(s.code[1:]), s.task or "", s.raised_on, s.key))
    return result
