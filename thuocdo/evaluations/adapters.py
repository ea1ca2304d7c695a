"""The database → engine adapter for a whole period (architecture.md, rule 3).

`period_inputs(period)` reads everything the engine needs to score one period, and `score()`
reads the tasks one part of the organisation at a time (`score_month`; the parts may be
shared among worker processes), in a fixed number of queries whatever the number of
officials or tasks:

1. units (the whole tree: code, parent, kind);
2. products (id → code);
3. officials with a membership overlapping the period (code, unit, position, task group);
4. the period's tasks: those whose ORIGINAL deadline falls in it (an extension never moves
   a task out; work open at close still belongs to its period), with the product, quantity
   and coefficient kept on the task;
   (read per part of the organisation, `thuocdo.org.parts`, and per month);
5. their events, in one query per part ordered by task and sequence number;
6. assessments of the period (and of its months, for a quarter or year);
7. confirmed KHT grounds of the period's year, and the signal records of the rubrics' KHT
   signals (S14) a leader confirmed as a breach about an official, dated that year, each a
   ground of kind "signal" citing the decision (`signal_grounds`, one query);
8. citizens' complaints verified as founded about the work of those tasks (a few queries of
   the citizens app): each is a major error on its task (`FoundError`) when
   `THUOCDO_COMPLAINT_IS_MAJOR_ERROR` is true (the default), unless a leader accepted the
   official's explanation of it;
9. the approved exceptions to the HTXS quota in force on some day of the period
   (`quota_exceptions_between`, one query): each month, quarter or year takes those in
   force on its last day (`exceptions_for`).

Rows are read with `.values_list()` and turned straight into the engine's frozen inputs
(`TaskInput`, `OfficialInput`, `Assessment`, `KhtGround`); no model instance is built. The
tasks and their events, by far the most rows, come raw from the cursor, their times, days,
coefficients and data read as text and each distinct text parsed once (`core.rows`).
Event references on cards are the events' sequence numbers within their task (`seq`), so a
deduction links to `/tasks/<code>/#event-<seq>`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.conf import settings
from django.db.models import F, Min, Q
from django.utils import timezone

from thuocdo.core.calendar import work_calendar
from thuocdo.core.models import CalendarOverride
from thuocdo.core.parallel import run_parts
from thuocdo.core.rows import AsText, Texts, raw_rows
from thuocdo.measure.calendar import WorkCalendar
from thuocdo.measure.history import Event, Holder, TaskHistory
from thuocdo.measure.scenario import Unit as UnitNode
from thuocdo.measure.scoring import (
    Assessment as EngineAssessment,
)
from thuocdo.measure.scoring import (
    FoundError,
    Grade,
    GroundKind,
    KhtGround,
    OfficialInput,
    Period,
    PeriodScores,
    ScoreCard,
    Tally,
    TaskAtClose,
    TaskInput,
    add_tallies,
    apply_quota,
    card_from_dict,
    check_in_force,
    close_tasks,
    is_leader,
    lead_tallies,
    pool_tallies,
    roll_up,
    score_officials,
)
from thuocdo.measure.scoring import (
    QuotaException as EngineQuotaException,
)
from thuocdo.org.models import Membership, Official, TaskGroup, Unit
from thuocdo.org.parts import Ranges, part_of_units, ranges_q, tree_parts
from thuocdo.tasks.models import Product, Task, TaskEvent

from .choices import CardStatus
from .models import Assessment, Ground, QuotaException
from .models import ScoreCard as StoredCard

#: events read per round trip when reading a part's log
EVENT_FETCH = 20_000


@dataclass(frozen=True)
class PeriodInputs:
    """What the engine reads to score one period (and, for a quarter or year, its months)."""

    period: Period
    officials: tuple[OfficialInput, ...]
    units: Mapping[str, UnitNode]
    calendar: WorkCalendar
    #: period label (the period's and each of its months') → official code → assessment
    assessments: Mapping[str, Mapping[str, EngineAssessment]]
    grounds: tuple[KhtGround, ...]
    #: database ids, for storing cards without another lookup
    official_ids: Mapping[str, int]
    unit_ids: Mapping[str, int]
    #: database ids → codes, for reading the tasks part by part
    unit_code: Mapping[int, str]
    official_code: Mapping[int, str]
    #: the parts of the organisation the tasks are read in (`thuocdo.org.parts`), and the
    #: part of each unit (by code)
    parts: tuple[Ranges, ...]
    unit_part: Mapping[str, int]
    #: task code → the major errors found outside its log (`found_errors_for`)
    errors: Mapping[str, tuple[FoundError, ...]]
    #: product id → code
    products: Mapping[int, str]
    #: the approved exceptions to the HTXS quota in force on some day of the period
    #: (`quota_exceptions_between`)
    exceptions: tuple[DatedException, ...] = ()
    #: what the parts' texts parse to, shared by the parts read in one process (`tasks_in`)
    texts: Texts = dataclasses.field(default_factory=Texts)
    #: the administrators' calendar overrides `calendar` was built with (`calendar_basis`)
    calendar_days: Mapping[str, str] = dataclasses.field(default_factory=dict)


def units_tree() -> tuple[dict[str, UnitNode], dict[int, str],
                            dict[int, tuple[int, int, int | None, str]]]:
    """Every unit as the engine's node, by code; unit id → code; and unit id → (lft, rgt,
    parent id, kind), the nested set the parts are cut from (one query)."""
    rows = list(Unit.objects.values_list("id", "code", "parent_id", "kind", "name", "lft",
                                         "rgt"))
    code_of = {pk: code for pk, code, *_rest in rows}
    nodes = {code: UnitNode(code, code_of.get(parent), kind, name)
             for _pk, code, parent, kind, name, _lft, _rgt in rows}
    tree = {pk: (lft, rgt, parent, kind) for pk, _code, parent, kind, _name, lft, rgt in rows}
    return nodes, code_of, tree


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


def found_errors(start: dt.date, end: dt.date, tasks: Any = None
                 ) -> dict[str, tuple[FoundError, ...]]:
    """Task code → the verified complaints about its work dated in [start, end], as major
    errors found outside the task's log (empty when the setting
    `THUOCDO_COMPLAINT_IS_MAJOR_ERROR` is false); with `tasks` (a query of tasks), only
    about those. The error counts on the task, hence for
    its lead official, who answers for the product ("5 rõ": one clear owner), whoever the
    complaint names; the complaint's code is the card's reference."""
    if not settings.THUOCDO_COMPLAINT_IS_MAJOR_ERROR:
        return {}
    from thuocdo.citizens.adapters import quality_findings
    from thuocdo.citizens.choices import FindingKind

    found: dict[str, list[FoundError]] = defaultdict(list)
    zone = timezone.get_current_timezone()
    for finding in quality_findings(start=start, end=end, tasks=tasks):
        if finding.kind == FindingKind.VERIFIED_COMPLAINT and finding.task:
            found[finding.task].append(FoundError(
                at=dt.datetime.combine(finding.on, dt.time(), tzinfo=zone),
                ref=finding.feedback))
    return {code: tuple(errors) for code, errors in found.items()}


def found_errors_for(start: dt.date, end: dt.date, tasks: Any = None
                     ) -> dict[str, tuple[FoundError, ...]]:
    """`found_errors` for the tasks whose original deadline falls in [start, end]: the
    complaints verified from the earliest assignment among them up to `end` (with `tasks`,
    some of them, only about those: the same errors on those tasks as scoring finds)."""
    earliest = Task.objects.filter(due__gte=start, due__lte=end).aggregate(
        first=Min("assigned_at"))["first"]
    if earliest is None:
        return {}
    return found_errors(timezone.localdate(earliest), end, tasks)


def codes_of(tasks: Any) -> tuple[dict[int, str], dict[int, str]]:
    """The unit and official codes (id → code) `tasks_in` needs for `tasks` (a query of
    tasks) only, not the whole city's: the units that lead and assigned them, and the
    officials who lead and assigned them or recorded their events (who may belong anywhere
    now: moved since, say). Two queries."""
    units = Unit.objects.filter(Q(pk__in=tasks.values("lead_unit_id"))
                                | Q(pk__in=tasks.values("assigner_unit_id")))
    officials = Official.objects.filter(
        Q(pk__in=tasks.values("lead_official_id")) | Q(pk__in=tasks.values("assigned_by_id"))
        | Q(pk__in=TaskEvent.objects.filter(task__in=tasks.values("pk")).values("actor_id")))
    return (dict(units.values_list("id", "code")), dict(officials.values_list("id", "code")))


def tasks_in(start: dt.date, end: dt.date, unit_code: Mapping[int, str],
             official_code: Mapping[int, str], *, ranges: Ranges | None = None,
             errors: Mapping[str, tuple[FoundError, ...]] | None = None,
             products: Mapping[int, str] | None = None,
             texts: Texts | None = None) -> tuple[TaskInput, ...]:
    """Tasks whose original deadline falls in [start, end] (led in the part `ranges`, when
    given), with their events (one query for the tasks, one for all their events) and the
    major errors found outside their logs (`errors`, by default `found_errors_for`).
    `products`: product id → code, read here when not given.

    Rows come raw from the cursor (`core.rows.raw_rows`); times, days, coefficients, event
    kinds and data are read as text and each distinct text parsed once (`texts`, shared by
    the parts read in one process: `PeriodInputs.texts`; PostgreSQL's driver would run
    Django's time zone conversion on every row)."""
    if products is None:
        products = dict(Product.objects.values_list("id", "code"))
    if texts is None:
        texts = Texts()
    in_period = Task.objects.filter(due__gte=start, due__lte=end)
    if ranges is not None:
        in_period = in_period.filter(ranges_q(ranges, "lead_unit"))
    task_rows = (in_period
                 .annotate(assigned_raw=AsText("assigned_at"), due_raw=AsText("due"),
                           coefficient_raw=AsText("coefficient"))
                 .values_list("id", "code", "assigned_raw", "due_raw", "lead_unit_id",
                              "lead_official_id", "assigner_unit_id", "assigned_by_id",
                              "product_id", "coefficient_raw", "quantity")
                 .order_by("id"))
    moments, days, fractions = texts.moments, texts.days, texts.fractions
    heads: dict[int, tuple] = {}
    for (pk, code, assigned_at, due, lead_unit, lead_official, assigner_unit, assigner,
         product, coefficient, quantity) in raw_rows(task_rows):
        heads[pk] = (code, moments[assigned_at], days[due],
                     Holder(unit_code[lead_unit], official_code.get(lead_official)),
                     Holder(unit_code[assigner_unit], official_code.get(assigner)),
                     products[product], fractions[coefficient], quantity)
    events: dict[int, list[Event]] = {pk: [] for pk in heads}
    seqs: dict[int, list[int]] = {pk: [] for pk in heads}
    event_rows = (TaskEvent.objects
                  .filter(task__in=in_period.values("pk"))
                  .exclude(kind="create")
                  .annotate(at_raw=AsText("at"), data_raw=AsText("data"))
                  .values_list("task_id", "seq", "kind", "at_raw", "actor_id", "data_raw")
                  .order_by("task_id", "seq"))
    kinds, data_of = texts.kinds, texts.data
    found: list[Event] | None = None
    numbers: list[int] | None = None
    current = None
    for task_id, seq, kind, at, actor_id, data in raw_rows(event_rows, chunk=EVENT_FETCH):
        if task_id != current:
            current, found, numbers = task_id, events.get(task_id), seqs.get(task_id)
        if found is not None and numbers is not None:
            found.append(Event(kinds[kind], moments[at], official_code.get(actor_id),
                               data_of[data]))
            numbers.append(seq)
    if errors is None:
        errors = found_errors_for(start, end)
    protected = protected_initiatives(in_period)
    return tuple(
        TaskInput(TaskHistory(code=code, assigned_at=assigned_at, due=due, lead=lead,
                              assigner=assigner, events=tuple(events[pk])),
                  product, coefficient, quantity, tuple(seqs[pk]), errors.get(code, ()),
                  protected=pk in protected)
        for pk, (code, assigned_at, due, lead, assigner, product, coefficient, quantity)
        in heads.items())


def protected_initiatives(tasks: Any) -> set[int]:
    """The ids of those of `tasks` (a queryset) that are an initiative of their lead
    official a leader protected: an S15 about that official and the task, decided
    "protected" (accepted). Its failure is not held against them (`TaskInput.protected`).
    One query."""
    from thuocdo.accountability.choices import PROTECTED_INITIATIVE, SignalStatus
    from thuocdo.accountability.models import SignalRecord

    return set(SignalRecord.objects.filter(
        code=PROTECTED_INITIATIVE, status=SignalStatus.ACCEPTED,
        task__in=tasks.values("pk"), official_id=F("task__lead_official_id"),
    ).values_list("task_id", flat=True))


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
                official_code: Mapping[int, str], *,
                officials: Iterable[int] | None = None) -> tuple[KhtGround, ...]:
    """Confirmed KHT grounds dated in `year` (the engine keeps those in reach); with
    `officials` (ids), only those about them and those about a unit (corruption)."""
    rows = Ground.objects.filter(confirmed=True, on__year=year)
    if officials is not None:
        rows = rows.filter(Q(official_id__in=list(officials)) | Q(official__isnull=True))
    rows = rows.values_list(
        "id", "kind", "on", "official_id", "unit_id", "level", "signal", "reason")
    return tuple(
        KhtGround(kind=kind, on=on, official=official_code.get(official_id),
                  unit=unit_code.get(unit_id), level=level or None, signal=signal or None,
                  reason=reason, ref=f"ground:{pk}")
        for pk, kind, on, official_id, unit_id, level, signal, reason in rows.order_by("id")
    )


