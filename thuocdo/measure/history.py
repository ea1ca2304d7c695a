"""Facts derived from a task's event log: when it was done, its deadlines, its delays, who
held it when, and its reporting bucket (domain.md, "The event log", "Reporting buckets",
"Scoring officials").

Pure: the caller passes the history, the working-day calendar and `as_of`; nothing here
reads a clock or a database. Datetimes must be aware; a deadline is the end of its day in
Asia/Ho_Chi_Minh.
"""

from __future__ import annotations

import bisect
import datetime as dt
import enum
import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
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


@dataclass(frozen=True, slots=True)
class Event:
    """One row of the log, as the engine needs it. `data` carries the kind's extra fields
    (exchange-format names: `new_due`, `to_unit`, `to_official`, `major_error`, ...)."""

    kind: str
    at: dt.datetime
    actor: str | None = None
    data: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class TaskHistory:
    """A task's assignment and its events in order of time. Immutable: `events` is kept as
    a tuple, so what is derived from it once (`log_facts`) stays true."""

    code: str
    assigned_at: dt.datetime
    due: dt.date
    lead: Holder
    assigner: Holder
    events: Sequence[Event] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.events, tuple):
            object.__setattr__(self, "events", tuple(self.events))


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


@functools.lru_cache(maxsize=4096)
def end_of_day(day: dt.date) -> dt.datetime:
    """A deadline day ends at midnight, Vietnam time: work handed in that day is on time."""
    # Cached: asked for every event of every task, about a few hundred distinct days.
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0, 0), tzinfo=VIETNAM)


#: local days of UTC moments already converted (`local_day`): a month's events fall on a
#: few tens of thousands of distinct minutes, each converted millions of times otherwise
_LOCAL_DAYS: dict[dt.datetime, dt.date] = {}
_LOCAL_DAYS_KEPT = 200_000


def local_day(moment: dt.datetime) -> dt.date:
    """The day in Vietnam of `moment`. Remembered for UTC moments (as read from the
    database): equal UTC moments are the same instant, so the same day."""
    if moment.tzinfo is not dt.UTC:
        return moment.astimezone(VIETNAM).date()
    day = _LOCAL_DAYS.get(moment)
    if day is None:
        if len(_LOCAL_DAYS) >= _LOCAL_DAYS_KEPT:
            _LOCAL_DAYS.clear()
        day = _LOCAL_DAYS[moment] = moment.astimezone(VIETNAM).date()
    return day


