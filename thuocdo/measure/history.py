"""Facts derived from a task's event log: when it was done, its deadlines, its delays, who
held it when, and its reporting bucket (domain.md, "The event log", "Reporting buckets",
"Scoring officials").

Pure: the caller passes the history, the working-day calendar and `as_of`; nothing here
reads a clock or a database. Datetimes must be aware; a deadline is the end of its day in
Asia/Ho_Chi_Minh.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from .calendar import WorkCalendar

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


class Bucket(enum.StrEnum):
    """The four reporting buckets of the Government Office's task tracker."""

    DONE_ON_TIME = "done_on_time"
    DONE_LATE = "done_late"
    OPEN_WITHIN_DEADLINE = "open_within_deadline"
    OPEN_OVERDUE = "open_overdue"


@dataclass(frozen=True)
class Holder:
    """Who holds the work: a unit and, when known, one official in it."""

    unit: str
    official: str | None = None


@dataclass(frozen=True)
class Event:
    """One row of the log, as the engine needs it. `data` carries the kind's extra fields
    (exchange-format names: `new_due`, `to_unit`, `to_official`, `major_error`, ...)."""

    kind: str
    at: dt.datetime
    actor: str | None = None
    data: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class TaskHistory:
    """A task's assignment and its events in order of time."""

    code: str
    assigned_at: dt.datetime
    due: dt.date
    lead: Holder
    assigner: Holder
    events: Sequence[Event] = ()


@dataclass(frozen=True)
class Delay:
    """One deadline in force that passed while the work was open (domain.md: a delay)."""

    deadline: dt.date
    #: the event that ended this deadline's reign late: an extension granted after it,
    #: the accepted submit, or None while the task is still open past it
    settled_by: int | None
    workdays_late: int
    excused_by: int | None = None


@dataclass(frozen=True)
class Interval:
    """The work sat with `holder` from `start` to `end` (None: still there)."""

    holder: Holder
    start: dt.datetime
    end: dt.datetime | None
    #: index of the event that started the interval (None: the assignment)
    started_by: int | None
    workdays: int = 0
    workdays_overdue: int = 0