def signal_grounds(year: int, official_code: Mapping[int, str], *,
                   officials: Iterable[int] | None = None) -> tuple[KhtGround, ...]:
    """The signal records of the accountability app that are KHT grounds by themselves: of
    a KHT signal of the registered rubrics (`Rubric.kht_signals`: S14), about an official
    (among `officials`, ids, when given), dated in `year` (the day the record names,
    `raised_on`: the engine counts it in the periods of that year ending on or after it,
    as any ground), and confirmed as a breach by a leader: their status now, so a record
    whose confirmation were undone would stop counting. Each is a ground of kind "signal"
    whose reason is what the record found, citing the decision (who confirmed it, the day,
    their written reason; the latest confirmation, should there be several) and the record
    (`ref` "signal:<id>"). One query, whatever the number of officials (the records' index
    on period and code)."""
    from thuocdo.accountability.choices import SignalStatus, StepAction
    from thuocdo.accountability.models import SignalStep

    from .rubrics import RUBRICS

    codes = sorted({code for rubric in RUBRICS.values() for code in rubric.kht_signals})
    steps = SignalStep.objects.filter(
        action=StepAction.CONFIRM, signal__status=SignalStatus.CONFIRMED,
        signal__code__in=codes, signal__official__isnull=False,
        # a record's period is the month of its day: the index narrows, the day decides
        signal__period__in=[f"{year}-{month:02d}" for month in range(1, 13)],
        signal__raised_on__year=year)
    if officials is not None:
        steps = steps.filter(signal__official_id__in=list(officials))
    latest: dict[int, tuple] = {}
    for row in steps.values_list(
            "signal_id", "signal__code", "signal__raised_on", "signal__official_id",
            "signal__explanation", "at", "text", "by__full_name", "by__official__name",
            "by__official__code").order_by("signal_id", "at", "pk"):
        latest[row[0]] = row
    grounds = []
    for (pk, code, on, official_id, found, at, text, full_name, name,
         by_code) in latest.values():
        who = full_name or name or ""
        if who and by_code:
            who = f"{who} ({by_code})"
        grounds.append(KhtGround(
            kind=GroundKind.SIGNAL, on=on, official=official_code.get(official_id),
            signal=code, reason=found.strip(), ref=f"signal:{pk}", decided_by=who or None,
            decided_on=timezone.localdate(at), decision=text.strip()))
    return tuple(grounds)