class LogFacts:
    """What is read from one history again and again, derived once (`log_facts`).

    Every detector, the delays and the holders' intervals ask the same questions of a log
    (its events by time, the accepted submit, when the work closed, the deadline in force at
    a moment, each event's local day, the events of a kind); asked of a month's hundreds of
    thousands of tasks, answering each from the raw log every time cost more than all the
    rest. The answers are the same as reading the log directly (tested).
    """

    __slots__ = ("_by_kind", "_grant_dues", "_grant_times", "_intervals", "assigned_day",
                 "cancels", "closed_at", "days", "done", "done_at", "in_order", "ordered")

    def __init__(self, history: TaskHistory) -> None:
        events = history.events
        days: list[dt.date] = []
        by_kind: dict[str, list[tuple[int, Event]]] = {}
        in_order, previous = True, None
        known, utc = _LOCAL_DAYS, dt.UTC
        for pair in enumerate(events):  # one pass: a month's logs hold millions of events
            at = pair[1].at
            if previous is not None and at < previous:
                in_order = False
            previous = at
            day = known.get(at) if at.tzinfo is utc else None
            days.append(day if day is not None else local_day(at))
            found = by_kind.get(pair[1].kind)
            if found is None:
                by_kind[pair[1].kind] = [pair]
            else:
                found.append(pair)
        #: whether the log is in order of time (each event at or after the one before)
        self.in_order = in_order
        #: (index in the log, event) by time, stable for equal times
        self.ordered = tuple(enumerate(events)) if in_order else tuple(
            sorted(enumerate(events), key=lambda pair: (pair[1].at, pair[0])))
        #: each event's day in Vietnam, by index in the log
        self.days = days
        self.assigned_day = local_day(history.assigned_at)
        self._by_kind = by_kind
        #: times of the cancellations, in log order
        self.cancels = [event.at for _index, event in by_kind.get("cancel", ())]
        #: the index of the submit accepted by the final approve (see `done_event`)
        self.done = self._done_event()
        self.done_at = events[self.done].at if self.done is not None else None
        #: when the work stopped being open: its accepted submit, or its (first) cancellation
        self.closed_at = self.done_at if self.done_at is not None else (
            self.cancels[0] if self.cancels else None)
        grants = ([event for _index, event in by_kind.get("extension_grant", ())] if in_order
                  else [event for _index, event in self.ordered
                        if event.kind == "extension_grant"])
        self._grant_times = [event.at for event in grants]
        self._grant_dues = [_as_date(event.data["new_due"]) for event in grants]
        self._intervals: dict[tuple[WorkCalendar, dt.datetime], tuple[Interval, ...]] = {}

    def _done_event(self) -> int | None:
        pending_submit: int | None = None
        done: int | None = None
        for index, event in self.ordered:
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

    def of_kind(self, kind: str) -> Sequence[tuple[int, Event]]:
        """The events of `kind` with their index in the log, in log order."""
        return self._by_kind.get(kind, ())

    def of_kinds(self, kinds: Iterable[str]) -> list[tuple[int, Event]]:
        """The events of any of `kinds` with their index in the log, in log order."""
        found = [pair for kind in kinds for pair in self._by_kind.get(kind, ())]
        if len(found) > 1:
            found.sort(key=lambda pair: pair[0])
        return found

    def deadline_in_force(self, due: dt.date, moment: dt.datetime) -> dt.date:
        """`due` moved by the last extension granted at or before `moment`."""
        granted = bisect.bisect_right(self._grant_times, moment)
        return self._grant_dues[granted - 1] if granted else due


def log_facts(history: TaskHistory) -> LogFacts:
    """The history's `LogFacts`, derived on first use and kept with it (a cache, not part of
    its value: equality, `replace()` and `asdict()` ignore it)."""
    try:
        return history._log_facts  # type: ignore[attr-defined]
    except AttributeError:
        facts = LogFacts(history)
        object.__setattr__(history, "_log_facts", facts)
        return facts


def done_event(history: TaskHistory) -> int | None:
    """Index of the submit accepted by the final approve (None: not done).

    A rework sends the product back, so only the last submit before the final approve counts.
    A cancel closes the task without it being done.
    """
    return log_facts(history).done


def done_at(history: TaskHistory) -> dt.datetime | None:
    return log_facts(history).done_at


def is_cancelled(history: TaskHistory) -> bool:
    return bool(log_facts(history).cancels)


def closed_at(history: TaskHistory) -> dt.datetime | None:
    """When the work stopped being open: its accepted submit, or its cancellation."""
    return log_facts(history).closed_at


def deadline_in_force(history: TaskHistory, as_of: dt.datetime) -> dt.date:
    """The deadline after every extension granted up to `as_of`."""
    return log_facts(history).deadline_in_force(history.due, as_of)


