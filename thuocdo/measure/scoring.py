"""Scoring officials under Decree 335/2025/NĐ-CP (in force 1/1/2026): task results, general
criteria (tiêu chí chung), totals, grades (xếp loại), the KHT overrides and the 20% quota
(domain.md, "Scoring officials: Decree 335/2025/NĐ-CP").

The engine reads like the law: one function per rule, each with its basis. Every weight,
threshold, percentage and switch is in a versioned `Rubric`; every result is a `ScoreCard`
that lists each component and each deduction with the task and event behind it, the formula
with its numbers, and the rubric and engine versions.

Pure: the caller passes the tasks (`TaskHistory` and product), the assessments, the KHT
grounds, the units and the working-day calendar; nothing here reads a clock or a database.
Arithmetic is exact (fractions); points are rounded half-up only where the law says, and the
grade is read from the rounded total. The same inputs, in any order, give identical cards.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import functools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from types import MappingProxyType
from typing import Any, Protocol

from .calendar import WorkCalendar
from .history import TaskHistory, delays, done_event, end_of_day, log_facts

#: Changes whenever the engine would give a different card for the same inputs and rubric
#: (1.2: the formula and the reasons write decimal commas, as Vietnamese does; 1.3: the
#: deductions add up to 70 − T: a leader's d, đ and e are listed, each amount is rounded so
#: the list adds up exactly, a quarter's or year's are the months' ÷ the months with data;
#: 1.4: an excuse given after the close excuses a delay counted at the close, a protected
#: initiative (S15) is not held against its official, a leader's month with products but
#: no T leaves the quarter or year without T instead of out of the mean; 1.5: a quarter's or
#: year's formula names the months it averages, months are written 9/2026, not 09/2026;
#: 1.6: a KHT ground's day is written dd/mm/yyyy in the reasons, not 2026-10-20, and a
#: ground from a confirmed signal record cites the decision: who confirmed it, when, why;
#: work waiting for review at the close lists its delays as of its hand-in, not the close).
ENGINE_VERSION = "scoring/1.6"

Number = int | float | str | Decimal | Fraction


class Grade(enum.StrEnum):
    """Xếp loại chất lượng: the four grades, best first."""

    HTXS = "HTXS"  # hoàn thành xuất sắc nhiệm vụ
    HTT = "HTT"  # hoàn thành tốt nhiệm vụ
    HT = "HT"  # hoàn thành nhiệm vụ
    KHT = "KHT"  # không hoàn thành nhiệm vụ


# -- the rubric --------------------------------------------------------------------------


@dataclass(frozen=True)
class Rubric:
    """Every weight, threshold, percentage and switch of the scoring, with its legal basis.

    A rubric is never edited: a change of law or setting is a new `version` with its own
    `effective_from`. Cards record the version they were computed with.
    """

    version: str
    legal_basis: str
    effective_from: dt.date
    #: points for the general criteria (tiêu chí chung) and for task results
    general_max: Fraction = Fraction(30)
    task_max: Fraction = Fraction(70)
    #: T = task_max × Σ weight × component ÷ Σ weight. Staff: a, b, c; heads and deputies
    #: add d (the unit's result), đ (organising) and e (uniting).
    staff_weights: tuple[tuple[str, Fraction], ...] = (
        ("a", Fraction(1)), ("b", Fraction(1)), ("c", Fraction(1)))
    leader_weights: tuple[tuple[str, Fraction], ...] = (
        ("a", Fraction(1)), ("b", Fraction(1)), ("c", Fraction(1)),
        ("d", Fraction(1)), ("đ", Fraction(1)), ("e", Fraction(1)))
    leader_positions: frozenset[str] = frozenset({"head", "deputy"})
    #: a leader with no product of their own: "no_data" (default, domain.md: never a score
    #: without products) or "unit_only" (T from d, đ and e alone)
    leader_without_own_products: str = "no_data"
    #: share of a product lost per major error / per delay not excused; floored at 0
    major_error_deduction: Fraction = Fraction(1, 4)
    delay_deduction: Fraction = Fraction(1, 4)
    #: lowest rounded total of each grade, best first; below the last: KHT
    thresholds: tuple[tuple[Grade, Fraction], ...] = (
        (Grade.HTXS, Fraction(90)), (Grade.HTT, Fraction(70)), (Grade.HT, Fraction(50)))
    #: rounding half-up of points, and the decimals shown for ratios (display only)
    decimals: int = 2
    ratio_decimals: int = 4
    #: HTXS ≤ quota_share × final HTT, in each agency and (switch) each task group of it
    quota_share: Fraction = Fraction(1, 5)
    quota_by_task_group: bool = True
    #: kinds of unit that are an agency (cơ quan); a division belongs to the nearest one above
    agency_kinds: frozenset[str] = frozenset(
        {"city", "province", "department", "district", "commune"})
    #: candidates for HTXS are ranked by these keys, in order (see `TIE_BREAK_KEYS`); the
    #: official code always comes last, so the order is total
    tie_break: tuple[str, ...] = ("total", "task_points", "delays", "major_errors", "official")
    #: KHT whatever the score
    kht_discipline_levels: frozenset[str] = frozenset(
        {"reprimand", "warning", "demotion", "dismissal"})
    kht_degradation: bool = True
    kht_corruption_for_leaders: bool = True
    #: corruption or waste in the unit a leader leads, or in a unit up to this many levels
    #: below it, is "in a unit they directly manage"
    kht_corruption_depth: int = 1
    kht_signals: frozenset[str] = frozenset({"S14"})
    #: a ground counts in the periods of its calendar year that end on or after its date
    #: ("year_to_date"), so a May reprimand marks May…December and the year, not January
    kht_reach: str = "year_to_date"
    #: quarter and year: task result = mean of the monthly task points (months with data);
    #: general criteria: "period_assessment" (as assessed for the quarter/year) or
    #: "mean_of_months"
    rollup_task_result: str = "mean_of_months"
    rollup_general: str = "period_assessment"


RUBRIC_335_2025 = Rubric(
    version="ND335-2025/1",
    legal_basis=("Nghị định 335/2025/NĐ-CP về đánh giá, xếp loại chất lượng cán bộ, công "
                 "chức, viên chức (hiệu lực 01/01/2026): 30 điểm tiêu chí chung, 70 điểm "
                 "kết quả thực hiện nhiệm vụ; HTXS ≤ 20% số HTT"),
    effective_from=dt.date(2026, 1, 1),
)
DEFAULT_RUBRIC = RUBRIC_335_2025


# -- inputs ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Kỳ đánh giá: a month ("2026-10"), a quarter ("2026-Q4") or a year ("2026")."""

    label: str
    kind: str
    start: dt.date
    end: dt.date

    @classmethod
    def parse(cls, label: str) -> Period:
        if "-Q" in label:
            year, quarter = int(label[:4]), int(label.split("-Q")[1])
            if not 1 <= quarter <= 4:
                raise ValueError(f"not a quarter: {label!r}")
            start = dt.date(year, 3 * quarter - 2, 1)
            return cls(label, "quarter", start, _month_end(dt.date(year, 3 * quarter, 1)))
        if "-" in label:
            start = dt.date(int(label[:4]), int(label[5:7]), 1)
            return cls(f"{start:%Y-%m}", "month", start, _month_end(start))
        year = int(label)
        return cls(label, "year", dt.date(year, 1, 1), dt.date(year, 12, 31))

    @property
    def close(self) -> dt.datetime:
        """The period closes at the end of its last day, Vietnam time."""
        return end_of_day(self.end)

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    def months(self) -> tuple[Period, ...]:
        result = []
        month = self.start
        while month <= self.end:
            result.append(Period.parse(f"{month:%Y-%m}"))
            month = _month_end(month) + dt.timedelta(days=1)
        return tuple(result)


class Unit(Protocol):
    """A node of the organisation tree (exchange format `units`; `scenario.Unit` is one)."""

    @property
    def code(self) -> str: ...
    @property
    def parent(self) -> str | None: ...
    @property
    def kind(self) -> str: ...


@dataclass(frozen=True)
class FoundError:
    """A major error in a task's product found outside its log, such as a citizen's complaint
    about the work verified as founded. It lowers quality b like a `rework` with a major
    error, but does not send the product back: the work stays done. It counts in the period
    of the task when found before that period's close; `ref` names it for the card (e.g. the
    complaint's tracking code). An error whose cause a competent level excused is not passed
    in at all."""

    at: dt.datetime
    ref: Any
    reason: str = ""


@dataclass(frozen=True)
class TaskInput:
    """One assigned task: its log and its product (sản phẩm), converted by the coefficient.

    The task counts for its lead official (`history.lead.official`) and, for the unit
    result d, for its lead unit and every unit above it. `event_refs`, when given, names
    each event of `history.events` (same order) as the caller knows it (a database id, an
    index in the exchange document); cards cite events by these refs, else by index.
    `found_errors` are major errors found outside the log (`FoundError`). `protected`: the
    task is an initiative of its lead official that a leader protected (S15, motives
    sound): its failure is not held against them (domain.md, S15), so its delays and errors
    cost nothing and, not completed by the close, it does not count as assigned.
    """

    history: TaskHistory
    product: str
    coefficient: Fraction
    quantity: int = 1
    event_refs: tuple[Any, ...] = ()
    found_errors: tuple[FoundError, ...] = ()
    protected: bool = False
    converted: Fraction = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "coefficient", _fraction(self.coefficient))
        object.__setattr__(self, "event_refs", tuple(self.event_refs))
        object.__setattr__(self, "found_errors", tuple(self.found_errors))
        # sản phẩm quy đổi: quantity × the product's conversion coefficient
        object.__setattr__(self, "converted", _simplest(self.coefficient * self.quantity))
        if self.coefficient < 0 or self.quantity < 1:
            raise ValueError(f"task {self.code}: coefficient ≥ 0 and quantity ≥ 1")
        if self.event_refs and len(self.event_refs) != len(self.history.events):
            raise ValueError(f"task {self.code}: one event ref per event")

    @property
    def code(self) -> str:
        return self.history.code

    def ref(self, index: int | None) -> Any:
        if index is None:
            return None
        return self.event_refs[index] if self.event_refs else index


