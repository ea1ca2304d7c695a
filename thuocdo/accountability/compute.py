"""Computing a month's signals and delays from the database (reads only; `services` stores).

One pass over the month's work, a top-level agency at a time (`adapters.chunk_ranges`,
`adapters.read_part`): the engine's detectors (`thuocdo.measure.signals.detect_all`) and the
working days of delay of each holder (for the tasks that belong to the month: original
deadline in it) on each part, the parts shared among worker processes
(`thuocdo.core.parallel`; the result does not depend on how many); then the citizens'
signals (S10, S11 and forwarded feedback for S3) once.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from thuocdo.citizens.adapters import citizen_signals
from thuocdo.core.errors import ServiceError
from thuocdo.core.parallel import run_parts
from thuocdo.measure.calendar import WorkCalendar
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


@dataclass(frozen=True)
class PartResult:
    """What one part of the tree raised: its signals, the ids of their tasks, its delays."""

    signals: list[Signal]
    task_ids: dict[str, int]
    delays: list[DelayRow]


def compute_month(*, period: str, as_of: dt.datetime, workers: int | None = None
                  ) -> MonthResult:
    """Every signal raised in `period` by what was recorded by `as_of`, with the delays.
    `workers`: processes sharing the parts (default: the setting THUOCDO_WORKERS)."""
    start, end = month_bounds(period)
    world = adapters.load_world(on=min(end, as_of.date()))
    calendar = adapters.calendar_for(start, as_of)
    result = MonthResult(period, as_of, thresholds=world.thresholds.version,
                         unit_ids=world.unit_ids, official_ids=world.official_ids)
    job = functools.partial(_compute_part, world=world, calendar=calendar, start=start,
                            end=end, as_of=as_of)
    for part in run_parts(job, [ranges for _label, ranges in adapters.chunk_ranges(world)],
                          workers=workers):
        for signal in part.signals:
            result.kinds[signal.key] = "task" if signal.task else "person"
        result.task_ids.update(part.task_ids)
        result.signals.extend(part.signals)
        result.delays.extend(part.delays)
    for signal in citizen_signals(period_start=start, period_end=end, as_of=as_of):
        result.kinds[signal.key] = "dossier" if signal.code in {"S10", "S11"} else "feedback"
        result.signals.append(signal)
    result.signals.sort(key=lambda s: (int(s.code[1:]), s.task or "", s.raised_on, s.key))
    return result


def _compute_part(ranges: tuple[tuple[int, int], ...], *, world: adapters.World,
                  calendar: WorkCalendar, start: dt.date, end: dt.date,
                  as_of: dt.datetime) -> PartResult:
    """The signals and delays of the work led in one part of the tree (`ranges`)."""
    chunk = adapters.read_part(world, ranges, period_start=start, period_end=end, as_of=as_of)
    if not chunk.histories:
        return PartResult([], {}, [])
    found = detect_all(chunk.histories, calendar=calendar, period_start=start, period_end=end,
                       as_of=as_of, thresholds=world.thresholds, authority=world.authority,
                       people=world.people, tasks=chunk.facts)
    task_ids = {signal.key: chunk.ids[signal.task] for signal in found
                if signal.task is not None}
    delays = []
    for code, history in chunk.histories.items():
        if not start <= history.due <= end:
            continue
        for holder, days in delay_by_holder(history, calendar, as_of).items():
            delays.append(DelayRow(chunk.ids[code], holder.unit, holder.official, days))
    return PartResult(found, task_ids, delays)
