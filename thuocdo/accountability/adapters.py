"""From the database to the signal engine, set-based and in chunks.

`load_world()` reads the organisation once (units, officials in their current place, the
engine's settings). `chunk_ranges()` cuts the tree into parts, each the work led inside one
top-level agency's subtree (a district with its communes, a department, the city's own
divisions), and `read_part()` reads one part's task histories: two queries per part (the
tasks, then their events in order), built from plain rows, never a query per task or
official. Memory is bounded by the largest part, not by the city, and the parts can be
computed in parallel (`thuocdo.core.parallel`).

Chunking is exact for every signal about one task. The comparisons with peers (S7, S12) and
S2 counted per person are made within a chunk: peers are "the same task group in the same
agency", and an agency never straddles two chunks; the one approximation is an official who
holds work led by another top-level agency, whose requests there are counted separately.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from thuocdo.core.calendar import work_calendar
from thuocdo.core.rows import AsText, Texts, raw_rows
from thuocdo.measure.calendar import WorkCalendar
from thuocdo.measure.history import Event, Holder, TaskHistory, end_of_day
from thuocdo.measure.scenario import Official, People, TaskFacts, Unit
from thuocdo.measure.signals import AuthorityMatrix, Thresholds, thresholds_in_force
from thuocdo.org.models import Membership
from thuocdo.org.models import Official as OfficialRow
from thuocdo.org.models import Unit as UnitRow
from thuocdo.org.parts import Ranges, ranges_q, tree_parts
from thuocdo.tasks.choices import OPEN_STATES, TaskState
from thuocdo.tasks.models import Directive, Product, Task, TaskEvent

from .models import AuthorityMatrixVersion, AuthorityRule, ThresholdSet

#: events read per round trip when streaming a chunk's log
EVENT_FETCH = 20_000


@dataclass(frozen=True)
class World:
    """What every chunk shares: people, ids → codes, the settings in force."""

    people: People
    unit_codes: dict[int, str]
    unit_ids: dict[str, int]
    official_codes: dict[int, str]
    official_ids: dict[str, int]
    #: unit id → (lft, rgt, parent id, kind)
    tree: dict[int, tuple[int, int, int | None, str]]
    thresholds: Thresholds
    authority: AuthorityMatrix
    #: product and directive ids → codes
    product_codes: dict[int, str]
    directive_codes: dict[int, str]
    #: what the parts' texts parse to, shared by the parts read in one process
    parsed: Texts = field(default_factory=Texts)


@dataclass(frozen=True)
class Chunk:
    """The histories of the work led in one part of the tree, with their assignment facts."""

    histories: dict[str, TaskHistory]
    facts: dict[str, TaskFacts]
    #: task code → task id
    ids: dict[str, int]


def thresholds_for(day: dt.date) -> Thresholds:
    """The thresholds in force on `day`: the stored version, or the engine's defaults."""
    versions = [Thresholds(version=row.version, effective_from=row.effective_from, **row.values)
                for row in ThresholdSet.objects.all()]
    return thresholds_in_force(versions, day)


def authority_matrix(day: dt.date) -> AuthorityMatrix:
    """The authority matrix in force on `day`: the rules of the version in force then
    (`AuthorityMatrixVersion.in_force_on`), whole, under its name. Before every version
    there is no matrix: nobody decides a matter alone (S4 is not raised), named ""."""
    row = AuthorityMatrixVersion.in_force_on(day)
    if row is None:
        return AuthorityMatrix(frozenset(), version="")
    rows = AuthorityRule.objects.filter(matrix=row).values_list("position", "priority",
                                                                "product__code")
    return AuthorityMatrix.from_rows(
        [{"position": p, "priority": r, "product": c or "*"} for p, r, c in rows],
        version=row.version,
    )


def load_world(*, on: dt.date) -> World:
    """Units, officials in their place on `on`, and the settings in force on `on` (the
    thresholds and the authority matrix versions: a month is computed with those in force
    on its last day, or on the day computed if it comes first: `compute.month_parts`)."""
    units = list(UnitRow.objects.values_list("id", "code", "parent_id", "kind", "name",
                                             "lft", "rgt"))
    unit_codes = {pk: code for pk, code, *_ in units}
    engine_units = {code: Unit(code, unit_codes.get(parent), kind, name)
                    for _pk, code, parent, kind, name, _l, _r in units}
    official_codes = dict(OfficialRow.objects.values_list("id", "code"))
    names = dict(OfficialRow.objects.values_list("code", "name"))
    current = (Q(start__lte=on) & (Q(end__isnull=True) | Q(end__gte=on)))
    placed: dict[str, Official] = {}
    # Leaders first, so an official with two memberships is placed where they lead.
    rows = (Membership.objects.filter(current)
            .values_list("official__code", "unit_id", "position", "task_group__code")
            .order_by("official__code", "position"))
    rank = {"head": 0, "deputy": 1, "staff": 2}
    for code, unit_id, position, group in rows:
        found = placed.get(code)
        if found is None or rank.get(position, 3) < rank.get(found.position or "", 3):
            placed[code] = Official(code, unit_codes[unit_id], position, group, names.get(code, ""))
    for code, name in names.items():
        placed.setdefault(code, Official(code, name=name))
    return World(
        people=People(placed, engine_units),
        unit_codes=unit_codes,
        unit_ids={code: pk for pk, code in unit_codes.items()},
        official_codes=official_codes,
        official_ids={code: pk for pk, code in official_codes.items()},
        tree={pk: (lft, rgt, parent, kind) for pk, _c, parent, kind, _n, lft, rgt in units},
        thresholds=thresholds_for(on),
        authority=authority_matrix(on),
        product_codes=dict(Product.objects.values_list("id", "code")),
        directive_codes=dict(Directive.objects.values_list("id", "code")),
    )