def kht_grounds(year: int, unit_code: Mapping[int, str], official_code: Mapping[int, str],
                *, officials: Iterable[int] | None = None) -> tuple[KhtGround, ...]:
    """Every KHT ground of `year` (with `officials`, ids: those about them, and those about
    a unit): those recorded (`grounds_for`) and the confirmed signal records
    (`signal_grounds`). A recorded ground of kind "signal" for the same official, signal and
    day as a confirmed record is that record again (a board recorded it when a confirmed
    S14 did not count by itself): the record counts, once."""
    officials = None if officials is None else list(officials)
    records = signal_grounds(year, official_code, officials=officials)
    same = {(g.official, g.signal, g.on) for g in records}
    recorded = tuple(g for g in grounds_for(year, unit_code, official_code,
                                            officials=officials)
                     if g.kind is not GroundKind.SIGNAL or (g.official, g.signal, g.on)
                     not in same)
    return recorded + records


def period_inputs(period: Period) -> PeriodInputs:
    """Everything the engine needs to score `period` but the tasks, which `score` reads part
    by part, in a fixed number of queries."""
    nodes, unit_code, tree = units_tree()
    official_code = dict(Official.objects.values_list("id", "code"))
    officials, official_ids = officials_in(period, unit_code)
    labels = [period.label] + ([m.label for m in period.months()]
                               if period.kind != "month" else [])
    years = scored_years(period)
    parts = tree_parts(tree, unit_code)
    part_of = part_of_units(tree, parts)
    return PeriodInputs(
        period=period, officials=officials, units=nodes,
        calendar=work_calendar(years=years),
        assessments=assessments_for(labels, official_code),
        grounds=kht_grounds(period.end.year, unit_code, official_code),
        official_ids=official_ids,
        unit_ids={code: pk for pk, code in unit_code.items()},
        unit_code=unit_code, official_code=official_code,
        parts=tuple(ranges for _label, ranges in parts),
        unit_part={unit_code[pk]: index for pk, index in part_of.items()},
        errors=found_errors_for(period.start, period.end),
        products=dict(Product.objects.values_list("id", "code")),
        exceptions=quota_exceptions_between(period.start, period.end),
        calendar_days=calendar_basis(years),
    )