def end_of_day(day: dt.date) -> dt.datetime:
    """A deadline day ends at midnight, Vietnam time: work handed in that day is on time."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0, 0), tzinfo=VIETNAM)


def local_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(VIETNAM).date()


def _ordered(history: TaskHistory) -> list[tuple[int, Event]]:
    """Events with their index in the log, by time (stable for equal times)."""
    return sorted(enumerate(history.events), key=lambda pair: (pair[1].at, pair[0]))


def done_event(history: TaskHistory) -> int | None:
    """Index of the submit accepted by the final approve (None: not done).

    A rework sends the product back, so only the last submit before the final approve counts.
    A cancel closes the task without it being done.
    """
    pending_submit: int | None = None
    done: int | None = None
    for index, event in _ordered(history):
        if event.kind == "submit":
            pending_submit = index
        elif event.kind == "rework":
            pending_submit = None
            done = None
        elif event.kind == "approve" and pending_submit is not None:
            done = pending_submit
        elif event.kind == "cancel":
            return None
    return done


def done_at(history: TaskHistory) -> dt.datetime | None:
    index = done_event(history)
    return history.events[index].at if index is not None else None


def is_cancelled(history: TaskHistory) -> bool:
    return any(event.kind == "cancel" for event in history.events)


def _closed_at(history: TaskHistory) -> dt.datetime | None:
    """When the work stopped being open: its accepted submit, or its cancellation."""
    done = done_at(history)
    if done is not None:
        return done
    for event in history.events:
        if event.kind == "cancel":
            return event.at
    return None


def deadline_in_force(history: TaskHistory, as_of: dt.datetime) -> dt.date:
    """The deadline after every extension granted up to `as_of`."""
    deadline = history.due
    for _index, event in _ordered(history):
        if event.at > as_of:
            break
        if event.kind == "extension_grant":
            deadline = _as_date(event.data["new_due"])
    return deadline


def delays(
    history: TaskHistory, calendar: WorkCalendar, as_of: dt.datetime
) -> list[Delay]:
    """Every deadline in force that passed while the work was open, up to `as_of`.

    Missing the original deadline is one delay; an extension granted after a deadline was
    missed sets a new deadline, and missing that is another. An extension granted before its
    deadline is not a delay. Each `excuse_delay` event excuses the earliest delay not yet
    excused (a competent level confirmed an objective cause).
    """
    closed = _closed_at(history)
    horizon = min(as_of, closed) if closed is not None else as_of
    deadline = history.due
    found: list[Delay] = []
    excuses: list[int] = []
    for index, event in _ordered(history):
        if event.at > as_of:
            break
        if event.kind == "excuse_delay":
            # A competent level often confirms the objective cause after the work was handed
            # in: an excuse counts whenever it was given, up to `as_of`.
            excuses.append(index)
        elif event.kind == "extension_grant" and event.at <= horizon:
            if event.at >= end_of_day(deadline):
                found.append(Delay(deadline, index,
                                   calendar.workdays_between(deadline, local_day(event.at))))
            deadline = _as_date(event.data["new_due"])
    if horizon >= end_of_day(deadline):
        settled = done_event(history) if closed is not None and closed <= as_of else None
        found.append(Delay(deadline, settled,
                           calendar.workdays_between(deadline, local_day(horizon))))
    # Excuses apply to the earliest delays first, in the order they were given.
    result = []
    for delay in found:
        excused = excuses.pop(0) if excuses else None
        result.append(Delay(delay.deadline, delay.settled_by, delay.workdays_late, excused))
    return result


def bucket(history: TaskHistory, as_of: dt.datetime) -> Bucket | None:
    """The reporting bucket on `as_of` (None: cancelled, or not yet assigned)."""
    if history.assigned_at > as_of:
        return None
    done = done_at(history)
    deadline = deadline_in_force(history, as_of)
    if done is not None and done <= as_of:
        # Late means after the deadline in force when it was done.
        in_force = deadline_in_force(history, done)
        return Bucket.DONE_LATE if done >= end_of_day(in_force) else Bucket.DONE_ON_TIME
    if is_cancelled(history) and any(
        e.kind == "cancel" and e.at <= as_of for e in history.events
    ):
        return None
    return Bucket.OPEN_OVERDUE if as_of >= end_of_day(deadline) else Bucket.OPEN_WITHIN_DEADLINE


#: Kinds that hand the work to someone else, and how to find the new holder.
def _next_holder(event: Event, current: Holder, history: TaskHistory,
                 before_submit: Holder | None) -> Holder | None:
    data = event.data
    if event.kind in {"transfer", "return"}:
        return Holder(str(data["to_unit"]), _opt(data.get("to_official")))
    if event.kind == "guidance_request":
        # Waiting for a superior's opinion: the step is theirs until they answer.
        return Holder(str(data.get("to_unit") or current.unit), _opt(data.get("to_official")))
    if event.kind == "guidance_reply":
        return before_submit
    if event.kind == "submit":
        return history.assigner
    if event.kind == "rework":
        return before_submit
    return None


def holder_intervals(
    history: TaskHistory, calendar: WorkCalendar, as_of: dt.datetime
) -> list[Interval]:
    """Who held the work from when to when, with the working days of each interval and the
    working days of it that fell after the deadline in force (the delay that step caused).

    The work starts with the lead; transfers and returns move it; a guidance request hands
    the step to the superior asked until the reply; a submit hands it to the assigner for
    review until approval or rework (which hands it back). It stops at the accepted submit
    or a cancellation.
    """
    closed = _closed_at(history)
    horizon = min(as_of, closed) if closed is not None else as_of
    intervals: list[Interval] = []
    holder = history.lead
    start = history.assigned_at
    started_by: int | None = None
    resume: Holder | None = None  # who gets the work back after a review or an answer
    for index, event in _ordered(history):
        if event.at > horizon:
            break
        new = _next_holder(event, holder, history, resume)
        if event.kind in {"guidance_request", "submit"}:
            resume = holder
        if new is None or new == holder:
            continue
        intervals.append(_interval(history, calendar, holder, start, event.at, started_by))
        holder, start, started_by = new, event.at, index
    end = closed if closed is not None and closed <= as_of else None
    if end is not None and start == end and intervals:
        # The closing event itself handed the work on (a submit): nothing was held after it.
        return intervals
    intervals.append(_interval(history, calendar, holder, start, end or horizon, started_by,
                               open_end=end is None))
    return intervals


def _interval(history, calendar, holder, start, end, started_by, *, open_end=False) -> Interval:
    first, last = local_day(start), local_day(end)
    days = calendar.workdays_between(first, last)
    # Overdue working days: those after the deadline in force at the interval's end.
    deadline = deadline_in_force(history, end)
    overdue_from = max(first, deadline)
    overdue = calendar.workdays_between(overdue_from, last) if last > deadline else 0
    return Interval(holder, start, None if open_end else end, started_by, days, overdue)


def delay_by_holder(
    history: TaskHistory, calendar: WorkCalendar, as_of: dt.datetime
) -> dict[Holder, int]:
    """Working days of delay attributed to each holder (whose step each late day was)."""
    result: dict[Holder, int] = {}
    for interval in holder_intervals(history, calendar, as_of):
        if interval.workdays_overdue:
            result[interval.holder] = result.get(interval.holder, 0) + interval.workdays_overdue
    return result


def _as_date(value: object) -> dt.date:
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _opt(value: object) -> str | None:
    return None if value in (None, "") else str(value)