@dataclass(frozen=True)
class OfficialInput:
    """An official as scored: where they work, their position and task group. A head or
    deputy leads `unit`. `agency` defaults to the nearest agency-kind unit containing it."""

    code: str
    unit: str
    position: str = "staff"
    task_group: str | None = None
    agency: str | None = None


@dataclass(frozen=True)
class Assessment:
    """The general criteria (0–30) as assessed for one official and period, the written
    reasons for any deduction, and for leaders the superior's ratings in [0, 1] of đ
    (capacity to organise) and e (capacity to unite)."""

    general_points: Fraction
    reasons: tuple[str, ...] = ()
    organising: Fraction | None = None
    uniting: Fraction | None = None
    assessor: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "general_points", _fraction(self.general_points))
        object.__setattr__(self, "reasons", tuple(self.reasons))
        for name in ("organising", "uniting"):
            value = getattr(self, name)
            if value is not None:
                value = _fraction(value)
                if not 0 <= value <= 1:
                    raise ValueError(f"{name} must be in [0, 1]")
                object.__setattr__(self, name, value)


class GroundKind(enum.StrEnum):
    """What makes an official KHT whatever the score."""

    DISCIPLINE = "discipline"  # kỷ luật: khiển trách or heavier
    DEGRADATION = "degradation"  # kết luận suy thoái chính trị, đạo đức, lối sống
    CORRUPTION = "corruption"  # tham nhũng, lãng phí in a unit a leader directly manages
    SIGNAL = "signal"  # a confirmed signal (S14)


@dataclass(frozen=True)
class KhtGround:
    """A KHT ground: about an `official`, or (corruption) about a `unit`."""

    kind: GroundKind
    on: dt.date
    official: str | None = None
    unit: str | None = None
    level: str | None = None  # discipline level
    signal: str | None = None  # signal code, e.g. "S14"
    reason: str = ""
    ref: Any = None  # where the record comes from, e.g. "discipline[2]"
    #: a signal record a leader confirmed as a breach (the accountability app): who
    #: confirmed it (their name, as the card shows it), the day, and their written reason
    decided_by: str | None = None
    decided_on: dt.date | None = None
    decision: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", GroundKind(self.kind))


# -- outputs -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskLine:
    """One task of the period on the card."""

    task: str
    product: str
    coefficient: Decimal
    quantity: int
    converted: Decimal
    deadline: dt.date
    completed: bool
    done_event: Any = None
    major_errors: int = 0
    delays: int = 0


@dataclass(frozen=True)
class Deduction:
    """What took points away, and the event behind it.

    `kind`: "major_error" (a rework with a major error, or an error found outside the log:
    `finding` then names it and `event` is None), "delay" (a deadline in force missed),
    "not_completed" (open at period close); for heads and deputies "unit_result" (d, the
    result of `unit`), "organising" (đ) and "uniting" (e), each with its `value`, listed
    when below 1; "general" (general criteria: general_max − the general points).
    `share` is the part of the product lost (0 when excused or beyond the floor at 0);
    `points` the task points it cost, to 2 decimals. The task points' deductions (all but
    "general") add up to exactly task_max − T (70 − T as the card shows it): each is its
    exact cost rounded half-up, except that where the rounded amounts would not add up,
    those nearest the half-way point are rounded the other way (largest remainders), and
    `rounded` says "up" or "down" (the reason says why). On a quarter or year card, `month`
    names the month a deduction comes from, and `points` is the month's ÷ the number of
    months with data (T is their mean).
    """

    kind: str
    points: Decimal
    task: str | None = None
    event: Any = None
    share: Decimal | None = None
    deadline: dt.date | None = None
    workdays_late: int | None = None
    excused: bool = False
    excused_by: Any = None
    reason: str | None = None
    finding: Any = None
    unit: str | None = None
    value: Decimal | None = None
    month: str | None = None
    rounded: str | None = None


#: The leader's components listed as deductions: component → Deduction kind, and what it
#: is, in the card's Vietnamese (the evaluations app's words for đ and e).
COMPONENT_DEDUCTIONS: dict[str, tuple[str, str]] = {
    "d": ("unit_result", "kết quả thực hiện nhiệm vụ của đơn vị {unit}"),
    "đ": ("organising", "năng lực tổ chức thực hiện"),
    "e": ("uniting", "khả năng tập hợp, đoàn kết"),
}


@dataclass(frozen=True)
class Override:
    """A KHT ground that applied to the card."""

    kind: str
    on: dt.date
    ref: Any
    detail: str


@dataclass(frozen=True)
class QuotaException:
    """An approved exception for an outstanding unit (domain.md, "Quota": it "raises the
    cap"): the HTXS share that replaces the rubric's in one agency, and the decision that
    approved it (its number, số quyết định, and its date), which the quota's reasons cite.
    One not above the rubric's share raises nothing and is not applied (`quota_share`)."""

    share: Fraction
    decision: str = ""
    decided_on: dt.date | None = None

    @property
    def basis(self) -> str:
        """The decision in the reasons' words ("Quyết định số 15/QĐ-UBND ngày 02/11/2026");
        "" when none is named."""
        if not self.decision:
            return ""
        day = f" ngày {self.decided_on:%d/%m/%Y}" if self.decided_on else ""
        return f"Quyết định số {self.decision}{day}"


@dataclass(frozen=True)
class QuotaDecision:
    """What the quota did to one HTXS candidate, and why; `exception`: the approved
    exception that set the share in the candidate's agency (None: the rubric's share)."""

    rank: int
    candidates: int
    kept: bool
    scopes: tuple[str, ...]
    reason: str
    exception: QuotaException | None = None


@dataclass(frozen=True)
class ScoreCard:
    """One official's score for one period: every component, every deduction, the formula
    with its numbers, and the grade before and after overrides and quota. Ratios are shown
    to `ratio_decimals`, points to `decimals` (rounded half-up)."""

    official: str
    unit: str
    agency: str
    task_group: str | None
    position: str
    period: str
    rubric_version: str
    engine_version: str
    tasks: tuple[TaskLine, ...] = ()
    assigned: Decimal | None = None
    completed: Decimal | None = None
    quantity: Decimal | None = None  # a
    quality: Decimal | None = None  # b
    progress: Decimal | None = None  # c
    unit_result: Decimal | None = None  # d
    organising: Decimal | None = None  # đ
    uniting: Decimal | None = None  # e
    task_points: Decimal | None = None
    general_points: Decimal | None = None
    total: Decimal | None = None
    grade_by_score: Grade | None = None
    overrides: tuple[Override, ...] = ()
    grade_before_quota: Grade | None = None
    grade: Grade | None = None
    quota_applied: bool = False
    quota: QuotaDecision | None = None
    deductions: tuple[Deduction, ...] = ()
    delays: int = 0  # not excused, of completed products
    major_errors: int = 0  # not excused, of completed products
    months: tuple[tuple[str, Decimal | None], ...] = ()  # roll-ups: each month's T
    formula: str = ""
    reasons: tuple[str, ...] = ()
    #: roll-ups: the months whose card was given (as its agency approved it) rather than
    #: computed; the engine rolls up what it is given, the caller says which (it is not in
    #: the JSON when empty, so the cards of months and of roll-ups from computed months
    #: read as before)
    months_approved: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: numbers as numbers, dates as ISO strings, grades as codes."""
        data = _plain(self)
        if not self.months_approved:
            del data["months_approved"]
        # a card whose quota took the rubric's share reads as before exceptions were cited
        if data["quota"] is not None and data["quota"]["exception"] is None:
            del data["quota"]["exception"]
        return data


def _decimal(value: Any) -> Decimal | None:
    """A number of a stored card back as the engine holds it: the JSON float of a value
    rounded to a few decimals is read through its shortest repr, so it is that value."""
    return None if value is None else Decimal(repr(value))


def _date(value: str | None) -> dt.date | None:
    return None if value is None else dt.date.fromisoformat(value)


def _grade(value: str | None) -> Grade | None:
    return None if value is None else Grade(value)


def card_from_dict(data: Mapping[str, Any]) -> ScoreCard:
    """A stored card (`ScoreCard.as_dict`) back as the engine's card, whole:
    `card_from_dict(card.as_dict()).as_dict() == card.as_dict()`. The references to events,
    findings and grounds stay as they were stored (the engine only carries them)."""
    lines = tuple(
        TaskLine(task=t["task"], product=t["product"], coefficient=_decimal(t["coefficient"]),
                 quantity=t["quantity"], converted=_decimal(t["converted"]),
                 deadline=_date(t["deadline"]), completed=t["completed"],
                 done_event=t.get("done_event"), major_errors=t.get("major_errors", 0),
                 delays=t.get("delays", 0))
        for t in data.get("tasks", ()))
    deductions = tuple(
        Deduction(kind=d["kind"], points=_decimal(d["points"]), task=d.get("task"),
                  event=d.get("event"), share=_decimal(d.get("share")),
                  deadline=_date(d.get("deadline")), workdays_late=d.get("workdays_late"),
                  excused=d.get("excused", False), excused_by=d.get("excused_by"),
                  reason=d.get("reason"), finding=d.get("finding"), unit=d.get("unit"),
                  value=_decimal(d.get("value")), month=d.get("month"),
                  rounded=d.get("rounded"))
        for d in data.get("deductions", ()))
    overrides = tuple(Override(kind=o["kind"], on=_date(o["on"]), ref=o.get("ref"),
                               detail=o["detail"]) for o in data.get("overrides", ()))
    quota = data.get("quota")
    exception = (quota or {}).get("exception")
    decimals = {name: _decimal(data.get(name)) for name in (
        "assigned", "completed", "quantity", "quality", "progress", "unit_result",
        "organising", "uniting", "task_points", "general_points", "total")}
    return ScoreCard(
        official=data["official"], unit=data["unit"], agency=data["agency"],
        task_group=data.get("task_group"), position=data["position"], period=data["period"],
        rubric_version=data["rubric_version"], engine_version=data["engine_version"],
        tasks=lines, **decimals,
        grade_by_score=_grade(data.get("grade_by_score")), overrides=overrides,
        grade_before_quota=_grade(data.get("grade_before_quota")),
        grade=_grade(data.get("grade")), quota_applied=data.get("quota_applied", False),
        quota=None if quota is None else QuotaDecision(
            rank=quota["rank"], candidates=quota["candidates"], kept=quota["kept"],
            scopes=tuple(quota["scopes"]), reason=quota["reason"],
            exception=None if exception is None else QuotaException(
                share=Fraction(repr(exception["share"])), decision=exception["decision"],
                decided_on=_date(exception["decided_on"]))),
        deductions=deductions, delays=data.get("delays", 0),
        major_errors=data.get("major_errors", 0),
        months=tuple((label, _decimal(points)) for label, points in data.get("months", ())),
        formula=data.get("formula", ""), reasons=tuple(data.get("reasons", ())),
        months_approved=tuple(data.get("months_approved", ())))


@dataclass(frozen=True)
class QuotaScope:
    """The quota's state in one agency or one task group of it, on final grades."""

    agency: str
    task_group: str | None
    share: Fraction
    candidates: int
    htxs: int
    htt: int
    #: the approved exception that set `share` (None: the rubric's share)
    exception: QuotaException | None = None

    @property
    def cap(self) -> Fraction:
        return self.share * self.htt

    def as_dict(self) -> dict[str, Any]:
        data = {"agency": self.agency, "task_group": self.task_group,
                "share": float(self.share), "candidates": self.candidates,
                "htxs": self.htxs, "htt": self.htt, "cap": float(self.cap)}
        if self.exception is not None:
            data["exception"] = _plain(self.exception)
        return data