def scored_years(period: Any) -> range:
    """The years whose working-day calendar scoring `period` reads: its own and the next
    (work of the period handed in late, after the year ends)."""
    return range(period.start.year, period.end.year + 2)


def calendar_basis(years: range) -> dict[str, str]:
    """The administrators' calendar overrides of `years` as stored on a period scored with
    them (`Period.calendar_basis`): ISO day → kind."""
    return {day.isoformat(): kind for day, kind in
            CalendarOverride.objects.filter(day__year__in=list(years))
            .order_by("day").values_list("day", "kind")}


def score(inputs: PeriodInputs, rubric, *, workers: int | None = None) -> PeriodScores:
    """Score the period with the engine: a month from its tasks, read and closed one part of
    the organisation at a time (`score_month`); a quarter or year as the roll-up of its
    months (each scored from its own tasks, with that month's assessments)."""
    period = inputs.period
    if period.kind == "month":
        return score_month(inputs, period, rubric, workers=workers)
    monthly = []
    for month in period.months():
        if month.start < rubric.effective_from:
            continue
        monthly.extend(score_month(inputs, month, rubric, workers=workers).cards)
    approved: dict[str, tuple[str, ...]] = {}
    if settings.THUOCDO_ROLLUP_MONTHS == "approved":
        monthly, approved = with_approved_months(monthly, inputs)
    scores = roll_up(period=period, monthly=monthly, officials=inputs.officials,
                     units=inputs.units, assessments=inputs.assessments.get(period.label, {}),
                     grounds=inputs.grounds, rubric=rubric,
                     quota_exceptions=exceptions_for(inputs.exceptions, period))
    if not approved:
        return scores
    # each card says which of its months it took as approved (the card page shows it)
    return dataclasses.replace(scores, cards=tuple(
        dataclasses.replace(card, months_approved=approved[card.official])
        if card.official in approved else card for card in scores.cards))