def delays(
    history: TaskHistory, calendar: WorkCalendar, as_of: dt.datetime, *,
    excuses_any_time: bool = False,
) -> list[Delay]:
    """Every deadline in force that passed while the work was open, up to `as_of`.

    Missing the original deadline is one delay; an extension granted after a deadline was
    missed sets a new deadline, and missing that is another. An extension granted before its
    deadline is not a delay. Each `excuse_delay` event excuses the earliest delay not yet
    excused (a competent level confirmed an objective cause): given up to `as_of`, or with
    `excuses_any_time` whenever it was given (scoring: a delay found at a period's close and
    excused after it is excused, domain.md setting no time limit; the period's cards are
    computed again until they are approved).

    Work handed in and waiting for review on `as_of` is counted as of its hand-in: approved,
    it is done then (domain.md: the accepted submit is when it was done), so the review's
    days are nobody's delay. Handed in by the deadline in force, it has no delay (as
    `bucket` keeps it within its deadline); handed in late, the delay is settled by that
    submit and counted up to its day.
    """
    facts = log_facts(history)
    closed = facts.closed_at
    horizon = min(as_of, closed) if closed is not None else as_of
    if horizon < end_of_day(history.due) and not facts.of_kind("extension_grant"):
        return []  # no deadline but the original, not passed while open (most work)
    pending = pending_submit(facts, as_of) if closed is None or closed > as_of else None
    if pending is not None:
        horizon = min(horizon, history.events[pending].at)
    deadline = history.due
    found: list[Delay] = []
    excuses: list[int] = []
    # Only excuses and grants count: in a log in order of time, those in log order are
    # those of `ordered` (most logs hold none).
    read = (facts.of_kinds(_DELAY_KINDS) if facts.in_order else facts.ordered)
    for index, event in read:
        if event.at > as_of and not excuses_any_time:
            break
        if event.kind == "excuse_delay":
            # A competent level often confirms the objective cause after the work was handed
            # in: an excuse counts whenever it was given, up to `as_of` (or at any time).
            excuses.append(index)
        elif event.kind == "extension_grant" and event.at <= horizon:
            if event.at >= end_of_day(deadline):
                found.append(Delay(deadline, index,
                                   calendar.workdays_between(deadline, facts.days[index])))
            deadline = _as_date(event.data["new_due"])
    if horizon >= end_of_day(deadline):
        settled = facts.done if closed is not None and closed <= as_of else pending
        found.append(Delay(deadline, settled,
                           calendar.workdays_between(deadline, local_day(horizon))))
    # Excuses apply to the earliest delays first, in the order they were given.
    result = []
    for delay in found:
        excused = excuses.pop(0) if excuses else None
        result.append(Delay(delay.deadline, delay.settled_by, delay.workdays_late, excused))
    return result


#: the kinds of event `delays` reads
_DELAY_KINDS = ("excuse_delay", "extension_grant")


def done_late(history: TaskHistory) -> bool | None:
    """Whether the work was done late (None: not done): it counts at least one delay.

    That is, it was handed in after the deadline in force, or a deadline passed before an
    extension moved it: an extension granted after its deadline does not make the work on
    time (`delays`: missing that deadline is a delay, whatever came after).
    """
    facts = log_facts(history)
    done = facts.done_at
    if done is None:
        return None
    deadline = history.due
    for _index, event in facts.ordered:
        if event.at > done:
            break
        if event.kind == "extension_grant":
            if event.at >= end_of_day(deadline):
                return True
            deadline = _as_date(event.data["new_due"])
    return done >= end_of_day(deadline)


def bucket(history: TaskHistory, as_of: dt.datetime) -> Bucket | None:
    """The reporting bucket on `as_of` (None: cancelled, or not yet assigned). Open work
    past its deadline in force is overdue, unless it was handed in by that deadline and
    waits for review (`handed_in_on_time`): approved, it will be done on time."""
    if history.assigned_at > as_of:
        return None
    done = done_at(history)
    deadline = deadline_in_force(history, as_of)
    if done is not None and done <= as_of:
        return Bucket.DONE_LATE if done_late(history) else Bucket.DONE_ON_TIME
    if any(cancelled <= as_of for cancelled in log_facts(history).cancels):
        return None
    if as_of >= end_of_day(deadline) and not handed_in_on_time(history, as_of):
        return Bucket.OPEN_OVERDUE
    return Bucket.OPEN_WITHIN_DEADLINE


def handed_in_on_time(history: TaskHistory, as_of: dt.datetime) -> bool:
    """On `as_of`, the work waits for review (its last submit is answered by no rework or
    approval yet) and that submit was made on or before the day of the deadline in force.
    The same rule as the task lists' SQL (`tasks.selectors.waiting_review_on_time_q`)."""
    facts = log_facts(history)
    pending = pending_submit(facts, as_of)
    return pending is not None and facts.days[pending] <= deadline_in_force(history, as_of)


def pending_submit(facts: LogFacts, as_of: dt.datetime) -> int | None:
    """The index of the submit waiting for review on `as_of`: the last one up to then that
    no rework or approval answered yet (None: nothing waits)."""
    pending: int | None = None
    events = facts.of_kinds(_REVIEW_KINDS) if facts.in_order else facts.ordered
    for index, event in events:
        if event.at > as_of:
            break
        if event.kind == "submit":
            pending = index
        elif event.kind in ("rework", "approve"):
            pending = None
    return pending