@dataclass(frozen=True)
class PeriodScores:
    """All cards of a period (by official code) and the quota's state in each scope."""

    period: str
    cards: tuple[ScoreCard, ...]
    quota: tuple[QuotaScope, ...]

    def card(self, official: str) -> ScoreCard:
        for card in self.cards:
            if card.official == official:
                return card
        raise KeyError(official)


# -- facts of one task -------------------------------------------------------------------


@dataclass(frozen=True)
class TaskAtClose:
    """What scoring needs of one task at period close: done or not, its major errors and
    delays (index in the log; whether excused and by which event)."""

    task: TaskInput
    completed: bool
    done_event: int | None
    #: (rework event index, excused) for each major error before close
    major_errors: tuple[tuple[int, bool], ...]
    #: (deadline, settling event index, working days late, excusing event index)
    delays: tuple[tuple[dt.date, int | None, int, int | None], ...]
    #: major errors found outside the log before close (never excused: see `FoundError`)
    found_errors: tuple[FoundError, ...] = ()

    @property
    def converted(self) -> Fraction:
        return self.task.converted

    @property
    def errors_not_excused(self) -> int:
        """Major errors that cost quality: from the log, not excused, and found ones (none
        of a protected initiative)."""
        if self.task.protected:
            return 0
        return (sum(1 for _index, excused in self.major_errors if not excused)
                + len(self.found_errors))

    @property
    def delays_not_excused(self) -> int:
        if self.task.protected:
            return 0
        return sum(1 for delay in self.delays if delay[3] is None)


def belongs_to_period(task: TaskInput, period: Period) -> bool:
    """A task belongs to the period that contains its ORIGINAL deadline; an extension does
    not move it out (domain.md, "Scoring officials")."""
    return period.contains(task.history.due)


def counts_as_assigned(task: TaskInput, period: Period) -> bool:
    """Assigned in the period: it belongs to the period and was not cancelled (withdrawn)
    by the close. Work open at close counts as assigned, not completed."""
    if not belongs_to_period(task, period):
        return False
    return not any(e.kind == "cancel" and e.at < period.close for e in task.history.events)


def task_at_close(task: TaskInput, calendar: WorkCalendar, period: Period) -> TaskAtClose:
    """The task as it stood at period close. Completed: its done time (the submit that the
    final approve accepted) is before the close, even when the approve came after it (the
    review is the assigner's time). Major errors: `rework` events with `major_error` true
    before the close, and errors found outside the log before the close. Delays:
    history.delays up to the close (each deadline in force that passed while the work was
    open), with their excuses whenever given (a competent level often confirms the cause
    after the close)."""
    history = task.history
    close = period.close
    done = done_event(history)
    completed = done is not None and history.events[done].at < close
    facts = log_facts(history)
    reworks = facts.of_kind("rework")
    if not facts.in_order:
        reworks = sorted(reworks, key=lambda pair: (pair[1].at, pair[0]))
    errors = tuple((index, bool(event.data.get("excused", False))) for index, event in reworks
                   if event.data.get("major_error") and event.at < close)
    found = tuple((d.deadline, d.settled_by, d.workdays_late, d.excused_by)
                  for d in delays(history, calendar, close, excuses_any_time=True))
    found_errors = tuple(sorted((e for e in task.found_errors if e.at < close),
                                key=lambda e: (e.at, str(e.ref))))
    return TaskAtClose(task, completed, done if completed else None, errors, found,
                       found_errors)


# -- the rules ---------------------------------------------------------------------------


def converted_assigned(facts: Iterable[TaskAtClose]) -> Fraction:
    """Σ converted products assigned in the period (coefficient × quantity), done or not."""
    return _fsum(f.converted for f in facts)


def converted_completed(facts: Iterable[TaskAtClose]) -> Fraction:
    """Σ converted products completed (accepted submit) by the period's close."""
    return _fsum(f.converted for f in facts if f.completed)


def quality_multiplier(fact: TaskAtClose, rubric: Rubric) -> Fraction:
    """1 − 0.25 × major errors not excused, floored at 0. An error is excused only when a
    competent level confirmed an objective cause (`rework.excused`). Errors found outside
    the log (`FoundError`) count the same."""
    errors = fact.errors_not_excused
    if not errors:
        return 1  # type: ignore[return-value]
    return _simplest(max(Fraction(0), 1 - rubric.major_error_deduction * errors))


def progress_multiplier(fact: TaskAtClose, rubric: Rubric) -> Fraction:
    """1 − 0.25 × delays not excused, floored at 0. A delay is each deadline in force that
    passed while the work was open; each `excuse_delay` excuses the earliest one left."""
    late = fact.delays_not_excused
    if not late:
        return 1  # type: ignore[return-value]
    return _simplest(max(Fraction(0), 1 - rubric.delay_deduction * late))


def quality_kept(facts: Iterable[TaskAtClose], rubric: Rubric) -> Fraction:
    """Σ over completed products of converted × (1 − 0.25 × major errors not excused)."""
    return _fsum(_times(f.converted, quality_multiplier(f, rubric))
                 for f in facts if f.completed)


def progress_kept(facts: Iterable[TaskAtClose], rubric: Rubric) -> Fraction:
    """Σ over completed products of converted × (1 − 0.25 × delays not excused)."""
    return _fsum(_times(f.converted, progress_multiplier(f, rubric))
                 for f in facts if f.completed)


@dataclass(frozen=True)
class Tally:
    """The four sums the ratios divide, for one official's or one unit's tasks."""

    assigned: Fraction = Fraction(0)
    completed: Fraction = Fraction(0)
    quality: Fraction = Fraction(0)
    progress: Fraction = Fraction(0)

    @classmethod
    def of(cls, facts: Sequence[TaskAtClose], rubric: Rubric) -> Tally:
        return cls(converted_assigned(facts), converted_completed(facts),
                   quality_kept(facts, rubric), progress_kept(facts, rubric))

    def __add__(self, other: Tally) -> Tally:
        return Tally(self.assigned + other.assigned, self.completed + other.completed,
                     self.quality + other.quality, self.progress + other.progress)


def quantity_ratio(tally: Tally) -> Fraction | None:
    """a = converted completed ÷ converted assigned, capped at 1 (Decree 335/2025). None: no
    product assigned, "no data"."""
    if not tally.assigned:
        return None
    return min(Fraction(1), Fraction(tally.completed) / tally.assigned)


def quality_ratio(tally: Tally) -> Fraction | None:
    """b = Σ over completed products of converted × (1 − 0.25 × major errors not excused),
    floored at 0, ÷ converted assigned (Decree 335/2025)."""
    if not tally.assigned:
        return None
    return Fraction(tally.quality) / tally.assigned


def progress_ratio(tally: Tally) -> Fraction | None:
    """c = Σ over completed products of converted × (1 − 0.25 × delays not excused),
    floored at 0, ÷ converted assigned (Decree 335/2025)."""
    if not tally.assigned:
        return None
    return Fraction(tally.progress) / tally.assigned


def unit_result(tally: Tally, rubric: Rubric) -> Fraction | None:
    """d for a head or deputy: the task result (a + b + c) / 3 of the unit they lead, with
    a, b, c computed as for one official over every task of the period whose lead unit is
    that unit or a unit below it, whoever leads it (products pooled, not officials
    averaged). None when the unit had no product assigned."""
    parts = {"a": quantity_ratio(tally), "b": quality_ratio(tally),
             "c": progress_ratio(tally)}
    if parts["a"] is None:
        return None
    return _weighted(parts, rubric.staff_weights)


def is_leader(official: OfficialInput, rubric: Rubric) -> bool:
    return official.position in rubric.leader_positions