def with_approved_months(monthly: list[ScoreCard], inputs: PeriodInputs,
                         ) -> tuple[list[ScoreCard], dict[str, tuple[str, ...]]]:
    """The months' cards a quarter or year rolls up, each month's approved card in place of
    the one just computed (setting THUOCDO_ROLLUP_MONTHS=approved): the period's months
    are then the cards their agencies approved (an appeal decided since is in the stored
    card), so an excuse or an S15 decision given after the approval changes neither the
    month nor the period built on it. A card re-scored while its month is still under
    review and changed goes back to draft (`services`), and is then taken as computed, as
    are the months not yet approved. One query for the period's months. Also returns,
    by official, the months taken as approved (recorded on the period's card)."""
    labels = [m.label for m in inputs.period.months()]
    approved = {
        (inputs.official_code[official_id], label): card_from_dict(data)
        for official_id, label, data in StoredCard.objects.filter(
            period__label__in=labels, status=CardStatus.APPROVED,
        ).values_list("official_id", "period__label", "data")
    }
    result, taken = [], defaultdict(list)
    for card in monthly:
        stored = approved.get((card.official, card.period))
        if stored is not None:
            taken[card.official].append(card.period)
        result.append(stored or card)
    return result, {official: tuple(sorted(labels)) for official, labels in taken.items()}


@dataclass(frozen=True)
class PartScores:
    """One part's share of a month: the cards finished there, its lead units' tallies, and
    the facts of the officials whose cards wait for every part (`score_month`)."""

    cards: list[ScoreCard]
    tallies: dict[str, Tally]
    waiting: list[TaskAtClose]


