"""The service index (Bộ chỉ số phục vụ người dân, doanh nghiệp; Decision 766/QĐ-TTg, 2022).

The index scores a body out of 100 in five groups: transparency 18, progress and results of
handling 20, digitisation of dossiers 22, online services 22, satisfaction 18 (domain.md).
This engine computes the groups whose data the application holds; the others are "no data"
(None), never zero, and the total is given with the maximum of the groups that have data.

Rates (each a `Fraction`, or None when its denominator is 0):

- on-time rate = dossiers done on or before their deadline in force ÷ dossiers done in the
  period;
- late rate = (open overdue at the period's end + done late in the period) ÷ (received in
  the period + carried over: received before it and still open at its start);
- online rate = received online ÷ received in the period;
- feedback handled on time = answered in the period by the reply deadline ÷ (answered in
  the period + open past the reply deadline at the period's end);
- satisfaction with feedback handling = (all − unsatisfied − late) ÷ all, over the feedback
  closed in the period; a case both unsatisfied and late is taken off once;
- satisfaction with dossier handling = rated not unsatisfied ÷ rated, over the dossiers
  rated in the period.

Points of a group (rounded half-up to 2 decimals):

- progress and results (20) = 20 × (on-time rate + (1 − late rate)) ÷ 2, over the rates
  that have data;
- online services (22) = 22 × online rate;
- satisfaction (18) = 18 × the mean of the available rates among feedback handled on time,
  satisfaction with feedback handling and satisfaction with dossier handling.

Pure: no clock, no database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

#: Decision 766's five groups and their maximum points
GROUPS: tuple[tuple[str, int], ...] = (
    ("transparency", 18), ("progress", 20), ("digitisation", 22), ("online", 22),
    ("satisfaction", 18),
)

SATISFIED = "satisfied"
NEUTRAL = "neutral"
UNSATISFIED = "unsatisfied"
RATINGS = (SATISFIED, NEUTRAL, UNSATISFIED)


@dataclass(frozen=True)
class DossierFacts:
    """What the index needs of a dossier. `due` is the deadline in force."""

    code: str
    received_on: dt.date
    due: dt.date
    done_on: dt.date | None = None
    online: bool = False
    rating: str | None = None
    rated_on: dt.date | None = None


@dataclass(frozen=True)
class FeedbackFacts:
    """What the index needs of a feedback case. `reply_due` is the deadline it is measured
    against: the reply deadline in force, or an earlier one that the units indexed missed
    before forwarding the case (a forward never wipes out lateness; the adapter,
    `citizens.selectors.service_index`, reads it from the log)."""

    code: str
    received_on: dt.date
    reply_due: dt.date
    answered_on: dt.date | None = None
    closed_on: dt.date | None = None
    rating: str | None = None


@dataclass(frozen=True)
class Rates:
    on_time: Fraction | None
    late: Fraction | None
    online: Fraction | None
    feedback_on_time: Fraction | None
    feedback_satisfaction: Fraction | None
    dossier_satisfaction: Fraction | None
    #: the counts behind the rates, to show and to check by hand
    counts: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class Group:
    key: str
    maximum: int
    points: Decimal | None  # None: no data


@dataclass(frozen=True)
class ServiceIndex:
    rates: Rates
    groups: tuple[Group, ...]

    @property
    def total(self) -> Decimal | None:
        """The sum of the groups with data (None when no group has data)."""
        found = [g.points for g in self.groups if g.points is not None]
        return sum(found, Decimal(0)) if found else None

    @property
    def total_maximum(self) -> int:
        return sum(g.maximum for g in self.groups if g.points is not None)


def _ratio(numerator: int, denominator: int) -> Fraction | None:
    return Fraction(numerator, denominator) if denominator else None


def points(value: Fraction) -> Decimal:
    """Half-up to 2 decimals."""
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _in(day: dt.date | None, start: dt.date, end: dt.date) -> bool:
    return day is not None and start <= day <= end


def rates(dossiers: Iterable[DossierFacts], feedback: Iterable[FeedbackFacts], *,
          start: dt.date, end: dt.date) -> Rates:
    """The rates of the period [start, end] (see the module's docstring)."""
    dossiers = list(dossiers)
    feedback = list(feedback)
    done = [d for d in dossiers if _in(d.done_on, start, end)]
    done_on_time = [d for d in done if d.done_on <= d.due]  # type: ignore[operator]
    received = [d for d in dossiers if _in(d.received_on, start, end)]
    carried = [d for d in dossiers if d.received_on < start
               and (d.done_on is None or d.done_on >= start)]
    open_overdue = [d for d in dossiers if d.received_on <= end
                    and (d.done_on is None or d.done_on > end) and d.due < end]
    online = [d for d in received if d.online]
    rated = [d for d in dossiers if d.rating and _in(d.rated_on or d.done_on, start, end)]
    rated_ok = [d for d in rated if d.rating != UNSATISFIED]

    answered = [f for f in feedback if _in(f.answered_on, start, end)]
    answered_on_time = [f for f in answered if f.answered_on <= f.reply_due]  # type: ignore[operator]
    feedback_overdue = [f for f in feedback if f.received_on <= end
                        and (f.answered_on is None or f.answered_on > end)
                        and f.reply_due < end]
    closed = [f for f in feedback if _in(f.closed_on, start, end)]
    bad = [f for f in closed if f.rating == UNSATISFIED
           or (f.answered_on is not None and f.answered_on > f.reply_due)]
    counts = (
        ("dossiers_done", len(done)), ("dossiers_done_on_time", len(done_on_time)),
        ("dossiers_done_late", len(done) - len(done_on_time)),
        ("dossiers_received", len(received)), ("dossiers_carried_over", len(carried)),
        ("dossiers_open_overdue", len(open_overdue)), ("dossiers_online", len(online)),
        ("dossiers_rated", len(rated)), ("dossiers_rated_unsatisfied", len(rated) - len(rated_ok)),
        ("feedback_answered", len(answered)), ("feedback_answered_on_time", len(answered_on_time)),
        ("feedback_open_overdue", len(feedback_overdue)), ("feedback_closed", len(closed)),
        ("feedback_unsatisfied_or_late", len(bad)),
    )
    return Rates(
        on_time=_ratio(len(done_on_time), len(done)),
        late=_ratio(len(open_overdue) + len(done) - len(done_on_time),
                    len(received) + len(carried)),
        online=_ratio(len(online), len(received)),
        feedback_on_time=_ratio(len(answered_on_time), len(answered) + len(feedback_overdue)),
        feedback_satisfaction=_ratio(len(closed) - len(bad), len(closed)),
        dossier_satisfaction=_ratio(len(rated_ok), len(rated)),
        counts=counts,
    )


def _mean(values: Sequence[Fraction | None]) -> Fraction | None:
    found = [v for v in values if v is not None]
    return sum(found, Fraction(0)) / len(found) if found else None


def service_index(dossiers: Iterable[DossierFacts], feedback: Iterable[FeedbackFacts], *,
                  start: dt.date, end: dt.date) -> ServiceIndex:
    """The index of the period: the rates and the points of each of Decision 766's groups
    (None for a group without data)."""
    r = rates(dossiers, feedback, start=start, end=end)
    progress = _mean([r.on_time, None if r.late is None else 1 - min(r.late, Fraction(1))])
    satisfaction = _mean([r.feedback_on_time, r.feedback_satisfaction,
                          r.dossier_satisfaction])
    by_key = {"progress": progress, "online": r.online, "satisfaction": satisfaction}
    groups = tuple(
        Group(key, maximum, None if by_key.get(key) is None
              else points(maximum * by_key[key]))  # type: ignore[operator]
        for key, maximum in GROUPS
    )
    return ServiceIndex(r, groups)