def task_points(components: Mapping[str, Fraction | None], leader: bool,
                rubric: Rubric) -> Fraction | None:
    """Staff: T = 70 × (a + b + c) / 3. Heads and deputies: T = 70 × (a + b + c + d + đ +
    e) / 6 (Decree 335/2025; weights from the rubric). Exact; None ("no data") when no
    product was assigned, never 100; None when a leader's d, đ or e is missing."""
    weights = rubric.leader_weights if leader else rubric.staff_weights
    if components.get("a") is None:
        if not leader or rubric.leader_without_own_products != "unit_only":
            return None
        weights = tuple((k, w) for k, w in weights if k not in {"a", "b", "c"})
    if any(components.get(key) is None for key, _w in weights):
        return None
    return rubric.task_max * _weighted(components, weights)


def general_points(assessment: Assessment | None, rubric: Rubric) -> Fraction | None:
    """The general criteria as assessed, 0–30. A deduction needs a written reason."""
    if assessment is None:
        return None
    points = assessment.general_points
    if not 0 <= points <= rubric.general_max:
        raise ValueError(f"general points must be in [0, {rubric.general_max}]")
    if points < rubric.general_max and not any(r.strip() for r in assessment.reasons):
        raise ValueError("a deduction of general criteria needs a written reason")
    return points


def round_points(value: Fraction, rubric: Rubric) -> Decimal:
    """Half-up to `rubric.decimals` (2): 48.125 → 48.13."""
    return _round_half_up(value, rubric.decimals)


def total(task: Fraction | None, general: Fraction | None, rubric: Rubric) -> Decimal | None:
    """Total = task points + general points, each rounded half-up to 2 decimals, so the
    card adds up as shown. None when either is "no data"."""
    if task is None or general is None:
        return None
    return round_points(task, rubric) + round_points(general, rubric)


def grade_for(total_points: Decimal | None, rubric: Rubric) -> Grade | None:
    """HTXS ≥ 90, HTT ≥ 70, HT ≥ 50, else KHT, read from the rounded total (None: no data)."""
    if total_points is None:
        return None
    points = Fraction(total_points)
    for grade, threshold in rubric.thresholds:
        if points >= threshold:
            return grade
    return Grade.KHT


def ground_in_reach(ground: KhtGround, period: Period, rubric: Rubric) -> bool:
    """A ground counts in the periods of its calendar year that end on or after its date."""
    if rubric.kht_reach != "year_to_date":
        raise ValueError(f"unknown kht_reach {rubric.kht_reach!r}")
    return ground.on.year == period.end.year and ground.on <= period.end


#: Discipline levels as the law names them (exchange-format.md), for the card's text.
DISCIPLINE_LEVELS: Mapping[str, str] = MappingProxyType({
    "reprimand": "khiển trách", "warning": "cảnh cáo",
    "demotion": "hạ bậc lương, giáng chức", "dismissal": "cách chức, buộc thôi việc",
})


def kht_overrides(official: OfficialInput, grounds: Iterable[KhtGround], period: Period,
                  units: Mapping[str, Unit], rubric: Rubric) -> tuple[Override, ...]:
    """KHT whatever the score (Decree 335/2025): discipline of reprimand (khiển trách) or
    heavier in the year; a competent conclusion of political/ethical degradation; for a head
    or deputy, corruption or waste dealt with in a unit they directly manage; a confirmed
    S14 signal."""
    found = []
    for ground in grounds:
        if not ground_in_reach(ground, period, rubric):
            continue
        if ground.kind is GroundKind.CORRUPTION:
            applies = (rubric.kht_corruption_for_leaders and is_leader(official, rubric)
                       and ground.unit is not None
                       and _levels_below(official.unit, ground.unit, units)
                       in range(rubric.kht_corruption_depth + 1))
            detail = f"tham nhũng, lãng phí bị xử lý ở {ground.unit}"
        elif ground.official != official.code:
            continue
        elif ground.kind is GroundKind.DISCIPLINE:
            applies = ground.level in rubric.kht_discipline_levels
            detail = f"kỷ luật: {DISCIPLINE_LEVELS.get(ground.level, ground.level)}"
        elif ground.kind is GroundKind.DEGRADATION:
            applies = rubric.kht_degradation
            detail = "kết luận suy thoái về tư tưởng chính trị, đạo đức"
        else:
            applies = ground.signal in rubric.kht_signals
            detail = f"dấu hiệu đã xác nhận {ground.signal}"
        if applies:
            # each part without its closing full stop: they are joined with "; "
            cited = [part.rstrip(". ") for part in (ground.reason, _decision_vi(ground))
                     if part.rstrip(". ")]
            if cited:
                detail = f"{detail} ({'; '.join(cited)})"
            found.append(Override(str(ground.kind), ground.on, ground.ref, detail))
    return tuple(sorted(found, key=lambda o: (o.on, o.kind, str(o.ref), o.detail)))


def _decision_vi(ground: KhtGround) -> str:
    """The confirmation of a signal record, in the card's words: "Nguyễn Văn A xác nhận vi
    phạm ngày 05/11/2026: <reason>"; "" for a ground that is no such record."""
    if ground.decided_on is None:
        return ""
    who = f"{ground.decided_by} " if ground.decided_by else ""
    said = f": {ground.decision}" if ground.decision else ""
    return f"{who}xác nhận vi phạm ngày {_day_vi(ground.decided_on)}{said}"


def _day_vi(day: dt.date) -> str:
    """A day in the engine's Vietnamese sentences: dd/mm/yyyy (20/10/2026), as the rest of
    the product writes days (the JSON's data fields keep ISO dates)."""
    return day.strftime("%d/%m/%Y")


def agency_of(unit: str, units: Mapping[str, Unit], rubric: Rubric) -> str:
    """The agency (cơ quan): the nearest unit of an agency kind containing `unit` (itself
    included); divisions belong to their agency. The root when none is."""
    code: str | None = unit
    last = unit
    while code is not None and code in units:
        if units[code].kind in rubric.agency_kinds:
            return code
        last = code
        code = units[code].parent
    return last


def quota_scopes(card: ScoreCard, rubric: Rubric) -> tuple[tuple[str, str | None], ...]:
    """The agency, and the task group within it (when the rubric counts by group and the
    official is in one)."""
    scopes: list[tuple[str, str | None]] = [(card.agency, None)]
    if rubric.quota_by_task_group and card.task_group is not None:
        scopes.append((card.agency, card.task_group))
    return tuple(scopes)


#: The keys a rubric may rank HTXS candidates by: (what it says, sort key; lower first).
TIE_BREAK_KEYS: dict[str, tuple[str, Any]] = {
    "total": ("tổng điểm cao hơn", lambda c: -(c.total or 0)),
    "task_points": ("điểm nhiệm vụ cao hơn", lambda c: -(c.task_points or 0)),
    "delays": ("ít lần chậm chưa được miễn trừ hơn", lambda c: c.delays),
    "major_errors": ("ít sai sót lớn chưa được miễn trừ hơn", lambda c: c.major_errors),
    "official": ("mã cán bộ", lambda c: c.official),
}


def quota_rank_key(card: ScoreCard, rubric: Rubric) -> tuple:
    """The rubric's tie-break, by default: higher total, higher task points, fewer delays
    not excused, fewer major errors not excused, then official code."""
    names = (*(n for n in rubric.tie_break if n != "official"), "official")
    return tuple(TIE_BREAK_KEYS[name][1](card) for name in names)


def _tie_break_text(rubric: Rubric) -> str:
    names = (*(n for n in rubric.tie_break if n != "official"), "official")
    return ", ".join(TIE_BREAK_KEYS[name][0] for name in names)


#: what `apply_quota` takes for an agency's exception: the exception, or its share alone
ExceptionInput = Number | QuotaException


def quota_share(agency: str, rubric: Rubric,
                exceptions: Mapping[str, ExceptionInput] | None = None
                ) -> tuple[Fraction, QuotaException | None]:
    """The HTXS share in `agency` and the exception that set it: the agency's approved
    exception when it raises the rubric's share (domain.md: it "raises the cap"), else the
    rubric's share and None. A share given alone is an exception without a decision."""
    value = (exceptions or {}).get(agency)
    if value is None:
        return rubric.quota_share, None
    exception = value if isinstance(value, QuotaException) else QuotaException(
        _fraction(value))
    if exception.share <= rubric.quota_share:
        return rubric.quota_share, None
    return exception.share, exception