def score_month(inputs: PeriodInputs, month: Period, rubric, *,
                workers: int | None = None) -> PeriodScores:
    """The month's cards, exactly as `score_period` on all its tasks at once, but with the
    tasks read, closed and scored one part of the organisation at a time, the parts shared
    among worker processes (`thuocdo.core.parallel`): memory holds one part's logs at a
    time, not the city's.

    An official's card needs all the tasks they lead; a leader's also the pooled tallies of
    the unit they lead, which may span parts. So each part finishes the cards of the
    officials placed in it who lead no unit and lead no task of another part; the others
    ("waiting": leaders, and officials leading work of a unit in another part, found by one
    query) keep their tasks' facts until every part's tallies are added up. The quota then
    applies to all cards."""
    check_in_force(month, rubric)
    assessments = inputs.assessments.get(month.label, {})
    waiting = {o.code for o in inputs.officials if is_leader(o, rubric)}
    pairs = (Task.objects.filter(due__gte=month.start, due__lte=month.end)
             .values_list("lead_official_id", "lead_unit_id").distinct())
    placed = {o.code: inputs.unit_part.get(o.unit) for o in inputs.officials}
    for official_id, unit_id in pairs:
        official = inputs.official_code.get(official_id)
        if official in placed and placed[official] != inputs.unit_part.get(
                inputs.unit_code[unit_id]):
            waiting.add(official)
    by_part: dict[int | None, list[OfficialInput]] = defaultdict(list)
    for official in inputs.officials:
        if official.code not in waiting:
            by_part[placed[official.code]].append(official)

    def part(index: int) -> PartScores:
        tasks = tasks_in(month.start, month.end, inputs.unit_code, inputs.official_code,
                         ranges=inputs.parts[index], errors=inputs.errors,
                         products=inputs.products, texts=inputs.texts)
        facts = close_tasks(tasks, inputs.calendar, month)
        cards = score_officials(period=month, officials=by_part.get(index, ()), facts=facts,
                                pooled={}, units=inputs.units, assessments=assessments,
                                grounds=inputs.grounds, rubric=rubric)
        return PartScores(cards, lead_tallies(facts, rubric),
                          [f for f in facts if f.task.history.lead.official in waiting])

    cards: list[ScoreCard] = []
    tallies: dict[str, Tally] = {}
    waiting_facts: list[TaskAtClose] = []
    for found in run_parts(part, range(len(inputs.parts)), workers=workers):
        cards.extend(found.cards)
        add_tallies(tallies, found.tallies)
        waiting_facts.extend(found.waiting)
    led = {o.unit for o in inputs.officials if is_leader(o, rubric)}
    # officials in no part (a unit outside the tree) have no task read: scored here, too
    unplaced = by_part.get(None, [])
    cards.extend(score_officials(
        period=month, officials=[o for o in inputs.officials if o.code in waiting] + unplaced,
        facts=waiting_facts, pooled=pool_tallies(tallies, led, inputs.units),
        units=inputs.units, assessments=assessments, grounds=inputs.grounds, rubric=rubric))
    final, state = apply_quota(cards, rubric, exceptions_for(inputs.exceptions, month))
    return PeriodScores(month.label, final, state)


# -- approved exceptions to the quota ------------------------------------------------------


@dataclass(frozen=True)
class DatedException:
    """An approved exception (`models.QuotaException`) as the engine reads it, with its
    agency's code and the days it is in force."""

    agency: str
    valid_from: dt.date
    valid_to: dt.date
    exception: EngineQuotaException


def quota_exceptions_between(start: dt.date, end: dt.date) -> tuple[DatedException, ...]:
    """The approved exceptions in force on some day from `start` to `end` (one query)."""
    rows = (QuotaException.objects.filter(valid_from__lte=end, valid_to__gte=start)
            .order_by("valid_from", "id").values_list(
                "agency__code", "valid_from", "valid_to", "share", "decision", "decided_on"))
    return tuple(
        DatedException(code, valid_from, valid_to, EngineQuotaException(
            share=Fraction(share), decision=decision, decided_on=decided_on))
        for code, valid_from, valid_to, share, decision, decided_on in rows)


def exceptions_for(exceptions: Iterable[DatedException], period: Any
                   ) -> dict[str, EngineQuotaException]:
    """Agency code → the approved exception that applies to `period` (anything with an
    `end`): the one in force on its last day (the services keep one per agency and day)."""
    return {e.agency: e.exception for e in exceptions
            if e.valid_from <= period.end <= e.valid_to}