def chunk_ranges(world: World) -> list[tuple[str, Ranges]]:
    """The parts the work is read in: (label, nested-set ranges of lead units)
    (`thuocdo.org.parts.tree_parts`)."""
    return tree_parts(world.tree, world.unit_codes)


def relevant_tasks_q(period_start: dt.date, period_end: dt.date, as_of: dt.datetime) -> Q:
    """Tasks that can raise a signal in the period or belong to it: assigned by its end (and
    by `as_of`), and open, or closed after it began, or due in it."""
    cutoff = min(as_of, end_of_day(period_end))
    began = end_of_day(period_start - dt.timedelta(days=1))
    return Q(assigned_at__lte=cutoff) & (
        Q(state__in=list(OPEN_STATES)) | Q(last_event_at__gte=began)
        | Q(due__range=(period_start, period_end))
    )


def read_part(world: World, ranges: Ranges, *, period_start: dt.date,
              period_end: dt.date, as_of: dt.datetime) -> Chunk:
    """The period's histories of the work led in one part of the tree (`chunk_ranges`):
    two queries, the tasks then their events in order.

    Rows come raw from the cursor (`raw_rows`): Django's per-value converters cost more
    than the detectors. Times, days, coefficients and event data are read as text, each
    distinct text parsed once (`World.parsed`)."""
    relevant = relevant_tasks_q(period_start, period_end, as_of)
    oc, uc = world.official_codes, world.unit_codes
    in_part = Task.objects.filter(relevant).filter(ranges_q(ranges, "lead_unit"))
    tasks = (in_part
             .exclude(state=TaskState.CANCELLED, last_event_at__lt=end_of_day(
                 period_start - dt.timedelta(days=1)))
             .annotate(assigned_raw=AsText("assigned_at"), due_raw=AsText("due"),
                       coefficient_raw=AsText("coefficient"))
             .values_list("id", "code", "assigned_raw", "due_raw", "lead_unit_id",
                          "lead_official_id", "assigner_unit_id", "assigned_by_id",
                          "priority", "product_id", "quantity", "coefficient_raw",
                          "directive_id")
             .order_by("id"))
    texts = world.parsed
    moments, days, coefficients = texts.moments, texts.days, texts.coefficients
    heads: dict[int, tuple] = {}
    facts: dict[str, TaskFacts] = {}
    for (pk, code, assigned_at, due, lead_unit, lead_official, assigner_unit, assigned_by,
         priority, product, quantity, coefficient, directive) in raw_rows(tasks):
        heads[pk] = (code, moments[assigned_at], days[due],
                     Holder(uc[lead_unit], oc[lead_official]),
                     Holder(uc[assigner_unit], oc[assigned_by]))
        facts[code] = TaskFacts(code, priority, world.product_codes.get(product), quantity,
                                coefficients[coefficient], world.directive_codes.get(directive))
    if not heads:
        return Chunk({}, {}, {})
    events: dict[int, list[Event]] = {pk: [] for pk in heads}
    rows = (TaskEvent.objects
            # what was recorded by `as_of` (the detectors and the delays read no more):
            # a prefix of each log, which is in order of time (the workflow appends events
            # as they happen; an import replays a task's events sorted by time)
            .filter(task__in=in_part.values("pk"), at__lte=as_of)
            .exclude(kind="create")
            .annotate(at_raw=AsText("at"), data_raw=AsText("data"))
            .values_list("task_id", "kind", "at_raw", "actor_id", "data_raw")
            .order_by("task_id", "seq"))
    kinds, data_of = texts.kinds, texts.data
    found: list[Event] | None = None
    current = None
    for task_id, kind, at, actor, data in raw_rows(rows, chunk=EVENT_FETCH):
        if task_id != current:
            current, found = task_id, events.get(task_id)
        if found is not None:
            found.append(Event(kinds[kind], moments[at], oc.get(actor) if actor else None,
                               data_of[data]))
    histories = {
        head[0]: TaskHistory(head[0], head[1], head[2], head[3], head[4],
                             tuple(events[pk]))
        for pk, head in heads.items()
    }
    return Chunk(histories, facts, {head[0]: pk for pk, head in heads.items()})


def calendar_for(period_start: dt.date, as_of: dt.datetime) -> WorkCalendar:
    """The working-day calendar for the years a period's work can span."""
    last = timezone.localtime(as_of).year
    return work_calendar(years=range(period_start.year - 1, max(last, period_start.year) + 2))
