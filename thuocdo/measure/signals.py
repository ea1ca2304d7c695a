"""Signals of avoidance and buck-passing (dấu hiệu né tránh, đùn đẩy), read from the log.

Hanoi's Directive 24-CT/TU (7/8/2023) and its appendix of indicators ask for a measure that
shows, early, where work is late, stuck, pushed sideways or upwards, and whose step it was
(domain.md, "Signals of avoidance and buck-passing"). Each observable indicator is one
function here, named for what it sees, taking a `Context` and yielding `Signal`s:

    S1 late_work  S2 extension_habit  S3 ping_pong  S4 pushing_up  S5 slow_opinion
    S6 no_position  S7 stretching  S8 silence  S9 deaf_to_reminders  S12 half_hearted
    S13 not_proposing

S10–S11 (dossiers) plug in the same way: a function `(Context) -> Iterable[Signal]` added to
`DETECTORS`. S14–S15 are not computed: an inspector, the organisation board or an
administrator records them by hand (`thuocdo.accountability.services.signal_record`).

**Which period a signal belongs to.** Each signal has a `raised_on` day and belongs to the
period that contains it. `raised_on` is the day of the event that raised the signal; for a
deadline that passed (S1, S5) it is the deadline's day (as a task belongs to the period of its
deadline, domain.md "Scoring officials"); for a stretch of time without something happening
(S8, S13) it is the last working day of that stretch; for a comparison over the period (S12)
it is the period's last day (or `as_of`, if earlier). A signal is reported only once what
raised it has happened by `as_of`, so a period's signals never change except by new events.

**Event numbers.** `Signal.events` holds indexes into the task's log (`TaskHistory.events`,
from 0, as `Interval.started_by` and `Delay.settled_by`), or `(task, index)` pairs for a
signal about a person across tasks. Explanations show them as on the task page, where the
assignment is #1: index i is "#{i + 2}" (`event_number`).

Pure: no clock, no database; the caller passes the histories, the calendar, the people, the
authority matrix, the thresholds and `as_of`. Task logs must be in order of time (the
workflow refuses an event dated before the previous one).
"""

from __future__ import annotations

import bisect
import datetime as dt
import decimal
import functools
import operator
import statistics
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from fractions import Fraction
from types import MappingProxyType

from .calendar import WorkCalendar
from .history import (
    Event,
    Holder,
    Interval,
    TaskHistory,
    closed_at,
    deadline_in_force,
    delays,
    done_event,
    end_of_day,
    holder_intervals,
    intervals_of,
    local_day,
    log_facts,
)
from .scenario import People, TaskFacts

#: How each signal is established (domain.md's table): computed, computed then confirmed by a
#: person, flagged by a person, or recorded by inspectors.
KINDS: Mapping[str, str] = MappingProxyType({
    "S1": "auto", "S2": "auto", "S3": "auto", "S4": "auto+confirm", "S5": "auto",
    "S6": "confirm", "S7": "auto+confirm", "S8": "auto", "S9": "auto", "S10": "auto",
    "S11": "auto", "S12": "auto+confirm", "S13": "auto+confirm", "S14": "manual",
    "S15": "manual",
})

#: Events that put a draft or a proposal on the table (S13): the product handed in, a
#: superior asked for guidance on a draft, another unit consulted on it.
PROPOSING_KINDS = frozenset({"submit", "guidance_request", "consult"})

#: Events that move the work to another holder sideways (S3).
MOVING_KINDS = frozenset({"transfer", "return"})


# -- settings ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Thresholds:
    """The numbers behind the signals: a versioned setting, in force from `effective_from`.

    Defaults come from issue 4 where it names one (S2, S3, S8, S9); the others are this
    engine's choice, documented here, and a setting.
    """

    version: str = "2026.1"
    effective_from: dt.date = dt.date(2026, 1, 1)  # Decree 335/2025/NĐ-CP in force
    #: S2: extension requests on one task, or by one person in the period, that raise it.
    extension_requests: int = 2
    #: S3: hand-offs (transfers and returns) of one task that raise it, whatever the holders.
    transfers: int = 3
    #: S7: a task's share of time waiting on consultations, at least `waiting_ratio` × the
    #: median share of its peers' tasks and at least `waiting_min_share` of its own time,
    #: compared only when `waiting_min_peers` peer tasks were done in the period.
    waiting_ratio: Fraction = Fraction(2)
    waiting_min_share: Fraction = Fraction(3, 10)
    waiting_min_peers: int = 3
    #: S8: working days without any event on open work.
    silence_workdays: int = 5
    #: S9: reminders given while the work was overdue.
    reminders: int = 3
    #: S12: converted output below `output_fraction` × the median of the task group's other
    #: officials (of the same agency), compared only with `output_min_peers` such officials.
    output_fraction: Fraction = Fraction(1, 2)
    output_min_peers: int = 3
    #: S13: working days from assignment (or from a transfer or return to a new holder) to a
    #: first draft or proposal: `proposal_workdays`, or `proposal_share` of the working days
    #: the task allows (assignment to original deadline, rounded up), whichever is fewer, ≥ 1.
    proposal_workdays: int = 10
    proposal_share: Fraction = Fraction(1, 2)

    def __post_init__(self) -> None:
        for name in ("waiting_ratio", "waiting_min_share", "output_fraction", "proposal_share"):
            object.__setattr__(self, name, Fraction(str(getattr(self, name))))

    def as_dict(self) -> dict[str, object]:
        """The setting as plain JSON values (fractions as decimal strings)."""
        result: dict[str, object] = {}
        for key, value in asdict(self).items():
            if isinstance(value, Fraction):
                value = str(float(value))
            elif isinstance(value, dt.date):
                value = value.isoformat()
            result[key] = value
        return result


def thresholds_in_force(versions: Iterable[Thresholds], day: dt.date) -> Thresholds:
    """The version in force on `day` (the latest `effective_from` not after it); the
    defaults when none is."""
    found = [t for t in versions if t.effective_from <= day]
    return max(found, key=lambda t: (t.effective_from, t.version)) if found else Thresholds()


@dataclass(frozen=True)
class Competence:
    """One row of the authority matrix: officials in `position` decide matters of `priority`
    on `product` themselves ("*": any product)."""

    position: str
    priority: str
    product: str = "*"