def quota_exceptions(period: Any) -> dict[str, EngineQuotaException]:
    """Agency code → the approved exception that applies to `period` (a stored or engine
    period: anything with an `end`), in one query."""
    return exceptions_for(quota_exceptions_between(period.end, period.end), period)


# -- the quota again, over published cards ------------------------------------------------


def before_quota(card: ScoreCard) -> ScoreCard:
    """The engine's card as it stood before the quota: its grade before the quota, no
    decision, the decision's reason dropped from its reasons."""
    reason = card.quota.reason if card.quota is not None else None
    return dataclasses.replace(card, grade=card.grade_before_quota, quota_applied=False,
                               quota=None, reasons=tuple(r for r in card.reasons if r != reason))


def stored_before_quota(data: Mapping[str, Any]) -> ScoreCard:
    """A stored card's JSON (`ScoreCard.as_dict`) as the quota reads it (`apply_quota`:
    the official, agency, task group, grade before the quota, and the tie-break's total,
    task points, delays and major errors), before the quota. Its other content is not
    rebuilt: only the quota's outcome is taken from the result."""
    def number(key: str) -> Decimal | None:
        value = data.get(key)
        return None if value is None else Decimal(str(value))

    quota = data.get("quota") or {}
    grade = data.get("grade_before_quota")
    return ScoreCard(
        official=data["official"], unit=data["unit"], agency=data["agency"],
        task_group=data.get("task_group"), position=data["position"], period=data["period"],
        rubric_version=data["rubric_version"], engine_version=data["engine_version"],
        task_points=number("task_points"), total=number("total"),
        grade_before_quota=Grade(grade) if grade else None,
        grade=Grade(grade) if grade else None,
        delays=data.get("delays", 0), major_errors=data.get("major_errors", 0),
        reasons=tuple(r for r in data.get("reasons", ()) if r != quota.get("reason")))



# -- the exceptions a period's cards were computed with ----------------------------------


def quota_basis(exceptions: Mapping[str, EngineQuotaException]) -> dict[str, dict[str, str]]:
    """The exceptions that apply to a period (agency code → exception) as stored on it
    (`Period.quota_basis`): plain strings, compared as they are."""
    return {agency: {"share": str(Fraction(e.share)), "decision": e.decision,
                     "decided_on": e.decided_on.isoformat() if e.decided_on else ""}
            for agency, e in sorted(exceptions.items())}


def _from_basis(basis: Mapping[str, Mapping[str, str]]) -> dict[str, EngineQuotaException]:
    return {agency: EngineQuotaException(
        share=Fraction(e["share"]), decision=e["decision"],
        decided_on=dt.date.fromisoformat(e["decided_on"]) if e["decided_on"] else None)
        for agency, e in basis.items()}


def scored_exceptions(period: Any) -> dict[str, EngineQuotaException]:
    """Agency code → the approved exception the period's stored cards were computed with:
    its `quota_basis`, or, for a period scored before that was recorded, the exception
    its cards' quota decisions cite (`quota.exception`). Never the exceptions recorded
    since: those apply once the period is scored again."""
    if period.quota_basis is not None:
        return _from_basis(period.quota_basis)
    found: dict[str, EngineQuotaException] = {}
    for code, quota in (StoredCard.objects.filter(period=period,
                                                  data__quota__exception__isnull=False)
                        .values_list("agency__code", "data__quota")):
        exception = (quota or {}).get("exception")
        if exception and code not in found:
            found[code] = EngineQuotaException(
                share=Fraction(repr(exception["share"])), decision=exception["decision"],
                decided_on=(dt.date.fromisoformat(exception["decided_on"])
                            if exception.get("decided_on") else None))
    return found


def unapplied_exceptions(period: Any) -> dict[str, tuple[EngineQuotaException | None,
                                                         EngineQuotaException | None]]:
    """Agency code → (the exception the cards were computed with, the one in force on the
    period's last day now), for each agency where they differ: recorded, changed or
    removed since the period was last scored (None: no exception)."""
    scored, live = scored_exceptions(period), quota_exceptions(period)
    plain_scored, plain_live = quota_basis(scored), quota_basis(live)
    return {agency: (scored.get(agency), live.get(agency))
            for agency in sorted(set(plain_scored) | set(plain_live))
            if plain_scored.get(agency) != plain_live.get(agency)}
