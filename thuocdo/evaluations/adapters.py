"""The database → engine adapter for a whole period (architecture.md, rule 3).

`period_inputs(period)` reads everything the engine needs to score one period in a fixed
number of queries, whatever the number of officials or tasks:

1. units (the whole tree: code, parent, kind);
2. products (id → code);
3. officials with a membership overlapping the period (code, unit, position, task group);
4. the period's tasks: those whose ORIGINAL deadline falls in it (an extension never moves
   a task out; work open at close still belongs to its period), with the product, quantity
   and coefficient kept on the task;
5. their events, in one query ordered by task and sequence number;
6. assessments of the period (and of its months, for a quarter or year);
7. confirmed KHT grounds of the period's year;
8. citizens' complaints verified as founded about the work of those tasks (a few queries of
   the citizens app): each is a major error on its task (`FoundError`) when
   `THUOCDO_COMPLAINT_IS_MAJOR_ERROR` is true (the default), unless a leader accepted the
   official's explanation of it.

Rows are read with `.values_list()` and turned straight into the engine's frozen inputs
(`TaskInput`, `OfficialInput`, `Assessment`, `KhtGround`); no model instance is built. The
events, by far the most rows, come raw from the cursor (`core.rows`).
Event references on cards are the events' sequence numbers within their task (`seq`), so a
deduction links to `/tasks/<code>/#event-<seq>`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from django.conf import settings
from django.utils import timezone

from thuocdo.core.calendar import work_calendar
from thuocdo.core.rows import aware, json_value, raw_rows
from thuocdo.measure.calendar import WorkCalendar
from thuocdo.measure.history import Event, Holder, TaskHistory
from thuocdo.measure.scenario import Unit as UnitNode
from thuocdo.measure.scoring import (
    Assessment as EngineAssessment,
)
from thuocdo.measure.scoring import (
    FoundError,
    KhtGround,
    OfficialInput,
    Period,
    PeriodScores,
    TaskInput,
    roll_up,
    score_period,
)
from thuocdo.org.models import Membership, Official, TaskGroup, Unit
from thuocdo.tasks.models import Product, Task, TaskEvent

from .models import Assessment, Ground


@dataclass(frozen=True)
class PeriodInputs:
    """What the engine reads to score one period (and, for a quarter or year, its months)."""

    period: Period
    officials: tuple[OfficialInput, ...]
    tasks: tuple[TaskInput, ...]
    units: Mapping[str, UnitNode]
    calendar: WorkCalendar
    #: period label (the period's and each of its months') → official code → assessment
    assessments: Mapping[str, Mapping[str, EngineAssessment]]
    grounds: tuple[KhtGround, ...]
    #: database ids, for storing cards without another lookup
    official_ids: Mapping[str, int]
    unit_ids: Mapping[str, int]


def units_tree() -> tuple[dict[str, UnitNode], dict[int, str]]:
    """Every unit as the engine's node, by code; and unit id → code."""
    rows = list(Unit.objects.values_list("id", "code", "parent_id", "kind", "name"))
    code_of = {pk: code for pk, code, *_rest in rows}
    nodes = {code: UnitNode(code, code_of.get(parent), kind, name)
             for _pk, code, parent, kind, name in rows}
    return nodes, code_of


def officials_in(period: Period, unit_code: Mapping[int, str]
                 ) -> tuple[tuple[OfficialInput, ...], dict[str, int]]:
    """Officials with a membership overlapping the period. Where several overlap (a move
    during the period), the one in force latest counts: the official is scored where the
    period finds them at its close."""
    groups = dict(TaskGroup.objects.values_list("id", "code"))
    rows = (Membership.objects
            .filter(start__lte=period.end)
            .exclude(end__lt=period.start)
            .values_list("official_id", "official__code", "unit_id", "position",
                         "task_group_id", "start")
            .order_by("official_id", "start", "id"))
    chosen: dict[int, tuple] = {}
    for row in rows:
        chosen[row[0]] = row  # the latest start wins
    officials = []
    ids: dict[str, int] = {}
    for official_id, code, unit_id, position, group_id, _start in chosen.values():
        officials.append(OfficialInput(code, unit_code[unit_id], position,
                                       groups.get(group_id)))
        ids[code] = official_id
    return tuple(sorted(officials, key=lambda o: o.code)), ids


def found_errors(start: dt.date, end: dt.date) -> dict[str, tuple[FoundError, ...]]:
    """Task code → the verified complaints about its work dated in [start, end], as major
    errors found outside the task's log (empty when the setting
    `THUOCDO_COMPLAINT_IS_MAJOR_ERROR` is false). The error counts on the task, hence for
    its lead official, who answers for the product ("5 rõ": one clear owner), whoever the
    complaint names; the complaint's code is the card's reference."""
    if not settings.THUOCDO_COMPLAINT_IS_MAJOR_ERROR:
        return {}
    from thuocdo.citizens.adapters import quality_findings
    from thuocdo.citizens.choices import FindingKind

    found: dict[str, list[FoundError]] = defaultdict(list)
    zone = timezone.get_current_timezone()
    for finding in quality_findings(start=start, end=end):
        if finding.kind == FindingKind.VERIFIED_COMPLAINT and finding.task:
            found[finding.task].append(FoundError(
                at=dt.datetime.combine(finding.on, dt.time(), tzinfo=zone),
                ref=finding.feedback))
    return {code: tuple(errors) for code, errors in found.items()}