#: the kinds of event `pending_submit` reads
_REVIEW_KINDS = ("submit", "rework", "approve")


#: the kinds of event `_next_holder` may hand the work on for (or remember a holder for)
_HANDING_KINDS = frozenset({"transfer", "return", "guidance_request", "guidance_reply",
                            "submit", "rework"})


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
    or a cancellation. Work waiting for review on `as_of` is counted as of its hand-in, as
    `delays` counts it: the intervals from the pending submit on have no overdue days.
    Remembered per calendar and `as_of` (`log_facts`): the detectors and the delay summary
    all ask.
    """
    return list(intervals_of(history, calendar, as_of))


def intervals_of(history: TaskHistory, calendar: WorkCalendar, as_of: dt.datetime
                 ) -> tuple[Interval, ...]:
    """`holder_intervals`, as the tuple remembered for the history (no copy: for the
    detectors, which ask many times and only read)."""
    facts = log_facts(history)
    key = (calendar, as_of)
    found = facts._intervals.get(key)
    if found is None:
        found = facts._intervals[key] = tuple(_holder_intervals(history, facts, calendar,
                                                                as_of))
    return found


def _holder_intervals(history: TaskHistory, facts: LogFacts, calendar: WorkCalendar,
                      as_of: dt.datetime) -> list[Interval]:
    closed = facts.closed_at
    horizon = min(as_of, closed) if closed is not None else as_of
    intervals: list[Interval] = []
    holder = history.lead
    start = history.assigned_at
    started_by: int | None = None
    resume: Holder | None = None  # who gets the work back after a review or an answer
    for index, event in facts.ordered:
        if event.at > horizon:
            break
        if event.kind not in _HANDING_KINDS:
            continue  # no new holder, nobody to resume (`_next_holder`)
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
    pending = pending_submit(facts, as_of) if end is None else None
    if pending is not None:
        # Work waiting for review counts as of its hand-in (`delays`): the review's days are
        # nobody's delay, unless a rework sends it back (then they are the reviewer's).
        # The hand-in need not start an interval (work handed in to the one who holds it,
        # e.g. a head who leads work they assigned): one that spans it counts up to it.
        handed_in = history.events[pending].at
        intervals = [
            replace(i, workdays_overdue=0) if i.start >= handed_in
            else replace(i, workdays_overdue=_interval(
                history, calendar, i.holder, i.start, handed_in, i.started_by
            ).workdays_overdue) if i.end is None or i.end > handed_in
            else i
            for i in intervals]
    return intervals


def _interval(history, calendar, holder, start, end, started_by, *, open_end=False) -> Interval:
    first, last = local_day(start), local_day(end)
    days = calendar.workdays_between(first, last)
    # Overdue working days: those after the deadline in force on that day. An extension
    # granted within the interval splits it: the days before the grant are measured against
    # the deadline it replaced (a grant after that deadline does not undo the days missed).
    facts = log_facts(history)
    overdue = 0
    piece_first = first
    deadline = facts.deadline_in_force(history.due, start)
    for index, event in facts.of_kind("extension_grant"):
        if not start < event.at <= end:
            continue
        piece_last = facts.days[index]
        if piece_last > deadline:
            overdue += calendar.workdays_between(max(piece_first, deadline), piece_last)
        piece_first, deadline = piece_last, _as_date(event.data["new_due"])
    if last > deadline:
        overdue += calendar.workdays_between(max(piece_first, deadline), last)
    return Interval(holder, start, None if open_end else end, started_by, days, overdue)


def delay_by_holder(
    history: TaskHistory, calendar: WorkCalendar, as_of: dt.datetime
) -> dict[Holder, int]:
    """Working days of delay attributed to each holder (whose step each late day was)."""
    result: dict[Holder, int] = {}
    for interval in intervals_of(history, calendar, as_of):
        if interval.workdays_overdue:
            result[interval.holder] = result.get(interval.holder, 0) + interval.workdays_overdue
    return result


def _as_date(value: object) -> dt.date:
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _opt(value: object) -> str | None:
    return None if value in (None, "") else str(value)