def apply_quota(cards: Iterable[ScoreCard], rubric: Rubric,
                exceptions: Mapping[str, ExceptionInput] | None = None
                ) -> tuple[tuple[ScoreCard, ...], tuple[QuotaScope, ...]]:
    """HTXS may not exceed 20% of the number graded HTT, within each agency and each task
    group of it, on FINAL grades (Decree 335/2025): a candidate moved down becomes HTT and
    counts in the base. `exceptions` (agency → approved exception for an outstanding
    unit) raises the share for an agency (`quota_share`); the reasons then cite the
    exception's decision.

    Candidates (grade HTXS after overrides) are ranked by the rubric's tie-break. In rank
    order, each keeps HTXS if, in every scope of theirs, the kept so far plus them stays
    within share × (HTT + every other candidate not kept so far); else they become HTT.
    Each scope's counts change only when one of its members is kept, and that is checked
    then, so the limit holds at the end; 5 HTT + 3 candidates: the first keeps HTXS
    (1 ≤ 0.2 × 7), the second would need 2 ≤ 0.2 × 6 and becomes HTT, and so the third.
    """
    cards = sorted(cards, key=lambda c: c.official)
    htt: dict[tuple[str, str | None], int] = defaultdict(int)
    open_candidates: dict[tuple[str, str | None], int] = defaultdict(int)
    candidates = sorted((c for c in cards if c.grade_before_quota is Grade.HTXS),
                        key=lambda c: quota_rank_key(c, rubric))
    for card in cards:
        for scope in quota_scopes(card, rubric):
            if card.grade_before_quota is Grade.HTT:
                htt[scope] += 1
            elif card.grade_before_quota is Grade.HTXS:
                open_candidates[scope] += 1
    kept: dict[tuple[str, str | None], int] = defaultdict(int)
    decided: dict[str, ScoreCard] = {}
    per_agency_rank: dict[str, int] = defaultdict(int)
    per_agency_total = defaultdict(int)
    for card in candidates:
        per_agency_total[card.agency] += 1
    for card in candidates:
        per_agency_rank[card.agency] += 1
        rank = per_agency_rank[card.agency]
        share, exception = quota_share(card.agency, rubric, exceptions)
        scopes = quota_scopes(card, rubric)
        checks = []
        for scope in scopes:
            # the base if every other undecided candidate moves down
            base = htt[scope] + open_candidates[scope] - 1
            checks.append((scope, kept[scope] + 1, base, kept[scope] + 1 <= share * base))
        keep = all(ok for *_rest, ok in checks)
        for scope in scopes:
            open_candidates[scope] -= 1
            if keep:
                kept[scope] += 1
            else:
                htt[scope] += 1
        names = tuple(_scope_name(s) for s in scopes)
        worked = "; ".join(
            f"{_scope_name(s)}: {n} ≤ {_vi(share)} × {base} = {_vi(share * base)} "
            f"{'đạt' if ok else 'không đạt'}" for s, n, base, ok in checks)
        basis = f" theo {exception.basis}" if exception is not None and exception.basis else ""
        reason = (f"hạn mức HTXS {_vi(share * 100)}% số HTT cuối cùng{basis}: ứng viên thứ "
                  f"{rank}/{per_agency_total[card.agency]} ở {card.agency} (xếp theo "
                  f"{_tie_break_text(rubric)}); {worked} → "
                  f"{'giữ HTXS' if keep else 'chuyển xuống HTT'}")
        decision = QuotaDecision(rank, per_agency_total[card.agency], keep, names, reason,
                                 exception)
        decided[card.official] = dataclasses.replace(
            card, grade=Grade.HTXS if keep else Grade.HTT, quota_applied=not keep,
            quota=decision, reasons=(*card.reasons, reason))
    final = tuple(decided.get(c.official, c) for c in cards)
    return final, _quota_state(final, rubric, exceptions)


def _quota_state(cards: Sequence[ScoreCard], rubric: Rubric,
                 exceptions: Mapping[str, ExceptionInput] | None
                 ) -> tuple[QuotaScope, ...]:
    counts: dict[tuple[str, str | None], list[int]] = defaultdict(lambda: [0, 0, 0])
    for card in cards:
        for scope in quota_scopes(card, rubric):
            row = counts[scope]
            row[0] += card.grade_before_quota is Grade.HTXS
            row[1] += card.grade is Grade.HTXS
            row[2] += card.grade is Grade.HTT
    state = []
    for agency, group in sorted(counts, key=lambda s: (s[0], s[1] or "")):
        share, exception = quota_share(agency, rubric, exceptions)
        state.append(QuotaScope(agency, group, share, *counts[(agency, group)],
                                exception=exception))
    return tuple(state)


# -- a period ----------------------------------------------------------------------------


def score_period(
    *,
    period: Period | str,
    officials: Iterable[OfficialInput],
    tasks: Iterable[TaskInput],
    units: Mapping[str, Unit] | Iterable[Unit],
    calendar: WorkCalendar,
    assessments: Mapping[str, Assessment],
    grounds: Iterable[KhtGround] = (),
    rubric: Rubric = DEFAULT_RUBRIC,
    quota_exceptions: Mapping[str, ExceptionInput] | None = None,
) -> PeriodScores:
    """Score every official of one period (a month, or a quarter or year scored on its own
    tasks): task results from the tasks whose original deadline falls in it, general
    criteria from `assessments` (official code → assessment for this period), grades, KHT
    overrides and the quota. `tasks` holds every task of the scope, so that a leader's d
    sees their whole unit."""
    period = Period.parse(period) if isinstance(period, str) else period
    check_in_force(period, rubric)
    units = _units(units)
    officials = tuple(officials)
    facts = close_tasks(tasks, calendar, period)
    led = {o.unit for o in officials if is_leader(o, rubric)}
    pooled = pool_tallies(lead_tallies(facts, rubric), led, units)
    cards = score_officials(period=period, officials=officials, facts=facts, pooled=pooled,
                            units=units, assessments=assessments, grounds=grounds,
                            rubric=rubric)
    final, state = apply_quota(cards, rubric, quota_exceptions)
    return PeriodScores(period.label, final, state)


# A period can also be scored part by part (the caller's parts of the organisation, e.g. one
# agency at a time, to bound memory or share the work among processes), with the same cards:
# `close_tasks` on each part's tasks; `lead_tallies` of each part (every task counted in
# exactly one part, by its lead unit) added up over the parts, then `pool_tallies`;
# `score_officials` for each official with ALL their own facts (a leader's card also needs
# the pooled tallies, so leaders are scored once every part is read); `apply_quota` on all
# cards. `score_period` is these steps on one part, the whole scope.


def close_tasks(tasks: Iterable[TaskInput], calendar: WorkCalendar,
                period: Period) -> list[TaskAtClose]:
    """The tasks that count as assigned in the period, as they stood at its close, ordered
    by task code."""
    facts = (task_at_close(t, calendar, period) for t in tasks
             if counts_as_assigned(t, period))
    # a protected initiative not completed is not held against its official (domain.md, S15)
    return sorted((f for f in facts if f.completed or not f.task.protected),
                  key=lambda f: f.task.code)


def lead_tallies(facts: Iterable[TaskAtClose], rubric: Rubric) -> dict[str, Tally]:
    """Each lead unit's tally of its own tasks (not yet added to the units above). Tallies
    are exact sums: those of disjoint parts add up to the whole's."""
    by_lead: dict[str, list[TaskAtClose]] = defaultdict(list)
    for fact in facts:
        by_lead[fact.task.history.lead.unit].append(fact)
    return {lead: Tally.of(found, rubric) for lead, found in by_lead.items()}


def add_tallies(into: dict[str, Tally], tallies: Mapping[str, Tally]) -> dict[str, Tally]:
    """`into` with `tallies` added, unit by unit (parts' `lead_tallies` into the whole's)."""
    for unit, tally in tallies.items():
        into[unit] = into[unit] + tally if unit in into else tally
    return into


def pool_tallies(tallies: Mapping[str, Tally], led: set[str],
                 units: Mapping[str, Unit]) -> dict[str, Tally]:
    """The tally of each led unit's subtree: each lead unit's tally added to every led unit
    above it (itself included)."""
    pooled: dict[str, Tally] = {}
    for lead in sorted(tallies):
        for unit in _ancestry(lead, units):
            if unit in led:
                pooled[unit] = pooled.get(unit, Tally()) + tallies[lead]
    return pooled


def score_officials(*, period: Period, officials: Iterable[OfficialInput],
                    facts: Iterable[TaskAtClose], pooled: Mapping[str, Tally],
                    units: Mapping[str, Unit], assessments: Mapping[str, Assessment],
                    grounds: Iterable[KhtGround], rubric: Rubric) -> list[ScoreCard]:
    """The cards of `officials` before the quota, ordered by official code: each from their
    own facts (the tasks they lead, among `facts`, which must hold all of them), a leader's
    also from the pooled tally of the unit they lead."""
    own: dict[str, list[TaskAtClose]] = defaultdict(list)
    for fact in sorted(facts, key=lambda f: f.task.code):
        if fact.task.history.lead.official is not None:
            own[fact.task.history.lead.official].append(fact)
    concerning = _grounds_by_official(grounds)
    return [
        _card(official, period, own.get(official.code, []), pooled.get(official.unit, Tally()),
              assessments.get(official.code),
              concerning.get(official.code, ()) + concerning.get(None, ()), units, rubric)
        for official in sorted(officials, key=lambda o: o.code)
    ]


def _grounds_by_official(grounds: Iterable[KhtGround]) -> dict[str | None, tuple]:
    """Grounds about each official; those about a unit (corruption) under None."""
    found: dict[str | None, list[KhtGround]] = defaultdict(list)
    for ground in grounds:
        found[None if ground.kind is GroundKind.CORRUPTION else ground.official].append(ground)
    return {key: tuple(value) for key, value in found.items()}


def _card(official: OfficialInput, period: Period, facts: list[TaskAtClose],
          unit_tally: Tally, assessment: Assessment | None,
          grounds: Sequence[KhtGround], units: Mapping[str, Unit],
          rubric: Rubric) -> ScoreCard:
    leader = is_leader(official, rubric)
    tally = Tally.of(facts, rubric)
    parts: dict[str, Fraction | None] = {
        "a": quantity_ratio(tally), "b": quality_ratio(tally), "c": progress_ratio(tally)}
    if leader:
        parts["d"] = unit_result(unit_tally, rubric)
        parts["đ"] = assessment.organising if assessment else None
        parts["e"] = assessment.uniting if assessment else None
    exact_t = task_points(parts, leader, rubric)
    general = general_points(assessment, rubric)
    points = total(exact_t, general, rubric)
    by_score = grade_for(points, rubric)
    overrides = kht_overrides(official, grounds, period, units, rubric)
    before_quota = Grade.KHT if overrides else by_score
    weights = rubric.leader_weights if leader else rubric.staff_weights
    rounded_t = round_points(exact_t, rubric) if exact_t is not None else None
    losses = _task_losses(facts, tally.assigned, weights, rubric)
    if leader and exact_t is not None:
        losses += _component_losses(parts, _used_weights(parts, weights), official.unit,
                                    rubric)
    deductions = _apportion(losses, _shortfall(rounded_t, rubric), rubric)
    if general is not None and general < rubric.general_max:
        deductions.append(_general_deduction(general, assessment, rubric))
    reasons = _reasons(parts, leader, exact_t, general, overrides, by_score, rubric)
    return ScoreCard(
        official=official.code, unit=official.unit,
        agency=official.agency or agency_of(official.unit, units, rubric),
        task_group=official.task_group, position=official.position, period=period.label,
        rubric_version=rubric.version, engine_version=ENGINE_VERSION,
        tasks=tuple(task_line(f) for f in facts),
        assigned=_exact(tally.assigned) if facts else None,
        completed=_exact(tally.completed) if facts else None,
        quantity=_ratio(parts["a"], rubric), quality=_ratio(parts["b"], rubric),
        progress=_ratio(parts["c"], rubric),
        unit_result=_ratio(parts.get("d"), rubric), organising=_ratio(parts.get("đ"), rubric),
        uniting=_ratio(parts.get("e"), rubric),
        task_points=rounded_t,
        general_points=round_points(general, rubric) if general is not None else None,
        total=points, grade_by_score=by_score, overrides=overrides,
        grade_before_quota=before_quota, grade=before_quota,
        deductions=tuple(deductions),
        delays=sum(f.delays_not_excused for f in facts if f.completed),
        major_errors=sum(f.errors_not_excused for f in facts if f.completed),
        formula=_formula(parts, weights, tally, unit_tally, official, exact_t, general, points,
                         by_score, before_quota, rubric),
        reasons=reasons,
    )


