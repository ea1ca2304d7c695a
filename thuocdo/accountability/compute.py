"""Computing a month's signals and delays from the database (reads only; `services` stores).

One pass over the month's work, a top-level agency at a time (`adapters.chunk_ranges`,
`adapters.read_part`): the engine's detectors (`thuocdo.measure.signals.detect_all`) and the
working days of delay of each holder (for the tasks that belong to the month: original
deadline in it) on each part, the parts shared among worker processes
(`thuocdo.core.parallel`; the result does not depend on how many); then the citizens'
signals (S10, S11 and forwarded feedback for S3) once. `month_parts` gives each part's
result as it comes (`services.signals_refresh` stores it and lets it go); `compute_month`
gathers them all (the command prints them).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import itertools
import operator
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from thuocdo.citizens.adapters import citizen_signals
from thuocdo.core.errors import ServiceError
from thuocdo.core.parallel import parts_in_order
from thuocdo.core.periods import MONTH_REGEX
from thuocdo.measure.calendar import WorkCalendar
from thuocdo.measure.history import delay_by_holder
from thuocdo.measure.signals import Signal, detect_all, period_bounds

from . import adapters

MONTH = re.compile(MONTH_REGEX)


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


@dataclass(frozen=True)
class PartResult:
    """What one part of the computation raised: its signals, what each is about ("task",
    "person", "dossier" or "feedback", by key), the ids of their tasks, its delays."""

    signals: list[Signal]
    kinds: dict[str, str]
    task_ids: dict[str, int]
    delays: list[DelayRow]

    def __reduce__(self) -> tuple:
        """Pickled (from a worker to the parent) with each signal and delay as a plain tuple
        of its fields: pickled object by object, field by field, a part took longer to send
        and receive (about a tenth of the month's signals' pickling, measured)."""
        return (_part_from_values, ([_signal_values(s) for s in self.signals], self.kinds,
                                    self.task_ids, [_delay_values(d) for d in self.delays]))


#: the fields of a signal and of a delay row, in order (`PartResult.__reduce__`)
_SIGNAL_FIELDS = tuple(f.name for f in dataclasses.fields(Signal))
_signal_values = operator.attrgetter(*_SIGNAL_FIELDS)
_delay_values = operator.attrgetter(*(f.name for f in dataclasses.fields(DelayRow)))


def _part_from_values(signals: list[tuple], kinds: dict[str, str], task_ids: dict[str, int],
                      delays: list[tuple]) -> PartResult:
    """A `PartResult` from what `PartResult.__reduce__` sent (the signals' fields in order)."""
    return PartResult([Signal(*values) for values in signals], kinds, task_ids,
                      [DelayRow(*values) for values in delays])


@dataclass(frozen=True)
class Month:
    """What every part of a month's computation shares, for storing its results."""

    period: str
    as_of: dt.datetime
    #: the versions of the settings in force in the month (recorded on its new signals)
    thresholds: str
    authority: str
    #: codes → ids of every unit and official, as read once for the computation
    unit_ids: dict[str, int]
    official_ids: dict[str, int]


@dataclass
class MonthResult:
    """The signals of a month (engine objects, sorted as the engine sorts them), what each
    is about, and the delay of each holder: every part at once."""

    month: Month
    signals: list[Signal] = field(default_factory=list)
    #: signal key → "task", "person", "dossier" or "feedback"
    kinds: dict[str, str] = field(default_factory=dict)
    #: signal key → task id (signals about one task)
    task_ids: dict[str, int] = field(default_factory=dict)
    delays: list[DelayRow] = field(default_factory=list)


def compute_month(*, period: str, as_of: dt.datetime, workers: int | None = None
                  ) -> MonthResult:
    """Every signal raised in `period` by what was recorded by `as_of`, with the delays.
    `workers`: processes sharing the parts (default: the setting THUOCDO_WORKERS)."""
    with month_parts(period=period, as_of=as_of, workers=workers) as (month, parts):
        result = MonthResult(month)
        for part in parts:
            result.signals.extend(part.signals)
            result.kinds.update(part.kinds)
            result.task_ids.update(part.task_ids)
            result.delays.extend(part.delays)
    result.signals.sort(key=lambda s: (int(s.code[1:]), s.task or "", s.raised_on, s.key))
    return result


@contextmanager
def month_parts(*, period: str, as_of: dt.datetime, workers: int | None = None
                ) -> Iterator[tuple[Month, Iterator[PartResult]]]:
    """`compute_month` a part at a time: the month, and its parts' results as they come
    (the agencies in order, then the citizens' signals), each computed in a worker process
    or, without workers, when its turn comes. For storing each part and letting it go:
    the whole month's signals need not be held at once."""
    start, end = month_bounds(period)
    # The settings in force in the month: those in force on its last day, or on the day
    # computed while it runs (a new version never starts in a month already computed:
    # `services._first_uncomputed_month`), so a month computed again keeps its own.
    world = adapters.load_world(on=min(end, as_of.date()))
    calendar = adapters.calendar_for(start, as_of)
    month = Month(period, as_of, world.thresholds.version, world.authority.version,
                  world.unit_ids, world.official_ids)
    job = functools.partial(_compute_part, world=world, calendar=calendar, start=start,
                            end=end, as_of=as_of)
    ranges = [ranges for _label, ranges in adapters.chunk_ranges(world)]
    with parts_in_order(job, ranges, workers=workers) as results:
        yield month, itertools.chain(results, _citizens_part(start, end, as_of))


def _citizens_part(start: dt.date, end: dt.date, as_of: dt.datetime
                   ) -> Iterator[PartResult]:
    """The citizens' signals (S10, S11, forwarded feedback for S3), read when their turn
    comes."""
    signals = list(citizen_signals(period_start=start, period_end=end, as_of=as_of))
    kinds = {s.key: "dossier" if s.code in {"S10", "S11"} else "feedback" for s in signals}
    yield PartResult(signals, kinds, {}, [])


def _compute_part(ranges: tuple[tuple[int, int], ...], *, world: adapters.World,
                  calendar: WorkCalendar, start: dt.date, end: dt.date,
                  as_of: dt.datetime) -> PartResult:
    """The signals and delays of the work led in one part of the tree (`ranges`)."""
    chunk = adapters.read_part(world, ranges, period_start=start, period_end=end, as_of=as_of)
    if not chunk.histories:
        return PartResult([], {}, {}, [])
    found = detect_all(chunk.histories, calendar=calendar, period_start=start, period_end=end,
                       as_of=as_of, thresholds=world.thresholds, authority=world.authority,
                       people=world.people, tasks=chunk.facts)
    kinds: dict[str, str] = {}
    task_ids: dict[str, int] = {}
    for signal in found:
        key = signal.key  # a property that joins seven strings: once per signal
        kinds[key] = "person" if signal.task is None else "task"
        if signal.task is not None:
            task_ids[key] = chunk.ids[signal.task]
    delays = []
    for code, history in chunk.histories.items():
        if not start <= history.due <= end:
            continue
        for holder, days in delay_by_holder(history, calendar, as_of).items():
            delays.append(DelayRow(chunk.ids[code], holder.unit, holder.official, days))
    return PartResult(found, kinds, task_ids, delays)