@dataclass(frozen=True)
class AuthorityMatrix:
    """Which positions may decide which kinds of matters themselves (thẩm quyền tự quyết).

    A matter is a task's priority (`normal`, `urgent`, `collective`) and its product. Asking a
    superior for guidance on a matter one may decide oneself is pushing work up (S4). A
    setting in versions, each in force from a day, as the thresholds are (stored in
    `accountability`; a month is computed with the version in force in it); the default:
    staff decide normal matters of the products they are given; heads and deputies decide
    normal and urgent matters; collective matters (`collective`, decided by the leadership
    collective) are nobody's alone.
    """

    rows: frozenset[Competence]
    version: str = "2026.1"

    @classmethod
    def default(cls) -> AuthorityMatrix:
        return cls(frozenset({
            Competence("staff", "normal"),
            Competence("deputy", "normal"), Competence("deputy", "urgent"),
            Competence("head", "normal"), Competence("head", "urgent"),
        }))

    @classmethod
    def from_rows(cls, rows: Iterable[Mapping[str, str]], version: str = "") -> AuthorityMatrix:
        """From `{"position", "priority", "product"?}` records (a settings table)."""
        return cls(frozenset(Competence(r["position"], r["priority"], r.get("product") or "*")
                             for r in rows), version or cls.version)

    def to_rows(self) -> list[dict[str, str]]:
        return [asdict(c) for c in sorted(self.rows, key=lambda c: (c.position, c.priority,
                                                                     c.product))]

    def may_decide(self, position: str | None, priority: str, product: str | None) -> bool:
        if position is None:
            return False
        return any(c.position == position and c.priority == priority
                   and c.product in ("*", product) for c in self.rows)


# -- the signal ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Signal:
    """One observed sign of avoidance or buck-passing, to be answered: the leader asks for an
    explanation, the person or unit named answers, the leader accepts it or confirms a breach.

    Slotted: a city's month raises 1.4 million of them (128 bytes each, not 176 with a
    dictionary of fields).
    """

    code: str  # S1 … S15
    task: str | None  # None: about a person across tasks (S2 per person, S12)
    official: str | None  # None: about a unit (work held by a unit, a consulted unit, …)
    unit: str
    period: str  # the label of the period that contains `raised_on` ("2026-10")
    raised_on: dt.date
    #: indexes in the task's log, or (task, index) pairs when `task` is None
    events: tuple[int, ...] | tuple[tuple[str, int], ...]
    explanation: str  # one line, Vietnamese
    #: S4, S6, S7, S12, S13: a person must confirm the signal before it counts
    needs_confirmation: bool = False
    #: S9: the unit the work is escalated to (the level above the holder's unit)
    escalate_to: str | None = None
    #: what tells this signal from others of the same code, task and person (the deadline
    #: missed, the consultation, the move, …); stable as the log grows
    anchor: str = ""

    @property
    def key(self) -> str:
        """Identifies the signal across recomputations ("S1|2026-10|T1|CB002|HN.CG.VP|
        2026-10-15"): later events may change its explanation and events, never its key, so
        a stored signal is found again and not duplicated."""
        return "|".join((self.code, self.period, self.task or "", self.official or "",
                         self.unit, self.anchor))

    def as_dict(self) -> dict[str, object]:
        """JSON-ready, as `thuocdo signals --json` writes it."""
        return {
            "code": self.code, "task": self.task, "official": self.official,
            "unit": self.unit, "period": self.period, "raised_on": self.raised_on.isoformat(),
            "events": [list(e) if isinstance(e, tuple) else e for e in self.events],
            "explanation": self.explanation, "needs_confirmation": self.needs_confirmation,
            "escalate_to": self.escalate_to, "key": self.key,
        }


def event_number(index: int) -> int:
    """The number an event has on the task page, where the assignment is #1."""
    return index + 2


# -- the context every detector reads --------------------------------------------------------


@dataclass(frozen=True)
class Context:
    """The inputs of one computation: the task histories (cut at `as_of`), the facts of
    their assignment, the people, the calendar, the period and the settings."""

    histories: tuple[TaskHistory, ...]
    calendar: WorkCalendar
    period_start: dt.date
    period_end: dt.date
    as_of: dt.datetime
    thresholds: Thresholds
    authority: AuthorityMatrix
    people: People
    tasks: Mapping[str, TaskFacts]

    @functools.cached_property
    def period(self) -> str:
        return period_label(self.period_start, self.period_end)

    def in_period(self, day: dt.date) -> bool:
        return self.period_start <= day <= self.period_end

    def facts(self, history: TaskHistory) -> TaskFacts:
        return self.tasks.get(history.code) or TaskFacts(history.code)

    def intervals(self, history: TaskHistory) -> list[Interval]:
        return holder_intervals(history, self.calendar, self.as_of)

    def holder_at(self, history: TaskHistory, moment: dt.datetime) -> Holder:
        """Who held the work at `moment` (an event that hands the work on at that very
        moment counts: the new holder holds it)."""
        intervals = intervals_of(history, self.calendar, self.as_of)
        for interval in intervals:
            if interval.start <= moment and (interval.end is None or moment < interval.end):
                return interval.holder
        return intervals[-1].holder if moment >= intervals[-1].start else history.lead

    def interval_at(self, history: TaskHistory, moment: dt.datetime) -> Interval | None:
        for interval in intervals_of(history, self.calendar, self.as_of):
            if interval.start <= moment and (interval.end is None or moment < interval.end):
                return interval
        return None

    def signal(self, code: str, *, task: str | None, official: str | None, unit: str,
               raised_on: dt.date, events: Sequence, explanation: str,
               escalate_to: str | None = None, anchor: str | None = None) -> Signal:
        """A signal of this computation's period; `anchor` defaults to the day raised."""
        return Signal(code, task, official, unit, self.period, raised_on, tuple(events),
                      explanation, KINDS[code] in {"auto+confirm", "confirm"}, escalate_to,
                      raised_on.isoformat() if anchor is None else anchor)

    # Vietnamese text for explanations --------------------------------------------------

    def who(self, holder: Holder) -> str:
        """"Trần Thị Bình (HN.VP.003, Văn phòng)", or the unit's name when no official holds
        it (the code tells apart two officials of the same name)."""
        unit = self.people.unit_name(holder.unit)
        if holder.official:
            name = self.people.official_name(holder.official)
            code = f"{holder.official}, " if name != holder.official else ""
            return f"{name} ({code}{unit})"
        return unit


Detector = Callable[[Context], Iterable[Signal]]


# -- helpers ---------------------------------------------------------------------------------