#: A deduction's exact cost in task points, and the deduction with that cost rounded half-up.
_Loss = tuple[Fraction, Deduction]


#: why a protected initiative's delay or error costs nothing (domain.md, S15)
PROTECTED_REASON = "sáng kiến được bảo vệ (S15): thất bại không bị tính"


def _task_losses(facts: Sequence[TaskAtClose], assigned: Fraction,
                 weights: Sequence[tuple[str, Fraction]], rubric: Rubric) -> list[_Loss]:
    """Each product not completed, each major error and each delay of a completed product,
    with the task points it cost, exact: task_max × weight ÷ Σ weights × share × converted ÷
    assigned (a product not completed loses its whole share of a, b and c)."""
    if not assigned:
        return []
    weight = dict(weights)
    per = rubric.task_max / sum(weight.values()) / assigned
    result: list[_Loss] = []
    for fact in facts:
        task = fact.task
        if not fact.completed:
            lost = per * fact.converted * (weight["a"] + weight["b"] + weight["c"])
            result.append((lost, Deduction(
                "not_completed", round_points(lost, rubric), task.code, share=Decimal(1),
                deadline=task.history.due, reason="chưa hoàn thành khi đóng kỳ")))
            continue
        protected = task.protected  # an S15 initiative protected: nothing held against
        why = PROTECTED_REASON if protected else None
        left: Fraction | int = 1
        for index, excused in fact.major_errors:
            excused = excused or protected
            share = Fraction(0) if excused else min(left, rubric.major_error_deduction)
            left -= share
            lost = per * weight["b"] * share * fact.converted
            result.append((lost, Deduction(
                "major_error", round_points(lost, rubric), task.code, task.ref(index),
                share=_exact(share), excused=excused,
                excused_by=task.ref(index) if excused else None, reason=why)))
        for error in fact.found_errors:
            share = Fraction(0) if protected else min(left, rubric.major_error_deduction)
            left -= share
            lost = per * weight["b"] * share * fact.converted
            result.append((lost, Deduction(
                "major_error", round_points(lost, rubric), task.code, share=_exact(share),
                reason=why or error.reason or None, finding=error.ref, excused=protected)))
        left = 1
        for deadline, settled, late, excused_by in fact.delays:
            excused = excused_by is not None or protected
            share = Fraction(0) if excused else min(left, rubric.delay_deduction)
            left -= share
            lost = per * weight["c"] * share * fact.converted
            result.append((lost, Deduction(
                "delay", round_points(lost, rubric), task.code, task.ref(settled),
                share=_exact(share), deadline=deadline, workdays_late=late,
                excused=excused, excused_by=task.ref(excused_by), reason=why)))
    return result


def _component_losses(parts: Mapping[str, Fraction | None],
                      used: Sequence[tuple[str, Fraction]], unit: str,
                      rubric: Rubric) -> list[_Loss]:
    """A head's or deputy's d (their unit's result), đ and e below 1, each with the task
    points it cost: task_max × weight ÷ Σ weights × (1 − the component). With the task
    losses they make up the whole of task_max − T."""
    denominator = sum(w for _k, w in used)
    result: list[_Loss] = []
    for key, weight in used:
        value = parts[key]
        if key not in COMPONENT_DEDUCTIONS or value is None or value >= 1:
            continue
        kind, what = COMPONENT_DEDUCTIONS[key]
        shown = _ratio(value, rubric) if key == "d" else value  # as the formula shows it
        times = "" if weight == 1 else f" × {_vi(weight)}"
        reason = (f"{what.format(unit=unit)} ({key} = {_vi(shown)}): trừ "
                  f"{_vi(rubric.task_max)}{times} × (1 − {key}) / {_vi(denominator)}")
        lost = rubric.task_max * weight / denominator * (1 - value)
        result.append((lost, Deduction(kind, round_points(lost, rubric), reason=reason,
                                       unit=unit if key == "d" else None,
                                       value=_ratio(value, rubric))))
    return result


def _shortfall(t: Decimal | None, rubric: Rubric) -> Decimal | None:
    """What the task points' deductions add up to: task_max − T as shown (None: no T)."""
    return None if t is None else round_points(rubric.task_max, rubric) - t


def _shortfall_line(t: Decimal, rubric: Rubric) -> list[str]:
    """The formula's line saying what the task deductions add up to (none when T is full)."""
    shortfall = _shortfall(t, rubric)
    if not shortfall:
        return []
    return [f"tổng các khoản trừ điểm nhiệm vụ = {_vi(rubric.task_max)} − T = "
            f"{_vi(rubric.task_max)} − {_vi(t)} = {_vi(shortfall)}"]


def _apportion(losses: Sequence[_Loss], shortfall: Decimal | None,
               rubric: Rubric) -> list[Deduction]:
    """The deductions, each with its exact loss rounded to `rubric.decimals` so that they add
    up to `shortfall` (task_max − T as shown), by largest remainders: each amount rounded
    down, then the hundredths still missing added to those with the largest remainders
    (ties: in list order). The exact losses add up to task_max − the exact T, which is
    within half a hundredth of the shortfall, so every amount ends within a hundredth of its
    exact value; those with a remainder of half a hundredth or more are the ones rounded up
    whenever that adds up, so most amounts are their half-up rounding, and one rounded the
    other way says so. With no T (no shortfall), each is rounded half-up."""
    if shortfall is None or sum(d.points for _loss, d in losses) == shortfall:
        return [d for _loss, d in losses]  # half-up adds up: largest remainders agree
    scale = 10**rubric.decimals
    # loss × scale = floor + remainder / denominator, in integers
    split = [(*divmod(loss.numerator * scale, loss.denominator), loss.denominator)
             for loss, _d in losses]
    missing = int(shortfall.scaleb(rubric.decimals)) - sum(floor for floor, _r, _d in split)
    if not 0 <= missing <= len(losses):  # cannot happen: the losses make up task_max − T
        raise ArithmeticError(f"the deductions cannot add up to {shortfall}")
    by_remainder = sorted(range(len(losses)), key=lambda i: -Fraction(split[i][1], split[i][2]))
    up = set(by_remainder[:missing])
    floors = [floor for floor, _r, _d in split]
    adds_up = f"để các khoản trừ cộng lại đúng {_vi(rubric.task_max)} − T = {_vi(shortfall)}"
    result = []
    for i, (_loss, deduction) in enumerate(losses):
        points = Decimal(floors[i] + (i in up)).scaleb(-rubric.decimals)
        if points != deduction.points:
            way, word = ("up", "lên") if points > deduction.points else ("down", "xuống")
            deduction = dataclasses.replace(
                deduction, points=points, rounded=way,
                reason=_join(deduction.reason, f"làm tròn {word} {adds_up}"))
        result.append(deduction)
    return result


def _join(*texts: str | None) -> str | None:
    """The non-empty texts as one line, joined by "; "."""
    return "; ".join(t for t in texts if t) or None


def _general_deduction(general: Fraction, assessment: Assessment | None,
                       rubric: Rubric) -> Deduction:
    """general_max − the general points as shown (so the two add up to 30 on the card)."""
    return Deduction("general",
                     round_points(rubric.general_max, rubric) - round_points(general, rubric),
                     reason="; ".join(assessment.reasons) if assessment else None)


def _used_weights(parts: Mapping[str, Fraction | None],
                  weights: Sequence[tuple[str, Fraction]]) -> list[tuple[str, Fraction]]:
    """The weights T is computed with: a leader scored on d, đ and e alone (the rubric's
    "unit_only", no product of their own) drops a, b and c."""
    if parts["a"] is None:
        return [(k, w) for k, w in weights if k not in {"a", "b", "c"}]
    return list(weights)


def _reasons(parts, leader, exact_t, general, overrides, by_score, rubric) -> tuple[str, ...]:
    reasons = []
    if parts["a"] is None:
        reasons.append("không được giao sản phẩm trong kỳ: không có điểm nhiệm vụ "
                       "(chưa có dữ liệu)")
    elif exact_t is None and leader:
        missing = [k for k in ("d", "đ", "e") if parts.get(k) is None]
        reasons.append(f"thiếu {', '.join(missing)} của lãnh đạo: không có điểm nhiệm vụ "
                       "(chưa có dữ liệu)")
    if general is None:
        reasons.append("chưa đánh giá tiêu chí chung: chưa có tổng điểm (chưa có dữ liệu)")
    reasons.extend(f"KHT không phụ thuộc điểm: {o.detail}, {_day_vi(o.on)}"
                   for o in overrides)
    if by_score is Grade.KHT:
        last = rubric.thresholds[-1][1]
        reasons.append(f"tổng điểm dưới {_vi(last)}: KHT")
    return tuple(reasons)


def task_line(fact: TaskAtClose) -> TaskLine:
    """The line a card lists for a task as it stood at the close."""
    task = fact.task
    return TaskLine(
        task=task.code, product=task.product, coefficient=_exact(task.coefficient),
        quantity=task.quantity, converted=_exact(task.converted), deadline=task.history.due,
        completed=fact.completed, done_event=task.ref(fact.done_event),
        major_errors=fact.errors_not_excused, delays=fact.delays_not_excused)