def tasks_in(start: dt.date, end: dt.date, unit_code: Mapping[int, str],
             official_code: Mapping[int, str]) -> tuple[TaskInput, ...]:
    """Tasks whose original deadline falls in [start, end], with their events (one query for
    the tasks, one for all their events) and the major errors found outside their logs
    (`found_errors`: verified complaints up to `end`)."""
    products = dict(Product.objects.values_list("id", "code"))
    task_rows = list(Task.objects.filter(due__gte=start, due__lte=end).values_list(
        "id", "code", "assigned_at", "due", "lead_unit_id", "lead_official_id",
        "assigner_unit_id", "assigned_by_id", "product_id", "coefficient", "quantity",
    ).order_by("id"))
    events: dict[int, list[Event]] = defaultdict(list)
    seqs: dict[int, list[int]] = defaultdict(list)
    event_rows = (TaskEvent.objects
                  .filter(task__due__gte=start, task__due__lte=end)
                  .exclude(kind="create")
                  .values_list("task_id", "seq", "kind", "at", "actor_id", "data")
                  .order_by("task_id", "seq"))
    for task_id, seq, kind, at, actor_id, data in raw_rows(event_rows):
        events[task_id].append(Event(kind, aware(at), official_code.get(actor_id),
                                     json_value(data) or {}))
        seqs[task_id].append(seq)
    earliest = min((row[2] for row in task_rows), default=None)
    errors = (found_errors(timezone.localdate(earliest), end) if earliest is not None
              else {})
    result = []
    for (pk, code, assigned_at, due, lead_unit, lead_official, assigner_unit, assigner,
         product, coefficient, quantity) in task_rows:
        history = TaskHistory(
            code=code, assigned_at=assigned_at, due=due,
            lead=Holder(unit_code[lead_unit], official_code.get(lead_official)),
            assigner=Holder(unit_code[assigner_unit], official_code.get(assigner)),
            events=tuple(events.get(pk, ())),
        )
        result.append(TaskInput(history, products[product], Fraction(coefficient),
                                quantity, tuple(seqs.get(pk, ())), errors.get(code, ())))
    return tuple(result)


def assessments_for(labels: list[str], official_code: Mapping[int, str]
                    ) -> dict[str, dict[str, EngineAssessment]]:
    """Assessments of the given period labels: label → official code → engine assessment."""
    found: dict[str, dict[str, EngineAssessment]] = defaultdict(dict)
    rows = Assessment.objects.filter(period__label__in=labels).values_list(
        "period__label", "official_id", "general_points", "reason", "organising", "uniting",
        "assessor_id")
    for label, official_id, points, reason, organising, uniting, assessor in rows:
        found[label][official_code[official_id]] = EngineAssessment(
            general_points=Fraction(points), reasons=(reason,) if reason.strip() else (),
            organising=Fraction(organising) if organising is not None else None,
            uniting=Fraction(uniting) if uniting is not None else None,
            assessor=official_code.get(assessor))
    return dict(found)


def grounds_for(year: int, unit_code: Mapping[int, str],
                official_code: Mapping[int, str]) -> tuple[KhtGround, ...]:
    """Confirmed KHT grounds dated in `year` (the engine keeps those in reach)."""
    rows = Ground.objects.filter(confirmed=True, on__year=year).values_list(
        "id", "kind", "on", "official_id", "unit_id", "level", "signal", "reason")
    return tuple(
        KhtGround(kind=kind, on=on, official=official_code.get(official_id),
                  unit=unit_code.get(unit_id), level=level or None, signal=signal or None,
                  reason=reason, ref=f"ground:{pk}")
        for pk, kind, on, official_id, unit_id, level, signal, reason in rows.order_by("id")
    )


def period_inputs(period: Period) -> PeriodInputs:
    """Everything the engine needs to score `period`, in a fixed number of queries."""
    nodes, unit_code = units_tree()
    official_code = dict(Official.objects.values_list("id", "code"))
    officials, official_ids = officials_in(period, unit_code)
    tasks = tasks_in(period.start, period.end, unit_code, official_code)
    labels = [period.label] + ([m.label for m in period.months()]
                               if period.kind != "month" else [])
    years = range(period.start.year, period.end.year + 2)
    return PeriodInputs(
        period=period, officials=officials, tasks=tasks, units=nodes,
        calendar=work_calendar(years=years),
        assessments=assessments_for(labels, official_code),
        grounds=grounds_for(period.end.year, unit_code, official_code),
        official_ids=official_ids,
        unit_ids={code: pk for pk, code in unit_code.items()},
    )


def score(inputs: PeriodInputs, rubric) -> PeriodScores:
    """Score the period with the engine: a month from its tasks; a quarter or year as the
    roll-up of its months (each month scored from the same tasks, filtered by the engine to
    those whose original deadline falls in it, with that month's assessments)."""
    period = inputs.period
    if period.kind == "month":
        return score_period(period=period, officials=inputs.officials, tasks=inputs.tasks,
                            units=inputs.units, calendar=inputs.calendar,
                            assessments=inputs.assessments.get(period.label, {}),
                            grounds=inputs.grounds, rubric=rubric)
    monthly = []
    for month in period.months():
        if month.start < rubric.effective_from:
            continue
        scored = score_period(period=month, officials=inputs.officials, tasks=inputs.tasks,
                              units=inputs.units, calendar=inputs.calendar,
                              assessments=inputs.assessments.get(month.label, {}),
                              grounds=inputs.grounds, rubric=rubric)
        monthly.extend(scored.cards)
    return roll_up(period=period, monthly=monthly, officials=inputs.officials,
                   units=inputs.units, assessments=inputs.assessments.get(period.label, {}),
                   grounds=inputs.grounds, rubric=rubric)