def _open_at(history: TaskHistory, moment: dt.datetime) -> bool:
    closed = closed_at(history)
    return history.assigned_at <= moment and (closed is None or moment < closed)


def _until(history: TaskHistory, as_of: dt.datetime) -> TaskHistory:
    """The history as known at `as_of`: the prefix of its log up to then. Whether the log
    is in order is read from its `log_facts` (derived once: the detectors and the delays ask
    them of the whole log anyway); most logs end by `as_of` and are kept whole."""
    events = history.events
    if not log_facts(history).in_order:
        raise ValueError(f"{history.code}: the log is not in order of time")
    if not events or events[-1].at <= as_of:
        return history
    kept = bisect.bisect_right(events, as_of, key=_event_time)
    # `replace(history, events=...)`, made directly (half the month's logs are cut)
    return type(history)(history.code, history.assigned_at, history.due, history.lead,
                         history.assigner, tuple(events[:kept]))


_event_time = operator.attrgetter("at")


@functools.lru_cache(maxsize=4096)
def _dmy(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def _numbers(indexes: Iterable[int]) -> str:
    return ", ".join(f"#{event_number(i)}" for i in indexes)


def _unit_or_lead(holder: Holder, history: TaskHistory) -> str:
    return holder.unit or history.lead.unit


def _after(ctx: Context, code: str, history: TaskHistory, holder: Holder,
           started_by: int | None, raised_on: dt.date, explanation: str) -> Signal:
    """A signal about what did not follow the assignment (`started_by` None) or an event
    (S8, S13), named for `holder` and anchored on that moment."""
    return ctx.signal(code, task=history.code, official=holder.official,
                      unit=_unit_or_lead(holder, history), raised_on=raised_on,
                      events=() if started_by is None else (started_by,),
                      anchor="assignment" if started_by is None else str(started_by),
                      explanation=explanation)


def _workday_set(calendar: WorkCalendar, start: dt.date, end: dt.date) -> set[dt.date]:
    """The working days in (start, end]."""
    days = set()
    day = start + dt.timedelta(days=1)
    while day <= end:
        if calendar.is_workday(day):
            days.add(day)
        day += dt.timedelta(days=1)
    return days


def _consultations(history: TaskHistory) -> list[tuple[int, Event, int | None, Event | None]]:
    """Each consultation with the reply that answered it: a reply answers every
    consultation of its unit not yet answered, as the workflow reads the log (one reply
    clears the unit: `tasks.workflow.TaskSnapshot.consults`, and the unit may not reply
    again). A unit asked twice before replying is late on the first question if the reply
    comes after its deadline."""
    facts = log_facts(history)
    if not facts.of_kind("consult"):
        return []  # most logs: nothing to pair
    pending: list[list] = []
    for index, event in facts.of_kinds(("consult", "consult_reply")):
        if event.kind == "consult":
            pending.append([index, event, None, None])
        elif event.kind == "consult_reply":
            unit = event.data.get("unit")
            for row in pending:
                if row[2] is None and row[1].data.get("to_unit") == unit:
                    row[2], row[3] = index, event
    return [tuple(row) for row in pending]  # type: ignore[misc]


def _as_bool(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"true", "1", "yes"}
    return bool(value)


def _as_date(value: object) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _share(value: Fraction) -> str:
    return f"{round(float(value) * 100)}%"


class _SortedValues:
    """A group's values (fractions or decimals), sorted once, for the median of the group
    without one member's values (S7, S12). `statistics.median` of the others would sort
    them again for every member: quadratic in the group's size, and a city's groups are
    large."""

    def __init__(self, values: Iterable[Fraction | Decimal]) -> None:
        self._values = sorted(values, key=_exact_order)

    def __len__(self) -> int:
        return len(self._values)

    def median_without(self, removed: Iterable[Fraction | Decimal]) -> Fraction:
        """`Fraction(statistics.median(values - removed))`; `removed` is part of the values
        (a multiset: equal values are removed once each)."""
        values = self._values
        # Where each removed value sits in the sorted values: equal values take successive
        # places, and which copy of a value goes does not change what is left.
        places: list[int] = []
        previous, copies = None, 0
        for value in sorted(removed):
            copies = copies + 1 if value == previous else 0
            places.append(bisect.bisect_left(values, _exact_order(value), key=_exact_order)
                          + copies)
            previous = value
        left = len(values) - len(places)
        if left <= 0:
            raise statistics.StatisticsError("no median for empty data")

        def nth(rank: int) -> Fraction | Decimal:
            """The value of this rank (from 0) among those left."""
            skipped = 0
            for place in places:  # ascending
                if place > rank + skipped:
                    break
                skipped += 1
            return values[rank + skipped]

        if left % 2:
            return Fraction(nth(left // 2))
        return (Fraction(nth(left // 2 - 1)) + Fraction(nth(left // 2))) / 2


def _exact_order(value: Fraction | Decimal) -> tuple[float, Fraction | Decimal]:
    """A key that sorts numbers as they are, compared in C: by their nearest float, then,
    only between equal floats, by themselves (rounding to a float never reverses an order).
    Sorting a city's fractions by themselves calls Python for every comparison."""
    return (float(value), value)


# -- S1 --------------------------------------------------------------------------------------


def late_work(ctx: Context) -> Iterator[Signal]:
    """S1, work late (chậm, trễ hạn): each deadline in force that passed while the work was
    open, named for whose step it was: the holder when the deadline passed.

    Basis: Directive 24-CT/TU (Hanoi), appendix of indicators (domain.md S1: "done after the
    deadline in force, or open past it"). Deadlines and delays as in "Scoring officials"
    (domain.md): missing the original deadline is one; an extension granted after it sets a new
    deadline, and missing that is another. Excused delays (an objective cause confirmed) are
    still reported, with the excuse, so the leader can close them at once. Raised on the
    deadline's day. Events: the extension grant that set the deadline (if any), the event that
    gave the work to the holder named, the event that settled the delay (the late submit or the
    late grant) and the excuse. A deadline passed only by days off so far (a Friday's, seen
    at the weekend; the day before a holiday) is late by no working day yet: the text says
    from which working day the delay counts, never "late by 0 working days".
    """
    for history in ctx.histories:
        found = delays(history, ctx.calendar, ctx.as_of)
        if not found:
            continue
        set_by = {_as_date(e.data["new_due"]): i
                  for i, e in log_facts(history).of_kind("extension_grant")}
        for delay in found:
            if not ctx.in_period(delay.deadline):
                continue
            passed = end_of_day(delay.deadline)
            interval = ctx.interval_at(history, passed)
            holder = interval.holder if interval else ctx.holder_at(history, passed)
            started = interval.started_by if interval else None
            extended = set_by.get(delay.deadline) if delay.deadline != history.due else None
            events = sorted({i for i in (extended, started, delay.settled_by, delay.excused_by)
                             if i is not None})
            late = delay.workdays_late
            # Past the deadline but before its first working day (the days after it were
            # days off): late, by no working day yet, so say when the count starts.
            first = "" if late else _dmy(ctx.calendar.add_workdays(delay.deadline, 1))
            if delay.settled_by is None:
                if closed_at(history) is not None:
                    how = (f"quá hạn {late} ngày làm việc rồi bị hủy" if late else
                           f"quá hạn rồi bị hủy trước {first}, ngày làm việc đầu tiên sau hạn")
                else:
                    today = _dmy(local_day(ctx.as_of))
                    how = (f"chưa hoàn thành, quá {late} ngày làm việc đến {today}" if late else
                           f"chưa hoàn thành, đã quá hạn đến {today} (ngày nghỉ); tính chậm "
                           f"từ {first}, ngày làm việc đầu tiên sau hạn")
            else:
                number = f"#{event_number(delay.settled_by)}"
                day = _dmy(local_day(history.events[delay.settled_by].at))
                if history.events[delay.settled_by].kind == "extension_grant":
                    how = (f"đến {day} mới gia hạn, quá {late} ngày làm việc ({number})"
                           if late else
                           f"đến {day} mới gia hạn, sau hạn nhưng trước {first}, ngày làm "
                           f"việc đầu tiên sau hạn ({number})")
                else:
                    how = (f"nộp ngày {day}, chậm {late} ngày làm việc ({number})" if late else
                           f"nộp ngày {day}, sau hạn nhưng trước {first}, ngày làm việc đầu "
                           f"tiên sau hạn ({number})")
            text = f"Trễ hạn {_dmy(delay.deadline)}: {how}; khi hết hạn, việc ở {ctx.who(holder)}"
            if delay.excused_by is not None:
                text += f"; đã xác nhận nguyên nhân khách quan (#{event_number(delay.excused_by)})"
            yield ctx.signal("S1", task=history.code, official=holder.official,
                             unit=_unit_or_lead(holder, history), raised_on=delay.deadline,
                             events=events, explanation=text)


# -- S2 --------------------------------------------------------------------------------------


def extension_habit(ctx: Context) -> Iterator[Signal]:
    """S2, extension habit (xin gia hạn nhiều lần): N or more extension requests on one task,
    or by one person in the period across several tasks (N = `Thresholds.extension_requests`).

    Basis: Directive 24-CT/TU (Hanoi), appendix of indicators (domain.md S2: "≥ N extension
    requests per task or per person in a period"). An extension granted before its deadline is
    no delay, but its request still counts here. Raised by the N-th request. The per-person
    signal needs requests on at least two tasks (one task's requests are that task's signal).
    """
    n = ctx.thresholds.extension_requests
    by_person: dict[str, list[tuple[dt.datetime, str, int, Holder]]] = {}
    for history in ctx.histories:
        facts = log_facts(history)
        asked = facts.of_kind("extension_request")
        days = facts.days
        for index, event in asked:
            holder = ctx.holder_at(history, event.at)
            person = event.actor or holder.official
            if person and ctx.in_period(days[index]):
                by_person.setdefault(person, []).append((event.at, history.code, index, holder))
        if len(asked) < n:
            continue
        index, event = asked[n - 1]
        day = days[index]
        if not ctx.in_period(day):
            continue
        holder = ctx.holder_at(history, event.at)
        indexes = [i for i, _e in asked[:n]]
        yield ctx.signal(
            "S2", task=history.code, official=event.actor or holder.official,
            unit=_unit_or_lead(holder, history), raised_on=day, events=indexes, anchor="",
            explanation=f"Xin gia hạn {n} lần cho cùng một việc ({_numbers(indexes)})")
    for person, requests in sorted(by_person.items()):
        requests.sort(key=lambda r: (r[0], r[1], r[2]))
        for k in range(n - 1, len(requests)):
            tasks = {r[1] for r in requests[:k + 1]}
            if len(tasks) < 2:
                continue
            at, _code, _index, holder = requests[k]
            pairs = [(r[1], r[2]) for r in requests[:k + 1]]
            listed = ", ".join(f"{code} #{event_number(index)}" for code, index in pairs)
            yield ctx.signal(
                "S2", task=None, official=person,
                unit=ctx.people.unit_of(person) or holder.unit, raised_on=local_day(at),
                events=pairs, anchor="",
                explanation=(f"{ctx.people.official_label(person)} xin gia hạn {k + 1} lần "
                             f"trong kỳ, ở {len(tasks)} việc ({listed})"))
            break


# -- S3 --------------------------------------------------------------------------------------


def ping_pong(ctx: Context) -> Iterator[Signal]:
    """S3, ping-pong (đùn đẩy qua lại): the work comes back to a unit or an official that
    already passed it on, or it was handed on N or more times (N = `Thresholds.transfers`;
    transfers and returns both count).

    Basis: Directive 24-CT/TU (Hanoi), appendix of indicators (domain.md S3: "the work returns
    to a unit or official that already passed it on, or ≥ N transfers"); "một việc giao một đơn
    vị chủ trì". A move back is named for whoever sent the work back (the holder before the
    move: they answer why it is not theirs) and lists the move that had passed it on; the count
    is named for the lead unit (chủ trì), which answers for the task. Raised by the move.
    """
    n = ctx.thresholds.transfers
    for history in ctx.histories:
        holder = history.lead
        passed_unit: dict[str, int] = {}  # unit → the move that took the work away from it
        passed_official: dict[str, int] = {}
        moves: list[int] = []
        for index, event in log_facts(history).of_kinds(MOVING_KINDS):
            target = Holder(str(event.data["to_unit"]),
                            _opt(event.data.get("to_official")))
            day = local_day(event.at)
            earlier = [passed_unit[target.unit]] if (
                target.unit != holder.unit and target.unit in passed_unit) else []
            if target.official and target.official in passed_official:
                earlier.append(passed_official[target.official])
            if earlier and ctx.in_period(day):
                first = max(earlier)
                where = ctx.who(target)
                yield ctx.signal(
                    "S3", task=history.code, official=holder.official, unit=holder.unit,
                    raised_on=day, events=(first, index), anchor=f"{first}-{index}",
                    explanation=(f"Việc bị chuyển qua lại: quay về {where} sau khi đã chuyển "
                                 f"đi (sự kiện {_numbers((first, index))})"))
            moves.append(index)
            if len(moves) == n and ctx.in_period(day):
                yield ctx.signal(
                    "S3", task=history.code, official=None, unit=history.lead.unit,
                    raised_on=day, events=moves, anchor="count",
                    explanation=f"Việc đã qua {n} lần chuyển, trả ({_numbers(moves)})")
            if target.unit != holder.unit:
                passed_unit[holder.unit] = index
            if holder.official and target.official != holder.official:
                passed_official[holder.official] = index
            holder = target


def _opt(value: object) -> str | None:
    return None if value in (None, "") else str(value)


# -- S4 --------------------------------------------------------------------------------------


def pushing_up(ctx: Context) -> Iterator[Signal]:
    """S4, pushing up (đẩy lên cấp trên): guidance requested on a matter within the
    requester's own authority (the `AuthorityMatrix`: their position, the task's priority and
    product). Needs confirmation: the leader judges whether the question was genuine.

    Basis: Directive 24-CT/TU (Hanoi), appendix of indicators (domain.md S4: "guidance requested
    on a matter within the requester's own authority"): pushing work up. Raised by the request;
    named for the requester.
    """
    for history in ctx.histories:
        facts = ctx.facts(history)
        log = log_facts(history)
        for index, event in log.of_kind("guidance_request"):
            day = log.days[index]
            if not ctx.in_period(day):
                continue
            holder = ctx.holder_at(history, event.at - dt.timedelta(microseconds=1))
            requester = event.actor or holder.official
            position = ctx.people.position_of(requester)
            if not ctx.authority.may_decide(position, facts.priority, facts.product):
                continue
            asked = Holder(str(event.data.get("to_unit") or ""),
                           _opt(event.data.get("to_official")))
            yield ctx.signal(
                "S4", task=history.code, official=requester,
                unit=ctx.people.unit_of(requester) or holder.unit, raised_on=day,
                events=(index,), anchor=str(index),
                explanation=(f"Xin ý kiến {ctx.who(asked)} về việc {_PRIORITY[facts.priority]} "
                             f"thuộc thẩm quyền tự quyết của {_POSITION[position]} "
                             f"(#{event_number(index)})"))


_PRIORITY = {"normal": "thường", "urgent": "cấp bách", "collective": "cần quyết định tập thể"}
_POSITION = {"staff": "chuyên viên", "deputy": "cấp phó", "head": "người đứng đầu", None: "?"}


# -- S5, S6 ----------------------------------------------------------------------------------


def slow_opinion(ctx: Context) -> Iterator[Signal]:
    """S5, slow opinion (chậm cho ý kiến): a consultation replied after its reply deadline,
    or not replied by it while the work was still open. Named for the consulted unit, whose
    head answers for it.

    Basis: Directive 24-CT/TU (Hanoi), appendix of indicators (domain.md S5: "consultation
    replied after its reply deadline, or not at all"). Raised on the reply deadline's day.
    """
    for history in ctx.histories:
        for asked, consult, answered, reply in _consultations(history):
            due = _as_date(consult.data["reply_due"])
            passed = end_of_day(due)
            if not ctx.in_period(due) or passed > ctx.as_of:
                continue
            unit = str(consult.data.get("to_unit"))
            name = ctx.people.unit_name(unit)
            if reply is not None and answered is not None:
                if reply.at < passed:
                    continue
                late = ctx.calendar.workdays_between(due, local_day(reply.at))
                # a reply on a day off after the deadline: late, by no working day yet
                how = (f"chậm {late} ngày làm việc so với hạn {_dmy(due)}" if late else
                       f"sau hạn {_dmy(due)}, vào ngày nghỉ trước "
                       f"{_dmy(ctx.calendar.add_workdays(due, 1))}, ngày làm việc đầu tiên "
                       f"sau hạn")
                yield ctx.signal(
                    "S5", task=history.code, official=None, unit=unit, raised_on=due,
                    events=(asked, answered), anchor=str(asked),
                    explanation=(f"{name} trả lời xin ý kiến {how} "
                                 f"({_numbers((asked, answered))})"))
            elif _open_at(history, passed):
                yield ctx.signal(
                    "S5", task=history.code, official=None, unit=unit, raised_on=due,
                    events=(asked,), anchor=str(asked),
                    explanation=(f"{name} chưa trả lời xin ý kiến, hạn {_dmy(due)} "
                                 f"(#{event_number(asked)})"))


def no_position(ctx: Context) -> Iterator[Signal]:
    """S6, no position (trả lời chung chung, không rõ quan điểm): a consultation reply that
    takes no clear position (`clear_position` false). Needs confirmation by the requester.

    Basis: Directive 24-CT/TU (Hanoi), appendix of indicators (domain.md S6: "a reply flagged by
    the requester as taking no clear position"). Named for the official who replied and their
    unit; raised by the reply.
    """
    for history in ctx.histories:
        if not log_facts(history).of_kind("consult_reply"):
            continue  # most logs: no reply to read
        consultations = _consultations(history)
        said: set[int] = set()  # a reply answering two questions says one thing
        for asked, _consult, answered, reply in consultations:
            if reply is None or answered is None or _as_bool(reply.data.get("clear_position")):
                continue
            if answered in said:
                continue
            said.add(answered)
            day = local_day(reply.at)
            if not ctx.in_period(day):
                continue
            unit = str(reply.data.get("unit"))
            yield ctx.signal(
                "S6", task=history.code, official=reply.actor, unit=unit, raised_on=day,
                events=(asked, answered), anchor=str(answered),
                explanation=(f"{ctx.people.unit_name(unit)} trả lời không rõ quan điểm "
                             f"({_numbers((asked, answered))})"))
        # Replies that answer no recorded consultation still say what they say.
        matched = {a for _i, _c, a, _r in consultations if a is not None}
        for index, event in log_facts(history).of_kind("consult_reply"):
            if index in matched or _as_bool(event.data.get("clear_position")):
                continue
            day = local_day(event.at)
            if ctx.in_period(day):
                unit = str(event.data.get("unit"))
                yield ctx.signal(
                    "S6", task=history.code, official=event.actor, unit=unit, raised_on=day,
                    events=(index,), anchor=str(index),
                    explanation=(f"{ctx.people.unit_name(unit)} trả lời không rõ quan điểm "
                                 f"(#{event_number(index)})"))


# -- S7 --------------------------------------------------------------------------------------


def waiting_share(history: TaskHistory, calendar: WorkCalendar,
                  as_of: dt.datetime) -> Fraction | None:
    """The share of the task's working days (assignment to done, or to `as_of`) on which a
    consultation was waiting for its reply. None: no working day to measure."""
    end = closed_at(history)
    end = as_of if end is None or end > as_of else end
    start_day, end_day = log_facts(history).assigned_day, local_day(end)
    total = calendar.workdays_between(start_day, end_day)
    if not total:
        return None
    consultations = _consultations(history)
    if not consultations:
        return _ZERO  # Fraction(0, total): most tasks consult nobody
    waiting: set[dt.date] = set()
    for _asked, consult, _answered, reply in consultations:
        if consult.at > end:
            continue
        until = min(reply.at, end) if reply is not None else end
        waiting |= _workday_set(calendar, local_day(consult.at), local_day(until))
    waiting = {d for d in waiting if start_day < d <= end_day}
    return Fraction(len(waiting), total)


def stretching(ctx: Context) -> Iterator[Signal]:
    """S7, stretching (kéo dài thời gian qua xin ý kiến): a task done in the period whose
    share of time spent waiting on consultations is far above its peers': at least
    `waiting_ratio` × the median share of the tasks done in the period by the other
    officials of the lead's task group in the same agency, and at least `waiting_min_share`.
    Needs confirmation: some matters do need many opinions.

    Basis: Directive 24-CT/TU (Hanoi), appendix of indicators (domain.md S7: "share of the
    task's time spent waiting on consultations far above peers"). Named for the lead official;
    raised on the day the task was done (the accepted submit).
    """
    t = ctx.thresholds
    done: list[tuple[TaskHistory, int, Fraction, tuple]] = []
    groups: dict[Holder, tuple] = {}  # each lead's peer group, asked once
    for history in ctx.histories:
        index = done_event(history)
        if index is None or not ctx.in_period(log_facts(history).days[index]):
            continue
        share = waiting_share(history, ctx.calendar, ctx.as_of)
        if share is None:
            continue
        group = groups.get(history.lead)
        if group is None:
            group = groups[history.lead] = _peer_group(ctx, history.lead)
        done.append((history, index, share, group))
    # Peers' shares by group and lead, so each comparison costs the group's size, not the
    # period's (a city's month has hundreds of thousands of tasks done).
    by_group: dict[tuple, dict[str | None, list[Fraction]]] = {}
    for history, _index, share, group in done:
        by_group.setdefault(group, {}).setdefault(history.lead.official, []).append(share)
    sorted_shares: dict[tuple, _SortedValues] = {}
    zero_below = t.waiting_min_share > _ZERO
    #: (group, lead) → the median of the lead's peer tasks (None: too few) and their number
    medians: dict[tuple, tuple[Fraction | None, int]] = {}
    for history, index, share, group in done:
        # most tasks consult nobody: their share is the one zero, compared once
        if zero_below if share is _ZERO else share < t.waiting_min_share:
            continue
        key = (group, history.lead.official)
        if key not in medians:
            if group not in sorted_shares:
                sorted_shares[group] = _SortedValues(
                    s for shares in by_group[group].values() for s in shares)
            own = by_group[group][history.lead.official]
            peers = len(sorted_shares[group]) - len(own)
            medians[key] = (sorted_shares[group].median_without(own)
                            if peers >= t.waiting_min_peers else None, peers)
        median, peers = medians[key]
        if median is None:
            continue
        if share < t.waiting_ratio * median:
            continue
        consults = [a for a, _c, _n, _r in _consultations(history)]
        yield ctx.signal(
            "S7", task=history.code, official=history.lead.official, unit=history.lead.unit,
            raised_on=local_day(history.events[index].at), events=consults, anchor="",
            explanation=(f"{_share(share)} thời gian của việc là chờ ý kiến đơn vị khác "
                         f"({_numbers(consults)}), trung vị của {peers} việc cùng nhóm: "
                         f"{_share(median)}"))


def _peer_group(ctx: Context, lead: Holder) -> tuple:
    """Peers: the same task group in the same agency; without a task group, the same unit."""
    group = ctx.people.task_group_of(lead.official)
    if group is None:
        return ("unit", lead.unit)
    return ("group", ctx.people.agency_of(ctx.people.unit_of(lead.official) or lead.unit), group)


# -- S8 --------------------------------------------------------------------------------------


def silence(ctx: Context) -> Iterator[Signal]:
    """S8, silence (im lặng, để việc nằm im): open work with no event at all for K working
    days (K = `Thresholds.silence_workdays`): the K-th working day after the last event (or
    the assignment) ended with nothing new. One signal per stretch of silence, named for whoever
    held the work; raised on that K-th working day.

    Basis: Directive 24-CT/TU (Hanoi), appendix of indicators (domain.md S8: "open task with no
    event for more than K working days"). Time after the accepted submit does not count (the
    work is done then).
    """
    k = ctx.thresholds.silence_workdays
    first_day, last_day, as_of = ctx.period_start, ctx.period_end, ctx.as_of
    # a day → the K-th working day after it and the moment that day ends (few distinct days)
    quiet: dict[dt.date, tuple[dt.date, dt.datetime]] = {}
    for history in ctx.histories:
        facts = log_facts(history)
        end = as_of if facts.closed_at is None else min(facts.closed_at, as_of)
        events, days = history.events, facts.days
        # each moment something happened (the assignment, then the events up to `end`: a
        # prefix of the log, in order of time), and whether silence followed it
        count = len(events)
        if count and events[-1].at > end:
            count = bisect.bisect_right(events, end, key=_event_time)
        moment, index, day = history.assigned_at, None, facts.assigned_day
        following = 0  # the index of the event after `moment`
        while True:
            found = quiet.get(day)
            if found is None:
                last_quiet = ctx.calendar.add_workdays(day, k)
                found = quiet[day] = (last_quiet, end_of_day(last_quiet))
            last_quiet, broken = found
            after = events[following].at if following < count else None
            # silent unless the following event broke the silence; this period's only
            if ((after is None or after >= broken) and broken <= end
                    and first_day <= last_quiet <= last_day):
                holder = ctx.holder_at(history, moment)
                since = ("giao việc" if index is None
                         else f"sự kiện #{event_number(index)}")
                yield _after(
                    ctx, "S8", history, holder, index, last_quiet,
                    f"Việc nằm im {k} ngày làm việc ở {ctx.who(holder)}: không có sự kiện "
                    f"nào sau {since} ({_dmy(day)}) đến hết {_dmy(last_quiet)}")
            if after is None:
                break
            moment, index, day = after, following, days[following]
            following += 1


# -- S9 --------------------------------------------------------------------------------------


def deaf_to_reminders(ctx: Context) -> Iterator[Signal]:
    """S9, deaf to reminders (đôn đốc nhiều lần không chuyển biến): still overdue after N
    reminders (N = `Thresholds.reminders`) given while the same deadline in force was already
    passed. Named for the holder at the N-th reminder and escalated to the next level: the
    unit above the holder's unit, whose head is to be told. Raised by the N-th reminder.

    Basis: Directive 24-CT/TU (Hanoi), appendix of indicators (domain.md S9: "still overdue
    after 3 or more reminders: escalated to the next level"). An extension granted after the
    deadline sets a new deadline and starts a new count.
    """
    n = ctx.thresholds.reminders
    for history in ctx.histories:
        counted: dict[dt.date, list[int]] = {}
        facts = log_facts(history)
        for index, event in facts.of_kind("remind"):
            deadline = deadline_in_force(history, event.at)
            if event.at < end_of_day(deadline) or not _open_at(history, event.at):
                continue
            reminders = counted.setdefault(deadline, [])
            reminders.append(index)
            day = facts.days[index]
            if len(reminders) != n or not ctx.in_period(day):
                continue
            holder = ctx.holder_at(history, event.at)
            unit = _unit_or_lead(holder, history)
            above = ctx.people.parent_of(unit)
            to = f"; chuyển lên {ctx.people.unit_name(above)}" if above else ""
            yield ctx.signal(
                "S9", task=history.code, official=holder.official, unit=unit, raised_on=day,
                events=reminders, escalate_to=above, anchor=deadline.isoformat(),
                explanation=(f"Đã đôn đốc {n} lần ({_numbers(reminders)}) mà việc vẫn quá "
                             f"hạn {_dmy(deadline)}, đang ở {ctx.who(holder)}{to}"))


# -- S12 -------------------------------------------------------------------------------------


def half_hearted(ctx: Context) -> Iterator[Signal]:
    """S12, half-hearted (làm việc cầm chừng): an official's converted output in the period
    below `output_fraction` × the median of the other officials of the same task group in
    the same agency. Needs confirmation: the leader checks what the person was given.

    Basis: Directive 24-CT/TU (Hanoi), appendix of indicators (domain.md S12: "converted output
    far below peers of the same task group"); Decree 335/2025/NĐ-CP counts converted products
    inside a task group (nhóm nhiệm vụ tương đồng). Output as in "Scoring officials": the tasks
    an official leads that belong to the period (original deadline in it) and were done by its
    end, each worth its coefficient × quantity (cancelled tasks left out). Compared are the
    officials with a task group and at least one such task; only with `output_min_peers` others.
    Raised on the period's last day (or on `as_of`, if earlier). Events: the accepted submits,
    as (task, index).
    """
    t = ctx.thresholds
    cutoff = min(ctx.as_of, end_of_day(ctx.period_end))
    if cutoff < end_of_day(ctx.period_start) - dt.timedelta(days=1):
        return
    # Outputs are sums of converted worths, which are decimals: summed as such, exactly
    # (no rounding at any size), and compared far faster than as fractions.
    output: dict[str, Decimal] = {}
    submits: dict[str, list[tuple[str, int]]] = {}
    with decimal.localcontext(_EXACT):
        for history in ctx.histories:
            lead = history.lead.official
            if (not ctx.period_start <= history.due <= ctx.period_end or lead is None
                    or ctx.people.task_group_of(lead) is None or history.assigned_at > cutoff):
                continue
            facts = log_facts(history)
            if facts.cancels and any(at <= cutoff for at in facts.cancels):
                continue
            if lead not in output:
                output[lead], submits[lead] = _DECIMAL_ZERO, []
            index = facts.done
            if index is not None and history.events[index].at <= cutoff:
                output[lead] += ctx.facts(history).converted
                submits[lead].append((history.code, index))
    groups: dict[tuple, list[str]] = {}
    for official in output:
        groups.setdefault(_peer_group(ctx, Holder(ctx.people.unit_of(official) or "", official)),
                          []).append(official)
    raised_on = local_day(cutoff - dt.timedelta(microseconds=1))
    for members in groups.values():
        peers = len(members) - 1  # the other officials of the group
        if peers < t.output_min_peers:
            continue
        outputs = _SortedValues(output[o] for o in members)
        for official in sorted(members):
            median = outputs.median_without((output[official],))
            if not median or Fraction(output[official]) >= t.output_fraction * median:
                continue
            group = ctx.people.task_group_of(official)
            yield ctx.signal(
                "S12", task=None, official=official, unit=ctx.people.unit_of(official) or "",
                raised_on=raised_on, events=sorted(submits[official]), anchor="",
                explanation=(f"Sản phẩm quy đổi hoàn thành trong kỳ: {_num(output[official])}, "
                             f"dưới {_share(t.output_fraction)} trung vị của {peers} người "
                             f"cùng nhóm {group} ({_num(median)})"))


_ZERO = Fraction(0)
_DECIMAL_ZERO = Decimal(0)
#: a context in which sums of decimals are exact (their digits are never rounded)
_EXACT = decimal.Context(prec=decimal.MAX_PREC, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN)


def _num(value: Fraction | Decimal) -> str:
    return f"{float(value):.2f}".rstrip("0").rstrip(".").replace(".", ",")


# -- S13 -------------------------------------------------------------------------------------


def proposal_allowance(history: TaskHistory, calendar: WorkCalendar,
                       thresholds: Thresholds) -> int:
    """X for S13: working days to a first draft or proposal for this task."""
    allowed = calendar.workdays_between(log_facts(history).assigned_day, history.due)
    # ceil(proposal_share × allowed) in integers (a Fraction product per task is slow)
    share = -(-thresholds.proposal_share.numerator * allowed
              // thresholds.proposal_share.denominator)
    return max(1, min(thresholds.proposal_workdays, share))


def not_proposing(ctx: Context) -> Iterator[Signal]:
    """S13, not proposing (không đề xuất, không tham mưu): no draft or proposal within X
    working days of receiving the work (`proposal_allowance`). Observable: the holder
    neither submitted a product, nor asked a superior's guidance on it, nor consulted another
    unit. Counted from the assignment, and again from each transfer or return (the new holder
    received the work then). Needs confirmation. Raised on the X-th working day.

    Basis: Directive 24-CT/TU (Hanoi), appendix of indicators (domain.md S13: "no draft or
    proposal within X days of assignment"); proposals made in good faith are protected (S15, Kết
    luận 14-KL/TW).
    """
    # X by (assignment day, deadline), and a start day and X → the X-th working day after
    # it and the moment it ends: few distinct values, asked for every task
    allowances: dict[tuple[dt.date, dt.date], int] = {}
    ends: dict[tuple[dt.date, int], tuple[dt.date, dt.datetime, dt.datetime]] = {}
    first_day, period_end, as_of = ctx.period_start, ctx.period_end, ctx.as_of
    for history in ctx.histories:
        facts = log_facts(history)
        x = allowances.get((facts.assigned_day, history.due))
        if x is None:
            x = allowances[facts.assigned_day, history.due] = proposal_allowance(
                history, ctx.calendar, ctx.thresholds)
        starts: list[tuple[dt.datetime, int | None, dt.date]] = [
            (history.assigned_at, None, facts.assigned_day)]
        moves = facts.of_kinds(MOVING_KINDS)
        if moves:
            starts += [(e.at, i, facts.days[i]) for i, e in moves]
        proposals = None  # read when first needed
        for n, (start, started_by, start_day) in enumerate(starts):
            found = ends.get((start_day, x))
            if found is None:
                last_day = ctx.calendar.add_workdays(start_day, x)
                deadline = end_of_day(last_day)
                found = ends[start_day, x] = (last_day, deadline,
                                              deadline - dt.timedelta(microseconds=1))
            last_day, deadline, just_before = found
            if deadline > as_of or not first_day <= last_day <= period_end:
                continue
            if n + 1 < len(starts) and starts[n + 1][0] < deadline:
                continue  # the work moved on before X days passed
            if not _open_at(history, just_before):
                continue
            if proposals is None:
                proposals = facts.of_kinds(PROPOSING_KINDS)
            if proposals and any(start <= e.at < deadline
                                 and (started_by is None or i > started_by)
                                 for i, e in proposals):
                continue
            holder = ctx.holder_at(history, start)
            yield _after(
                ctx, "S13", history, holder, started_by, last_day,
                f"{ctx.who(holder)} chưa có dự thảo hay đề xuất nào sau {x} ngày làm việc "
                f"kể từ khi nhận việc ({_dmy(start_day)})")


# -- all of them -------------------------------------------------------------------------------

#: The detectors by signal code. S10 and S11 (dossiers) are added here when dossiers exist.
DETECTORS: Mapping[str, Detector] = MappingProxyType({
    "S1": late_work, "S2": extension_habit, "S3": ping_pong, "S4": pushing_up,
    "S5": slow_opinion, "S6": no_position, "S7": stretching, "S8": silence,
    "S9": deaf_to_reminders, "S12": half_hearted, "S13": not_proposing,
})


def detect_all(
    histories: Mapping[str, TaskHistory] | Iterable[TaskHistory],
    *,
    calendar: WorkCalendar,
    period_start: dt.date,
    period_end: dt.date,
    as_of: dt.datetime,
    thresholds: Thresholds | None = None,
    authority: AuthorityMatrix | None = None,
    people: People | None = None,
    tasks: Mapping[str, TaskFacts] | None = None,
    detectors: Mapping[str, Detector] = DETECTORS,
) -> list[Signal]:
    """Every signal raised in the period [period_start, period_end] by what was known at
    `as_of`, sorted by code (numerically), task, day, events, official and unit.

    `tasks` gives each task's priority and product (S4) and its converted worth (S12); a
    task without facts is a normal matter worth 1. The result does not depend on the order
    in which histories are given.
    """
    if as_of.tzinfo is None:
        raise ValueError("as_of must be an aware datetime")
    if isinstance(histories, Mapping):
        histories = histories.values()
    known = sorted((_until(h, as_of) for h in histories if h.assigned_at <= as_of),
                   key=lambda h: h.code)
    ctx = Context(tuple(known), calendar, period_start, period_end, as_of,
                  thresholds or Thresholds(), authority or AuthorityMatrix.default(),
                  people or People(), tasks or {})
    found = [s for detector in detectors.values() for s in detector(ctx)]
    return sorted(found, key=_order)


def _order(signal: Signal) -> tuple:
    """By code (numerically), task, day, events, official, unit, text. A task's signals hold
    event indexes and a person's (task None) (task, index) pairs: events are compared only
    between signals of the same task, or both of no task, so always of one kind."""
    code = signal.code
    return (_CODE_NUMBERS.get(code) or int(code[1:]), signal.task or "", signal.raised_on,
            signal.events, signal.official or "", signal.unit, signal.explanation)


_CODE_NUMBERS = {code: int(code[1:]) for code in KINDS}


# -- periods -----------------------------------------------------------------------------------


def period_label(start: dt.date, end: dt.date) -> str:
    """"2026-10" for a month, "2026-Q4" for a quarter, "2026" for a year, else
    "2026-10-01..2026-10-20"."""
    if start.day == 1 and end.year == start.year:
        if start.month == 1 and end == dt.date(start.year, 12, 31):
            return str(start.year)
        if end == _month_end(start.year, start.month):
            return f"{start.year}-{start.month:02d}"
        if start.month % 3 == 1 and end == _month_end(start.year, start.month + 2):
            return f"{start.year}-Q{start.month // 3 + 1}"
    return f"{start.isoformat()}..{end.isoformat()}"


def period_bounds(label: str) -> tuple[dt.date, dt.date]:
    """The first and last day of a period label (the inverse of `period_label`)."""
    if ".." in label:
        first, last = label.split("..")
        return dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    if "-Q" in label:
        year, quarter = label.split("-Q")
        month = 3 * int(quarter) - 2
        return dt.date(int(year), month, 1), _month_end(int(year), month + 2)
    if "-" in label:
        year, month = (int(p) for p in label.split("-"))
        return dt.date(year, month, 1), _month_end(year, month)
    return dt.date(int(label), 1, 1), dt.date(int(label), 12, 31)


def _month_end(year: int, month: int) -> dt.date:
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return following - dt.timedelta(days=1)