def _formula(parts, weights, tally, unit_tally, official, exact_t, general, points,
             by_score, grade, rubric) -> str:
    """The formula with its numbers, in Vietnamese with decimal commas, e.g. "a = 3 / 4 =
    0,7500; … T = 70 × (a + b + c) / 3 = 70 × 2,0625 / 3 = 48,13; tổng = T + tiêu chí
    chung = 48,13 + 27,00 = 75,13 → HTT"."""
    if parts["a"] is None and exact_t is None:
        return "không được giao sản phẩm: T = chưa có dữ liệu"
    lines = []
    if parts["a"] is not None:
        assigned = _vi(tally.assigned)
        lines += [
            f"a = {_vi(tally.completed)} / {assigned} = {_vi(_ratio(parts['a'], rubric))}",
            f"b = {_vi(tally.quality)} / {assigned} = {_vi(_ratio(parts['b'], rubric))}",
            f"c = {_vi(tally.progress)} / {assigned} = {_vi(_ratio(parts['c'], rubric))}",
        ]
    if "d" in parts:
        if parts["d"] is None:
            lines.append(f"d = kết quả của {official.unit}: chưa có dữ liệu")
        else:
            unit_parts = [quantity_ratio(unit_tally), quality_ratio(unit_tally),
                          progress_ratio(unit_tally)]
            lines.append(f"d = kết quả của {official.unit} = ("
                         + " + ".join(_vi(_ratio(p, rubric)) for p in unit_parts)
                         + f") / 3 = {_vi(_ratio(parts['d'], rubric))}")
        lines += [f"đ = {_vi(parts['đ'])}", f"e = {_vi(parts['e'])}"]
    used = _used_weights(parts, weights)
    plain = all(w == 1 for _k, w in used)
    names = " + ".join(k if plain else f"{_vi(w)}·{k}" for k, w in used)
    denominator = sum(w for _k, w in used)
    if exact_t is None:
        lines.append(f"T = {_vi(rubric.task_max)} × ({names}) / {_vi(denominator)}"
                     " = chưa có dữ liệu")
        return "; ".join(lines)
    weighted = sum(w * parts[k] for k, w in used)  # type: ignore[operator]
    t = round_points(exact_t, rubric)
    lines.append(f"T = {_vi(rubric.task_max)} × ({names}) / {_vi(denominator)} = "
                 f"{_vi(rubric.task_max)} × {_vi(_ratio(weighted, rubric))} / "
                 f"{_vi(denominator)} = {_vi(t)}")
    lines += _shortfall_line(t, rubric)
    if general is None:
        lines.append("tổng = chưa có dữ liệu (chưa đánh giá tiêu chí chung)")
    else:
        verdict = (f"{by_score}" if grade == by_score
                   else f"{by_score}, KHT do căn cứ bắt buộc")
        lines.append(f"tổng = T + tiêu chí chung = {_vi(t)} + "
                     f"{_vi(round_points(general, rubric))} = {_vi(points)} → {verdict}")
    return "; ".join(lines)


# -- quarter and year --------------------------------------------------------------------


def roll_up(
    *,
    period: Period | str,
    monthly: Iterable[ScoreCard],
    officials: Iterable[OfficialInput],
    units: Mapping[str, Unit] | Iterable[Unit],
    assessments: Mapping[str, Assessment],
    grounds: Iterable[KhtGround] = (),
    rubric: Rubric = DEFAULT_RUBRIC,
    quota_exceptions: Mapping[str, ExceptionInput] | None = None,
) -> PeriodScores:
    """Quarter or year (domain.md, "Year"): task result = mean of the monthly task points
    of the months in the period that have data (as published: rounded, then the mean
    rounded half-up); general criteria as assessed for the period (rubric
    `rollup_general`); total = sum; then the same thresholds, overrides and quota.
    `monthly` are the months' cards; the card lists each month's T and the task
    deductions of the months with data, each worth its month's points ÷ the number of those
    months (so that they add up to 70 − T of the period), plus the period's general
    deduction."""
    return _roll_up(kind=None, period=period, monthly=monthly, officials=officials, units=units,
                    assessments=assessments, grounds=grounds, rubric=rubric,
                    quota_exceptions=quota_exceptions)


def roll_up_quarter(
    *,
    period: Period | str,
    monthly: Iterable[ScoreCard],
    officials: Iterable[OfficialInput],
    units: Mapping[str, Unit] | Iterable[Unit],
    assessments: Mapping[str, Assessment],
    grounds: Iterable[KhtGround] = (),
    rubric: Rubric = DEFAULT_RUBRIC,
    quota_exceptions: Mapping[str, ExceptionInput] | None = None,
) -> PeriodScores:
    """A quarter ("2026-Q4") from its three months: see `roll_up`."""
    return _roll_up(kind="quarter", period=period, monthly=monthly, officials=officials,
                    units=units, assessments=assessments, grounds=grounds, rubric=rubric,
                    quota_exceptions=quota_exceptions)


def roll_up_year(
    *,
    period: Period | str,
    monthly: Iterable[ScoreCard],
    officials: Iterable[OfficialInput],
    units: Mapping[str, Unit] | Iterable[Unit],
    assessments: Mapping[str, Assessment],
    grounds: Iterable[KhtGround] = (),
    rubric: Rubric = DEFAULT_RUBRIC,
    quota_exceptions: Mapping[str, ExceptionInput] | None = None,
) -> PeriodScores:
    """The year ("2026"), whose grade is the official one, from its twelve months: see
    `roll_up`."""
    return _roll_up(kind="year", period=period, monthly=monthly, officials=officials,
                    units=units, assessments=assessments, grounds=grounds, rubric=rubric,
                    quota_exceptions=quota_exceptions)


def _roll_up(*, kind: str | None, period: Period | str, monthly: Iterable[ScoreCard],
             officials: Iterable[OfficialInput], units: Mapping[str, Unit] | Iterable[Unit],
             assessments: Mapping[str, Assessment], grounds: Iterable[KhtGround] = (),
             rubric: Rubric = DEFAULT_RUBRIC,
             quota_exceptions: Mapping[str, ExceptionInput] | None = None) -> PeriodScores:
    period = Period.parse(period) if isinstance(period, str) else period
    if kind is not None and period.kind != kind:
        raise ValueError(f"{period.label} is not a {kind}")
    if period.kind == "month":
        raise ValueError("a month is scored from its tasks, not rolled up")
    if rubric.rollup_task_result != "mean_of_months":
        raise ValueError(f"unknown rollup_task_result {rubric.rollup_task_result!r}")
    check_in_force(period, rubric)
    units = _units(units)
    grounds = tuple(grounds)
    concerning = _grounds_by_official(grounds)
    months = {m.label for m in period.months()}
    by_official: dict[str, dict[str, ScoreCard]] = defaultdict(dict)
    for card in monthly:
        if card.period in months:
            by_official[card.official][card.period] = card
    cards = []
    for official in sorted(officials, key=lambda o: o.code):
        own = [by_official[official.code][m] for m in sorted(by_official[official.code])]
        with_data = [c for c in own if c.task_points is not None]
        # a month with products assigned but no T (a leader's d, đ or e missing) is not a
        # month without data: leaving it out of the mean would drop a bad month, so the
        # period has no T until that month's ratings are given
        unrated = [c.period for c in own if c.task_points is None and c.assigned]
        exact_t = (sum((Fraction(c.task_points) for c in with_data), Fraction(0))
                   / len(with_data)) if with_data and not unrated else None
        assessment = assessments.get(official.code)
        if rubric.rollup_general == "period_assessment":
            general = general_points(assessment, rubric)
        elif rubric.rollup_general == "mean_of_months":
            known = [Fraction(c.general_points) for c in own if c.general_points is not None]
            general = sum(known, Fraction(0)) / len(known) if known else None
        else:
            raise ValueError(f"unknown rollup_general {rubric.rollup_general!r}")
        points = total(exact_t, general, rubric)
        by_score = grade_for(points, rubric)
        overrides = kht_overrides(
            official, concerning.get(official.code, ()) + concerning.get(None, ()), period,
            units, rubric)
        before_quota = Grade.KHT if overrides else by_score
        t = round_points(exact_t, rubric) if exact_t is not None else None
        months_unrated = ", ".join(_month_vi(label) for label in unrated)
        formula = (f"T = chưa có dữ liệu (tháng {months_unrated} có sản phẩm được giao "
                   "nhưng chưa có điểm nhiệm vụ: thiếu d, đ hoặc e của lãnh đạo)" if unrated
                   else _mean_of_months(with_data, t) if with_data
                   else "T = chưa có dữ liệu (không tháng nào được giao sản phẩm)")
        if t is not None:
            formula = "; ".join([formula, *_shortfall_line(t, rubric)])
        if points is not None:
            verdict = (by_score if before_quota == by_score
                       else f"{by_score}, KHT do căn cứ bắt buộc")
            formula += (f"; tổng = T + tiêu chí chung = {_vi(t)} + "
                        f"{_vi(round_points(general, rubric))} = {_vi(points)} → {verdict}")
        reasons = _reasons({"a": exact_t}, False, exact_t, general, overrides, by_score, rubric)
        if unrated:
            reasons = (f"tháng {months_unrated} chưa có điểm nhiệm vụ (thiếu d, đ hoặc e của "
                       "lãnh đạo): chưa tính được điểm nhiệm vụ của kỳ (chưa có dữ liệu)",
                       *reasons[1:])
        deductions = _apportion(_monthly_losses(with_data, rubric), _shortfall(t, rubric), rubric)
        if general is not None and general < rubric.general_max:
            deductions.append(_general_deduction(general, assessment, rubric))
        cards.append(ScoreCard(
            official=official.code, unit=official.unit,
            agency=official.agency or agency_of(official.unit, units, rubric),
            task_group=official.task_group, position=official.position, period=period.label,
            rubric_version=rubric.version, engine_version=ENGINE_VERSION,
            tasks=tuple(line for c in own for line in c.tasks),
            task_points=t,
            general_points=round_points(general, rubric) if general is not None else None,
            total=points, grade_by_score=by_score, overrides=overrides,
            grade_before_quota=before_quota, grade=before_quota, deductions=tuple(deductions),
            delays=sum(c.delays for c in own), major_errors=sum(c.major_errors for c in own),
            months=tuple((c.period, c.task_points) for c in own),
            formula=formula, reasons=reasons))
    final, state = apply_quota(cards, rubric, quota_exceptions)
    return PeriodScores(period.label, final, state)


def _month_vi(label: str) -> str:
    """A month label as the cards and the pages write it: "2026-11" → "11/2026", "2026-09"
    → "9/2026" (after "tháng")."""
    year, month = label.split("-")
    return f"{int(month)}/{year}"


def _mean_of_months(with_data: Sequence[ScoreCard], t: Decimal | None) -> str:
    """The formula's line for T of a quarter or year, naming the months it averages:
    "T = trung bình T các tháng có dữ liệu = (T tháng 10/2026 + T tháng 11/2026) / 2 =
    (67,08 + 35,00) / 2 = 51,04"; one month: "… = T tháng 9/2026 = 70,00"."""
    head = "T = trung bình T các tháng có dữ liệu = "
    if len(with_data) == 1:
        return f"{head}T tháng {_month_vi(with_data[0].period)} = {_vi(t)}"
    names = " + ".join(f"T tháng {_month_vi(c.period)}" for c in with_data)
    shown = " + ".join(_vi(c.task_points) for c in with_data)
    n = len(with_data)
    return f"{head}({names}) / {n} = ({shown}) / {n} = {_vi(t)}"


def _monthly_losses(months: Sequence[ScoreCard], rubric: Rubric) -> list[_Loss]:
    """The task deductions of the months with data, each worth its month's points ÷ the
    number of those months in the period's T (their mean), with its month. A month's
    note on its own rounding is dropped: the amounts are rounded again for the period."""
    result: list[_Loss] = []
    for card in months:
        for deduction in card.deductions:
            if deduction.kind == "general":
                continue
            reason = deduction.reason
            if deduction.rounded and reason:  # the note is the reason's last part
                reason = reason.rpartition("; ")[0] or None
            month = f"tháng {_month_vi(card.period)}"
            if len(months) > 1:
                month += (f": {_vi(deduction.points)} điểm của tháng ÷ {len(months)} "
                          "tháng có dữ liệu")
            lost = Fraction(deduction.points) / len(months)
            result.append((lost, dataclasses.replace(
                deduction, points=round_points(lost, rubric), reason=_join(reason, month),
                month=card.period, rounded=None)))
    return result


# -- helpers -----------------------------------------------------------------------------


def check_in_force(period: Period, rubric: Rubric) -> None:
    if period.start < rubric.effective_from:
        raise ValueError(f"rubric {rubric.version} is in force from "
                         f"{rubric.effective_from.isoformat()}, not for {period.label}")


def _units(units: Mapping[str, Unit] | Iterable[Unit]) -> Mapping[str, Unit]:
    if isinstance(units, Mapping):
        return units
    return {u.code: u for u in units}


def _ancestry(unit: str, units: Mapping[str, Unit]) -> list[str]:
    chain: list[str] = []
    code: str | None = unit
    while code is not None and code not in chain:
        chain.append(code)
        code = units[code].parent if code in units else None
    return chain


def _levels_below(top: str, unit: str, units: Mapping[str, Unit]) -> int:
    """How many levels `unit` is below `top` (0: itself; -1: not under it)."""
    chain = _ancestry(unit, units)
    return chain.index(top) if top in chain else -1


def _weighted(parts: Mapping[str, Fraction | None],
              weights: Sequence[tuple[str, Fraction]]) -> Fraction:
    return (sum((w * parts[k] for k, w in weights), Fraction(0))  # type: ignore[operator]
            / sum(w for _k, w in weights))


def _month_end(day: dt.date) -> dt.date:
    following = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def _fraction(value: Number) -> Fraction:
    if isinstance(value, Fraction):
        return value
    if isinstance(value, float):
        return Fraction(repr(value))
    return Fraction(value)


def _simplest(value: Fraction) -> Fraction:
    """A whole number as an int: sums of whole products stay fast integer arithmetic."""
    return value.numerator if value.denominator == 1 else value  # type: ignore[return-value]


def _fsum(values: Iterable[Fraction | int]) -> Fraction:
    """Σ of exact values, as `sum()` gives it, but fast: numerators are added as integers
    per denominator (converted products have few distinct denominators), and only those
    few partial sums are added as fractions. Python's Fraction normalises after every
    addition, which made sums the bulk of scoring a large city."""
    by_denominator: dict[int, int] = defaultdict(int)
    for value in values:
        by_denominator[value.denominator] += value.numerator
    total: Fraction | int = 0
    for denominator, numerator in by_denominator.items():
        total += numerator if denominator == 1 else Fraction(numerator, denominator)
    return total if isinstance(total, int) else _simplest(total)  # type: ignore[return-value]


def _times(value: Fraction | int, multiplier: Fraction | int) -> Fraction:
    """value × multiplier, skipping the fraction arithmetic when the multiplier is 1 (a
    product without errors or delays, the usual case)."""
    return value if multiplier == 1 else value * multiplier  # type: ignore[return-value]


def _round_half_up(value: Fraction, places: int) -> Decimal:
    """Half-up to `places` decimals, in integer arithmetic: floor(x·10^p + ½) is
    (2·n·10^p + d) // 2d for x = n/d (Python's // floors, so negatives are mirrored)."""
    numerator, denominator = value.numerator, value.denominator
    scale = 10**places
    if numerator >= 0:
        units = (2 * numerator * scale + denominator) // (2 * denominator)
    else:
        units = -((-2 * numerator * scale + denominator) // (2 * denominator))
    return Decimal(units).scaleb(-places)


def _ratio(value: Fraction | None, rubric: Rubric) -> Decimal | None:
    return None if value is None else _round_half_up(value, rubric.ratio_decimals)


def ratio_as_shown(value: Fraction | None, rubric: Rubric) -> Decimal | None:
    """A ratio (a, b, c, d, …) rounded as a card stores and shows it."""
    return _ratio(value, rubric)


def _exact(value: Fraction) -> Decimal:
    """A terminating fraction as an exact decimal (coefficients, converted products)."""
    shown = _show(value)
    return Decimal(shown)


@functools.lru_cache(maxsize=4096)
def _show(value: Fraction | int | Decimal) -> str:
    """Exact when the decimal terminates within 6 places (3.5, 0.25), else 4 places."""
    value = Fraction(value)
    for places in range(7):
        scaled = value * 10**places
        if scaled.denominator == 1:
            return str(Decimal(int(scaled)).scaleb(-places))
    return str(_round_half_up(value, 4))


def _vi(value: Number | None) -> str:
    """A number in the engine's Vietnamese sentences (formula, reasons): written as `_show`
    writes it (a Decimal as it is: 0.9359, 67.50), with a decimal comma (0,9359; 67,50), as
    the rest of the card is shown (signals' `_num` does the same); a missing one (None) as
    "thiếu". `_show` itself keeps the point: it also builds exact Decimals (`_exact`)."""
    if value is None:
        return "thiếu"
    shown = str(value) if isinstance(value, Decimal) else _show(_fraction(value))
    return shown.replace(".", ",")


def _scope_name(scope: tuple[str, str | None]) -> str:
    agency, group = scope
    return f"cơ quan {agency}" if group is None else f"nhóm nhiệm vụ {group} của {agency}"


def _plain(value: Any) -> Any:
    """JSON-ready: dataclasses as objects, numbers as numbers, dates as ISO strings, enums
    as their values. Dispatches on the exact type first (a card holds tens of values per
    task, and a city tens of thousands of cards), then on the general cases."""
    kind = type(value)
    convert = _PLAIN_BY_TYPE.get(kind)
    if convert is not None:
        return convert(value)
    names = _FIELD_NAMES.get(kind)
    if names is None and dataclasses.is_dataclass(value) and not isinstance(value, type):
        names = _FIELD_NAMES[kind] = tuple(f.name for f in dataclasses.fields(value))
    if names is not None:
        return {name: _plain(getattr(value, name)) for name in names}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal | Fraction):
        return float(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _same(value: Any) -> Any:
    return value


_PLAIN_BY_TYPE: dict[type, Any] = {
    str: _same, int: _same, bool: _same, float: _same, type(None): _same,
    Decimal: float, Fraction: float, dt.date: dt.date.isoformat,
    dt.datetime: dt.datetime.isoformat,
    tuple: lambda v: [_plain(x) for x in v], list: lambda v: [_plain(x) for x in v],
}
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


__all__ = [
    "DEFAULT_RUBRIC",
    "ENGINE_VERSION",
    "RUBRIC_335_2025",
    "Assessment",
    "Deduction",
    "FoundError",
    "Grade",
    "GroundKind",
    "KhtGround",
    "OfficialInput",
    "Override",
    "Period",
    "PeriodScores",
    "QuotaDecision",
    "QuotaException",
    "QuotaScope",
    "Rubric",
    "ScoreCard",
    "Tally",
    "TaskAtClose",
    "TaskInput",
    "TaskLine",
    "Unit",
    "agency_of",
    "apply_quota",
    "belongs_to_period",
    "converted_assigned",
    "converted_completed",
    "counts_as_assigned",
    "general_points",
    "grade_for",
    "kht_overrides",
    "progress_kept",
    "progress_ratio",
    "quality_kept",
    "quality_ratio",
    "quantity_ratio",
    "quota_share",
    "roll_up",
    "roll_up_quarter",
    "roll_up_year",
    "score_period",
    "task_at_close",
    "task_points",
    "total",
    "unit_result",
]
