"""Reads of accountability, scoped: signals, the dashboard's numbers, the directive cascade.

Every number of the dashboard is one grouped query over the same rows the drill-down lists
show: task counts come from `thuocdo.tasks.selectors.task_list` with the same filters (so a
count and the list behind it cannot disagree), delays from `HolderDelay`, signals from
`SignalRecord`. Nothing here replays the log.

A bucket's number opens the work list with that bucket. A total ("all") counts the four
buckets, so not cancelled work, which the work list cannot leave out: it opens
`counted_tasks`, listed by this app.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, field

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, ExtractMonth, ExtractYear, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from thuocdo.core.calendar import Computed
from thuocdo.core.scope import Scope, subtrees_q
from thuocdo.measure.history import Bucket
from thuocdo.measure.signals import event_number, period_bounds
from thuocdo.org.models import Membership, Official, Unit
from thuocdo.org.selectors import current_q
from thuocdo.tasks import selectors as task_selectors
from thuocdo.tasks.choices import OPEN_STATES, TaskState
from thuocdo.tasks.models import Directive, Task, TaskEvent
from thuocdo.tasks.selectors import TaskFilters, bucket_q

from .choices import DECIDED, SignalStatus, StepAction, SubjectKind
from .models import HolderDelay, SignalRecord, SignalStep

BUCKETS = [b.value for b in Bucket]
#: holders shown in the dashboard's delay table (a link opens them all, the export has all)
DELAY_ROWS = 20


# -- signals -----------------------------------------------------------------------------


def signal_scope_q(scope: Scope) -> Q:
    """Signals the caller may read: about a unit whose subtree they read whole (a leader,
    the board, an inspector: `Scope.read_ranges`), or escalated to one, or naming them.

    Not the units a staff official merely belongs to (`Scope.units_q` would include them):
    a signal is a judgement about a person, not yet confirmed, so staff read only the
    signals naming them, never their colleagues', nor those about work they held or hold
    whose signal names someone else (the task page shows them the work itself)."""
    if scope.is_admin:
        return Q()
    if not scope.is_authenticated:
        return Q(pk__in=[])
    q = (subtrees_q(scope.read_ranges, "unit__")
         | subtrees_q(scope.read_ranges, "escalate_to__"))
    if scope.official_id is not None:
        q |= Q(official_id=scope.official_id)
    return q


@dataclass(frozen=True)
class SignalFilters:
    unit: Unit | None = None  # about this unit or a unit below it
    period: str | None = None
    code: str | None = None
    status: str | None = None  # a SignalStatus, or "undecided"
    official: Official | None = None
    subject: str | None = None  # about this task, dossier or feedback (its code)
    escalated_to: Unit | None = None  # escalated to this unit (S9)
    present_only: bool = True
    #: explanation overdue on this day: requested, not given, due before it
    explanation_overdue_on: dt.date | None = None
    #: about work still open and past its deadline in force on this day (an escalation
    #: whose work has been done since is not)
    task_overdue_on: dt.date | None = None
    #: waiting for the caller's decision on this day (`decide_q`)
    to_decide_on: dt.date | None = None
    #: waiting for the caller's explanation (`explain_q`)
    to_explain: bool = False


#: a signal's number (S10 after S9, not after S1)
_CODE_NUMBER = Cast(Substr("code", 2), IntegerField())
#: a signal's status in the order of its answer: open, requested, explained, then decided
_STATUS_ORDER = Case(*(When(status=value, then=Value(n))
                       for n, value in enumerate(SignalStatus.values)),
                     default=Value(len(SignalStatus.values)), output_field=IntegerField())
_NEWEST = (F("raised_on").desc(), _CODE_NUMBER.asc(), F("subject").asc(), F("pk").asc())

#: the orders of the signal list (and its export): each key ascending, "-key" descending,
#: then the newest first
SIGNAL_ORDERINGS = {
    "-raised": _NEWEST,
    "raised": (F("raised_on").asc(), _CODE_NUMBER.asc(), F("subject").asc(), F("pk").asc()),
    "code": (_CODE_NUMBER.asc(), *_NEWEST),
    "-code": (_CODE_NUMBER.desc(), *_NEWEST),
    "official": (F("official__name_folded").asc(nulls_last=True),
                 F("official__code").asc(nulls_last=True), *_NEWEST),
    "-official": (F("official__name_folded").desc(nulls_last=True),
                  F("official__code").desc(nulls_last=True), *_NEWEST),
    "unit": (F("unit__name_folded").asc(), F("unit__code").asc(), *_NEWEST),
    "-unit": (F("unit__name_folded").desc(), F("unit__code").desc(), *_NEWEST),
    "status": (_STATUS_ORDER.asc(), *_NEWEST),
    "-status": (_STATUS_ORDER.desc(), *_NEWEST),
}


def signal_list(*, scope: Scope, filters: SignalFilters | None = None,
                ordering: str = "-raised") -> QuerySet[SignalRecord]:
    """Signals the caller may read (`signal_scope_q`) with `filters`, in `ordering` (a key
    of `SIGNAL_ORDERINGS`; the newest first by default)."""
    f = filters or SignalFilters()
    qs = SignalRecord.objects.filter(signal_scope_q(scope))
    if f.unit is not None:
        qs = qs.filter(unit__lft__gte=f.unit.lft, unit__rgt__lte=f.unit.rgt)
    if f.escalated_to is not None:
        qs = qs.filter(escalate_to=f.escalated_to)
    if f.period:
        qs = qs.filter(period=f.period)
    if f.code:
        qs = qs.filter(code=f.code)
    if f.status == "undecided":
        qs = qs.exclude(status__in=list(DECIDED))
    elif f.status:
        qs = qs.filter(status=f.status)
    if f.official is not None:
        qs = qs.filter(official=f.official)
    if f.subject:
        qs = qs.filter(subject=f.subject)
    if f.explanation_overdue_on is not None:
        qs = qs.filter(status=SignalStatus.REQUESTED,
                       explanation_due__lt=f.explanation_overdue_on)
    if f.task_overdue_on is not None:
        qs = qs.filter(task__state__in=list(OPEN_STATES),
                       task__due_in_force__lt=f.task_overdue_on)
    if f.to_decide_on is not None or f.to_explain:
        answering = answering_for(scope, day=f.to_decide_on or timezone.localdate())
        if f.to_decide_on is not None:
            qs = qs.filter(decide_q(scope, day=f.to_decide_on, answering=answering))
        if f.to_explain:
            qs = qs.filter(explain_q(scope, answering=answering))
    if f.present_only:
        qs = qs.filter(present=True)
    return qs.select_related("unit", "official", "task", "escalate_to",
                             "task__holder_unit", "task__holder_official").order_by(
        *SIGNAL_ORDERINGS.get(ordering, _NEWEST))


def signal_get(*, scope: Scope, pk: int) -> SignalRecord:
    return (SignalRecord.objects.filter(signal_scope_q(scope))
            .select_related("unit", "official", "task", "escalate_to").get(pk=pk))


@dataclass(frozen=True)
class Evidence:
    """One event behind a signal: the task's code, the event's number on the task page
    (#1 is the assignment), and the task and event when the caller may read the task."""

    code: str
    number: int
    task: Task | None = None
    event: TaskEvent | None = None
    #: what the task's timeline calls the event (`tasks.selectors.event_label`)
    label: str = ""


def signal_event_indexes(signal: SignalRecord) -> list[tuple[str, int]]:
    """The (task code, engine index) pairs behind a signal, in its order: for a signal
    about one task the engine's indexes into its log; for one about a person across tasks
    (S2) or with no single task (S12) each [task code, index] pair. `event_number` gives
    an index's number on the task page."""
    pairs: list[tuple[str, int]] = []
    for item in signal.events:
        if isinstance(item, int) and signal.task_id is not None:
            pairs.append((signal.task.code, item))
        elif isinstance(item, list | tuple) and len(item) == 2 and isinstance(item[1], int):
            pairs.append((str(item[0]), item[1]))
    return pairs


def signal_evidence(*, scope: Scope, signal: SignalRecord) -> list[Evidence]:
    """The (task, event) pairs behind a signal, in its order (`signal_event_indexes`). The
    signal's own task is read with the signal; another task only if the caller may read
    it, else it is named without its event."""
    pairs = signal_event_indexes(signal)
    if not pairs:
        return []
    codes = {code for code, _ in pairs}
    tasks = {t.code: t for t in Task.objects.filter(
        task_selectors.task_scope_q(scope), code__in=codes)}
    if signal.task_id is not None:
        tasks[signal.task.code] = signal.task
    events = {(e.task_id, e.seq): e for e in TaskEvent.objects.filter(
        task__in=list(tasks.values()), seq__in={event_number(i) for _, i in pairs})
        .select_related("actor")}
    labels = task_selectors.event_labels(events.values())
    result = []
    for code, index in pairs:
        task = tasks.get(code)
        number = event_number(index)
        event = events.get((task.pk, number)) if task else None
        result.append(Evidence(code, number, task, event,
                               labels[task.pk, number] if event else ""))
    return result


def signal_steps(*, signal: SignalRecord):
    return signal.steps.select_related("by", "by__official").order_by("at", "pk")


def my_open_signals(*, scope: Scope) -> QuerySet[SignalRecord]:
    """Signals that wait for the caller's explanation (`explain_q`): those naming them, and
    those about a unit they answer for, whose explanation was requested."""
    if scope.official_id is None:
        return SignalRecord.objects.none()
    return signal_list(scope=scope, filters=SignalFilters(to_explain=True))


# -- what waits for the caller ------------------------------------------------------------


@dataclass(frozen=True)
class Answering:
    """Where the caller stands today, for `decide_q` and `explain_q`: their rank in each
    unit they belong to (`services.RANK`), and the units whose signals with nobody named
    they answer for (`services.unit_answerers`: as the head, or a deputy while there is
    none)."""

    ranks: dict[int, int]
    units: frozenset[int]


def answering_for(scope: Scope, *, day: dt.date) -> Answering:
    """The caller's `Answering` on `day`: two queries at most (none without an
    official)."""
    from . import services

    if scope.official_id is None:
        return Answering({}, frozenset())
    ranks: dict[int, int] = {}
    for unit_id, position in Membership.objects.filter(
            current_q(day), official_id=scope.official_id).values_list("unit_id", "position"):
        ranks[unit_id] = min(ranks.get(unit_id, len(services.RANK)),
                             services.RANK.get(position, len(services.RANK)))
    led = [unit_id for unit_id, rank in ranks.items() if rank < services.RANK["staff"]]
    answerers = services.unit_answerers(led, day=day) if led else {}
    return Answering(ranks, frozenset(unit_id for unit_id, officials in answerers.items()
                                      if scope.official_id in officials))


def _named_as(position: str, day: dt.date) -> Exists:
    """The official a signal names holds `position` in its unit on `day`."""
    return Exists(Membership.objects.filter(current_q(day), official=OuterRef("official"),
                                            unit=OuterRef("unit"), position=position))


def explain_q(scope: Scope, *, answering: Answering) -> Q:
    """Signals whose explanation was requested of the caller (`services.can_explain`, once
    asked): naming them, or about a unit with nobody named that they answer for."""
    if scope.official_id is None:
        return Q(pk__in=[])
    return Q(status=SignalStatus.REQUESTED) & (
        Q(official_id=scope.official_id)
        | Q(official__isnull=True, unit_id__in=list(answering.units)))


def decide_q(scope: Scope, *, day: dt.date, answering: Answering | None = None) -> Q:
    """Signals waiting for the caller's decision on `day`: their explanation given, or
    requested and its due day passed without it (`services.can_decide`), and the caller
    judges them (`services._judges`, the same rule in SQL: someone ranking above whoever
    answers for the signal, never who answers for it or explained it; in the unit
    concerned a leader who ranks above the official named, a leader of a unit above or of
    the unit it was escalated to, and for a signal about a unit or naming its head, only
    those above and the organisation board over it). The administrator, who may decide
    any signal, is not waited for on that ground alone; inspectors decide none."""

    if scope.is_read_only or not scope.is_authenticated:
        return Q(pk__in=[])
    answering = answering or answering_for(scope, day=day)
    decidable = Q(status=SignalStatus.EXPLAINED) | (
        Q(status=SignalStatus.REQUESTED)
        & (Q(explanation_due__isnull=True) | Q(explanation_due__lt=day)))
    answers_for = Q(Exists(SignalStep.objects.filter(
        signal=OuterRef("pk"), action=StepAction.EXPLAIN, by_id=scope.user_id)))
    if scope.official_id is not None:
        answers_for |= Q(official_id=scope.official_id) | Q(
            official__isnull=True, unit_id__in=list(answering.units))
    named_head = Q(official__isnull=True) | Q(_named_as("head", day))
    # the ranks below each of the caller's (`services.RANK`: head 0, deputy 1, staff 2)
    below = [~named_head, ~named_head & ~Q(_named_as("deputy", day)),
             ~named_head & ~Q(_named_as("deputy", day)) & ~Q(_named_as("staff", day))]
    outranks = Q(pk__in=[])
    for unit_id, rank in answering.ranks.items():
        if rank < len(below):
            outranks |= Q(unit_id=unit_id) & below[rank]
    lead = scope.lead_ranges
    above = subtrees_q(lead, "unit__parent__") | (
        subtrees_q(lead, "escalate_to__") & ~Q(escalate_to=F("unit")))
    leads = subtrees_q(lead, "unit__") | subtrees_q(lead, "escalate_to__")
    judges = ((named_head & (above | subtrees_q(scope.board_ranges, "unit__")))
              | (~named_head & (above | (leads & outranks))))
    return decidable & ~answers_for & judges


@dataclass(frozen=True)
class SignalsWaiting:
    """What waits for the caller among the signals (`waiting_for`)."""

    #: signals waiting for their decision (the list's "waiting: your decision")
    to_decide: int
    #: explanations requested of them, not given (the list's "waiting: your explanation")
    to_explain: int
    #: the nearest due day among those
    explain_by: dt.date | None
    #: of those, how many are past their due day
    explain_overdue: int
    #: the units an inspector inspects, each with the explanations about its subtree that
    #: are overdue (`overdue_explanations`: the list with the "explanation overdue" filter)
    inspected: list[tuple[Unit, int]]
    #: the units whose signals with nobody named the caller answers for (their head, or a
    #: deputy while there is none: `Answering.units`), each with the work escalated to it
    #: and still overdue (`escalated_overdue`, the dashboard's panel and its list)
    escalated: list[tuple[Unit, int]] = field(default_factory=list)

    @property
    def any(self) -> bool:
        return bool(self.to_decide or self.to_explain or self.inspected or self.escalated)


def _inspected_ranges(scope: Scope) -> list[tuple[int, int]]:
    """The subtrees the caller reads as an inspector only (neither led nor on the board),
    the outermost ones."""
    if "inspector" not in scope.roles:
        return []
    own = set(scope.lead_ranges) | set(scope.board_ranges)
    ranges = sorted(set(scope.read_ranges) - own)
    return [r for r in ranges
            if not any(o != r and o[0] <= r[0] and r[1] <= o[1] for o in ranges)]


def waiting_for(*, scope: Scope, today: dt.date) -> SignalsWaiting:
    """The signals waiting for the caller's decision, the explanations requested of them
    (how many, the nearest due day, how many overdue), the work escalated (S9) to the units
    they head and still overdue, and, for an inspector, the overdue explanations in the
    units they inspect: the same rows as the signal list with the same filters, in a fixed
    number of queries whatever the number of signals or units."""
    signals = SignalRecord.objects.filter(signal_scope_q(scope), present=True).order_by()
    answering = answering_for(scope, day=today)
    to_decide = (signals.filter(decide_q(scope, day=today, answering=answering)).count()
                 if not scope.is_read_only else 0)
    explain = {"n": 0, "due": None, "late": 0}
    if scope.official_id is not None:
        explain = signals.filter(explain_q(scope, answering=answering)).aggregate(
            n=Count("pk"), due=Min("explanation_due"),
            late=Count("pk", filter=Q(explanation_due__lt=today)))
    inspected: list[tuple[Unit, int]] = []
    ranges = _inspected_ranges(scope)
    if ranges:
        overdue = signals.filter(status=SignalStatus.REQUESTED, explanation_due__lt=today)
        counts = overdue.aggregate(**{f"r{n}": Count("pk", filter=subtrees_q([r], "unit__"))
                                      for n, r in enumerate(ranges)})
        wanted = {r: counts[f"r{n}"] for n, r in enumerate(ranges) if counts[f"r{n}"]}
        if wanted:
            exact = Q(pk__in=[])
            for lft, rgt in wanted:
                exact |= Q(lft=lft, rgt=rgt)
            inspected = [(unit, wanted[(unit.lft, unit.rgt)])
                         for unit in Unit.objects.filter(exact).order_by("lft")]
    escalated: list[tuple[Unit, int]] = []
    if answering.units:
        # the dashboard's rule (`escalated_overdue`), for every unit the caller heads at once
        waiting: dict[int, int] = dict(
            escalated_overdue(scope=scope, unit=None, today=today)
            .filter(escalate_to_id__in=list(answering.units)).order_by()
            .values("escalate_to").annotate(n=Count("pk")).values_list("escalate_to", "n"))
        if waiting:
            escalated = [(unit, waiting[unit.pk]) for unit in
                         Unit.objects.filter(pk__in=list(waiting)).order_by("lft")]
    return SignalsWaiting(to_decide=to_decide, to_explain=explain["n"],
                          explain_by=explain["due"], explain_overdue=explain["late"],
                          inspected=inspected, escalated=escalated)


# -- the dashboard -----------------------------------------------------------------------


def may_see_dashboard(scope: Scope, unit: Unit) -> bool:
    """Leaders, boards, inspectors and administrators see the dashboard of a unit they read
    whole (its subtree); staff see their own work, not their unit's dashboard."""
    return scope.is_admin or any(lft <= unit.lft and unit.rgt <= rgt
                                 for lft, rgt in scope.read_ranges)


def dashboard_units(*, scope: Scope) -> QuerySet[Unit]:
    """Units whose dashboard the caller may open."""
    if scope.is_admin:
        return Unit.objects.order_by("lft")
    return Unit.objects.filter(subtrees_q(scope.read_ranges)).order_by("lft")


@dataclass
class BucketRow:
    """Counts of one sub-unit or person; `query` holds the list filters behind them (unit,
    period, subunits, lead_official)."""

    label: str
    code: str
    counts: dict[str, int]
    query: dict[str, str]
    #: a sub-unit whose own dashboard can be opened
    unit: Unit | None = None

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def late_share(self) -> float:
        late = self.counts[Bucket.DONE_LATE] + self.counts[Bucket.OPEN_OVERDUE]
        return late / self.total if self.total else 0.0


@dataclass
class Dashboard:
    unit: Unit
    period: str
    start: dt.date
    end: dt.date
    today: dt.date
    totals: BucketRow
    subunits: list[BucketRow]
    people: list[BucketRow]
    #: the holders with the most delay (`holder_delays`), at most `DELAY_ROWS`
    delays: list[dict]
    signals: list[dict]
    trend: list[dict]
    oldest: list[Task]
    #: work escalated to the unit (S9), not decided, still open and past its deadline in
    #: force today, whatever the month it was escalated in (`escalated_overdue`), at most 50
    escalated: list[SignalRecord]
    #: how many there are in all (the list behind the panel)
    escalated_total: int = 0
    #: escalations to the unit raised in the month, whatever became of the work since
    escalated_in_month: int = 0
    #: work that bounced between holders (S3) in the month, one line per task (or
    #: feedback), most bounces first (`bounced_work`)
    bounced: list[BouncedWork] = field(default_factory=list)
    #: how many tasks (or feedback) bounced in all
    bounced_total: int = 0
    #: how many holders were late in all (`delays` shows the first of them)
    delay_holders: int = 0
    #: explanations requested about the subtree, whatever the month, not given by their
    #: due day (`overdue_explanations`, the list behind the number)
    explanations_overdue: int = 0


def _counts(rows, key) -> dict:
    """Group rows of (key…, bucket counts) into key → {bucket: count}."""
    result: dict = {}
    for row in rows:
        counts = result.setdefault(key(row), dict.fromkeys(BUCKETS, 0))
        for bucket in BUCKETS:
            counts[bucket] += row[bucket] or 0
    return result


def _bucket_annotations(today: dt.date) -> dict:
    return {bucket: Count("pk", filter=bucket_q(bucket, on=today)) for bucket in BUCKETS}


def period_tasks(*, scope: Scope, unit: Unit, period: str, subunits: bool = True,
                 lead_official: Official | None = None) -> QuerySet[Task]:
    """The tasks behind a dashboard number: exactly the work list with these filters."""
    start, end = period_bounds(period)
    return task_selectors.task_list(scope=scope, filters=TaskFilters(
        unit=unit, include_subunits=subunits, period=(start, end),
        lead_official=lead_official))


def counted_tasks(*, scope: Scope, unit: Unit, period: str, subunits: bool = True,
                  lead_official: Official | None = None) -> QuerySet[Task]:
    """The tasks behind a dashboard total: those of `period_tasks` in one of the four
    buckets, that is all but the cancelled ones (`bucket_q`)."""
    return period_tasks(scope=scope, unit=unit, period=period, subunits=subunits,
                        lead_official=lead_official).exclude(state=TaskState.CANCELLED)


def dashboard(*, scope: Scope, unit: Unit, period: str, today: dt.date) -> Dashboard:
    """The accountability dashboard of `unit` for the month `period` (see the module doc)."""
    start, end = period_bounds(period)
    tasks = counted_tasks(scope=scope, unit=unit, period=period).order_by()
    buckets = _bucket_annotations(today)
    base = {"unit": unit.code, "period": period}

    # Buckets per lead unit in one query, folded into the direct sub-units' subtrees.
    per_unit = list(tasks.values("lead_unit_id", "lead_unit__lft").annotate(**buckets))
    children = list(unit.children.order_by("lft"))
    own = _counts([r for r in per_unit if r["lead_unit_id"] == unit.pk], lambda r: 0)
    subunits = [BucketRow(unit.name, unit.code, own.get(0, dict.fromkeys(BUCKETS, 0)),
                          {**base, "subunits": "0"})]
    for child in children:
        rows = [r for r in per_unit if child.lft <= r["lead_unit__lft"] <= child.rgt]
        counts = _counts(rows, lambda r: 0).get(0, dict.fromkeys(BUCKETS, 0))
        subunits.append(BucketRow(child.name, child.code, counts,
                                  {"unit": child.code, "period": period, "subunits": "1"},
                                  unit=child))
    totals = BucketRow(unit.name, unit.code, _counts(per_unit, lambda r: 0).get(
        0, dict.fromkeys(BUCKETS, 0)), {**base, "subunits": "1"})

    # Buckets per person: the work the unit itself leads, by lead official.
    per_person = (counted_tasks(scope=scope, unit=unit, period=period, subunits=False)
                  .order_by().values("lead_official__code", "lead_official__name")
                  .annotate(**buckets))
    people = [BucketRow(r["lead_official__name"], r["lead_official__code"],
                        {b: r[b] for b in BUCKETS},
                        {**base, "subunits": "0", "lead_official": r["lead_official__code"]})
              for r in per_person]
    people.sort(key=lambda r: (-r.counts[Bucket.OPEN_OVERDUE], -r.counts[Bucket.DONE_LATE],
                               r.label))

    escalated = escalated_overdue(scope=scope, unit=unit, today=today)
    return Dashboard(
        unit=unit, period=period, start=start, end=end, today=today, totals=totals,
        subunits=subunits, people=people,
        delays=holder_delays(scope=scope, unit=unit, period=period, limit=DELAY_ROWS),
        delay_holders=holder_delay_count(scope=scope, unit=unit, period=period),
        signals=signal_counts(scope=scope, unit=unit, period=period),
        trend=trend(scope=scope, unit=unit, period=period, today=today),
        oldest=oldest_overdue(scope=scope, unit=unit, today=today),
        escalated=list(escalated[:50]),
        escalated_total=escalated.count(),
        escalated_in_month=signal_list(scope=scope, filters=SignalFilters(
            escalated_to=unit, code="S9", period=period)).count(),
        bounced=bounced_work(scope=scope, unit=unit, period=period),
        bounced_total=_bounced(scope=scope, unit=unit, period=period)
        .values("subject").distinct().count(),
        explanations_overdue=overdue_explanations(scope=scope, unit=unit,
                                                  today=today).count(),
    )


def escalated_overdue(*, scope: Scope, unit: Unit | None, today: dt.date
                      ) -> QuerySet[SignalRecord]:
    """Work escalated to `unit` (S9, any month; None: to any unit) whose signal is not
    decided and whose work is still open and past its deadline in force on `today`: what
    the unit above must act on now. The signal list with the same filters (escalated to
    the unit, S9, not decided, work still overdue) lists the same signals."""
    return signal_list(scope=scope, filters=SignalFilters(
        escalated_to=unit, code="S9", status="undecided", task_overdue_on=today))


@dataclass(frozen=True)
class Return:
    """One time the work came back (an S3 signal raised by a move back): who sent it back
    (the holder the signal names: they answer why it is not theirs), to whom it came back
    (the holder that move handed it to, who had passed it on before), and the numbers of
    the two moves (the one that had passed it on, the one back) as the task's (or the
    feedback's) page numbers its events. Read from the signal's events, not its text."""

    signal: SignalRecord
    sent_by: str
    #: "" when the signal's events do not say (a signal stored without them)
    came_back_to: str = ""
    passed_on: int | None = None
    returned: int | None = None

    @property
    def text(self) -> str:
        """The return in words, as the page and the export say it."""
        values = {"by": self.sent_by, "to": self.came_back_to,
                  "passed": self.passed_on, "returned": self.returned}
        if not self.came_back_to:
            return _("%(by)s sent it back") % values
        return _("%(by)s sent it back to %(to)s, who had passed it on (#%(passed)s → "
                 "#%(returned)s)") % values


@dataclass
class BouncedWork:
    """A task (or feedback) that bounced between holders (S3) in a month: each time it came
    back (one S3 signal per move back, `Return`) and, once it was handed on the threshold's
    number of times, those moves (the S3 signal about their number, named for the lead
    unit: no return, and nobody it came back to)."""

    subject: str
    task: Task | None
    #: how many times it came back: the moves back its signals' events name, each once
    bounces: int
    returns: list[Return]
    #: the numbers of the moves of the "handed on N times" signal, raised when the work
    #: reached the threshold (the first N moves; later moves are not in it, the page says
    #: "reached the threshold of N moves"); empty without one
    handed_on: list[int]
    signals: list[SignalRecord]

    @property
    def moves(self) -> str:
        """The moves it was handed on by, as numbered on its page: "#3, #5, #7"."""
        return ", ".join(f"#{n}" for n in self.handed_on)


#: the anchor of the S3 signal about the number of moves (`measure.signals.ping_pong`,
#: `measure.dossiers.feedback_ping_pong`), at the end of its key
_COUNT_KEY = "|count"


def _bounced(*, scope: Scope, unit: Unit, period: str) -> QuerySet[SignalRecord]:
    return signal_list(scope=scope, filters=SignalFilters(unit=unit, period=period, code="S3"))


def _named(official: Official | None, unit: Unit | None) -> str:
    """"official (unit)", or the unit with nobody named."""
    if official is None:
        return unit.name if unit is not None else ""
    return f"{official.name} ({unit.name})" if unit is not None else official.name


def _moves(signal: SignalRecord) -> list[int]:
    """The engine's indexes of the moves behind an S3 signal (its events)."""
    return [e for e in signal.events if isinstance(e, int) and not isinstance(e, bool)]


class _Moves:
    """The moves behind S3 signals, read at once: for a task the events the signals name
    (by the engine's index: `event_number`), for feedback its forwards in order (the
    engine's index counts forwards only) and the units they went to; a fixed number of
    queries whatever the number of signals."""

    def __init__(self, signals: list[SignalRecord]) -> None:
        from thuocdo.citizens.choices import FeedbackEventKind
        from thuocdo.citizens.models import FeedbackEvent

        # a task's moves back (the last of a return's two events), for whom they went to
        backs = [s for s in signals if s.task_id is not None and len(_moves(s)) == 2
                 and not s.key.endswith(_COUNT_KEY)]
        self.task_events: dict[tuple[int, int], TaskEvent] = {}
        if backs:
            self.task_events = {(e.task_id, e.seq): e for e in TaskEvent.objects.filter(
                task_id__in={s.task_id for s in backs},
                seq__in={event_number(_moves(s)[1]) for s in backs})
                .select_related("holder_unit_after", "holder_official_after")}
        on_feedback = {s.subject for s in signals
                       if s.task_id is None and s.subject_kind == SubjectKind.FEEDBACK}
        self.forwards: dict[str, list] = {}
        if on_feedback:
            for event in (FeedbackEvent.objects.filter(feedback__code__in=on_feedback,
                                                       kind=FeedbackEventKind.FORWARD)
                          .select_related("feedback", "unit").order_by("feedback_id", "seq")):
                self.forwards.setdefault(event.feedback.code, []).append(event)
        targets = {self._to(e) for events in self.forwards.values() for e in events}
        self.unit_names = (dict(Unit.objects.filter(code__in=targets)
                                .values_list("code", "name")) if targets else {})

    @staticmethod
    def _to(event) -> str:
        return str(event.data.get("to_unit") or event.unit.code)

    def number(self, signal: SignalRecord, index: int) -> int | None:
        """The number of the move `index` on the task's (feedback's) page."""
        if signal.task_id is not None:
            return event_number(index)
        events = self.forwards.get(signal.subject, [])
        return events[index].seq if 0 <= index < len(events) else None

    def came_back(self, signal: SignalRecord) -> Return:
        """The return an S3 signal of a move back stands for."""
        sent_by = _named(signal.official, signal.unit)
        moves = _moves(signal)
        if len(moves) != 2:
            return Return(signal, sent_by)
        passed, back = moves
        if signal.task_id is not None:
            event = self.task_events.get((signal.task_id, event_number(back)))
            if event is None:
                return Return(signal, sent_by)
            to = _named(event.holder_official_after, event.holder_unit_after)
        else:
            events = self.forwards.get(signal.subject, [])
            if not 0 <= back < len(events):
                return Return(signal, sent_by)
            code = self._to(events[back])
            to = self.unit_names.get(code, code)
        return Return(signal, sent_by, to, self.number(signal, passed),
                      self.number(signal, back))


def bounced_work(*, scope: Scope, unit: Unit, period: str, limit: int | None = 10
                 ) -> list[BouncedWork]:
    """The work that bounced in the unit's subtree in `period`, one line per task (or
    feedback), the most returns first, then those handed on the most, then the latest: a
    fixed number of queries (the subjects, their signals, the moves behind them). The
    signal list filtered by the subject lists each line's signals."""
    is_count = Q(key__endswith=_COUNT_KEY)
    grouped = (_bounced(scope=scope, unit=unit, period=period).order_by().values("subject")
               .annotate(back=Count("pk", filter=~is_count),
                         counted=Count("pk", filter=is_count), last=Max("raised_on"))
               .order_by("-back", "-counted", "-last", "subject"))
    subjects = [row["subject"] for row in (grouped if limit is None else grouped[:limit])]
    by_subject: dict[str, list[SignalRecord]] = {}
    for signal in _bounced(scope=scope, unit=unit, period=period).filter(
            subject__in=subjects).order_by("raised_on", "pk"):
        by_subject.setdefault(signal.subject, []).append(signal)
    moves = _Moves([s for subject in subjects for s in by_subject.get(subject, [])])
    result = []
    for subject in subjects:
        signals = by_subject.get(subject, [])
        counted = [s for s in signals if s.key.endswith(_COUNT_KEY)]
        returns = sorted((moves.came_back(s) for s in signals if s not in counted),
                         key=lambda r: (r.returned is None, r.returned or 0, r.signal.pk))
        handed_on = [n for n in (moves.number(counted[0], i) for i in _moves(counted[0]))
                     if n is not None] if counted else []
        # each move back once (a move back found again under another key is one return)
        back = {r.returned if r.returned is not None else f"signal {r.signal.pk}"
                for r in returns}
        task = next((s.task for s in signals if s.task is not None), None)
        result.append(BouncedWork(subject, task, len(back), returns, handed_on, signals))
    return result


def overdue_explanations(*, scope: Scope, unit: Unit, today: dt.date
                         ) -> QuerySet[SignalRecord]:
    """Signals about the unit's subtree (any month, still raised) whose explanation was
    requested and not given by its due day: the list behind the dashboard's number (the
    signal list with the "explanation overdue" filter)."""
    return signal_list(scope=scope, filters=SignalFilters(unit=unit,
                                                          explanation_overdue_on=today))


def holder_delays(*, scope: Scope, unit: Unit, period: str, limit: int | None = 20
                  ) -> list[dict]:
    """Working days of delay per holder (official, or unit with nobody named) in the unit's
    subtree for the period's tasks, most first: the whose-step-was-it table (the first
    `limit` holders; None: all, as the export gives them)."""
    rows = _holder_delay_rows(scope=scope, unit=unit, period=period).order_by(
        "-days", "official__code", "unit__code")
    return list(rows if limit is None else rows[:limit])


def holder_delay_count(*, scope: Scope, unit: Unit, period: str) -> int:
    """How many holders `holder_delays` has in all (the page shows the first ones)."""
    return _holder_delay_rows(scope=scope, unit=unit, period=period).count()


def _holder_delay_rows(*, scope: Scope, unit: Unit, period: str):
    return (delay_rows(scope=scope, unit=unit, period=period).order_by()
            .values("unit__code", "unit__name", "official__code", "official__name")
            .annotate(days=Sum("workdays"), tasks=Count("task", distinct=True)))


def delay_rows(*, scope: Scope, unit: Unit, period: str, holder_unit: Unit | None = None,
               official: Official | None = None, no_official: bool = False
               ) -> QuerySet[HolderDelay]:
    """The rows behind `holder_delays` (the drill-down): tasks readable by the caller."""
    readable = Task.objects.filter(task_selectors.task_scope_q(scope)).values("pk")
    qs = HolderDelay.objects.filter(period=period, unit__lft__gte=unit.lft,
                                    unit__rgt__lte=unit.rgt, task__in=readable)
    if holder_unit is not None:
        qs = qs.filter(unit=holder_unit)
    if official is not None:
        qs = qs.filter(official=official)
    elif no_official:
        qs = qs.filter(official__isnull=True)
    return qs.select_related("task", "unit", "official").order_by("-workdays", "task__code")


def signal_counts(*, scope: Scope, unit: Unit, period: str) -> list[dict]:
    """Signals about the unit's subtree in the period, by code: all ("total"), not decided
    ("undecided"), and each status (its value as the key; and "statuses", (status, count)
    pairs in the order of `SignalStatus`, which add up to all): one grouped query."""
    qs = signal_list(scope=scope, filters=SignalFilters(unit=unit, period=period)).order_by()
    rows = qs.values("code").annotate(
        total=Count("pk"),
        undecided=Count("pk", filter=~Q(status__in=list(DECIDED))),
        **{status: Count("pk", filter=Q(status=status)) for status in SignalStatus.values},
    )
    result: list[dict] = [dict(row) for row in sorted(rows, key=lambda r: int(r["code"][1:]))]
    for row in result:
        row["statuses"] = [(status, row[status]) for status in SignalStatus.values]
    return result


def _month_back(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 - months
    return dt.date(index // 12, index % 12 + 1, 1)


def trend(*, scope: Scope, unit: Unit, period: str, today: dt.date, months: int = 12
          ) -> list[dict]:
    """The last `months` months up to `period`: bucket counts of the tasks belonging to each
    month and the signals raised in it (two grouped queries)."""
    start, end = period_bounds(period)
    first = _month_back(start, months - 1)
    tasks = task_selectors.task_list(scope=scope, filters=TaskFilters(
        unit=unit, period=(first, end))).order_by()
    rows = (tasks.annotate(y=ExtractYear("due"), m=ExtractMonth("due")).values("y", "m")
            .annotate(**_bucket_annotations(today)))
    by_month = _counts(rows, lambda r: f"{r['y']}-{r['m']:02d}")
    labels = [f"{_month_back(start, n).year}-{_month_back(start, n).month:02d}"
              for n in range(months - 1, -1, -1)]
    signals = dict(signal_list(scope=scope, filters=SignalFilters(unit=unit))
                   .filter(period__in=labels).order_by().values("period")
                   .annotate(n=Count("pk")).values_list("period", "n"))
    return [{"period": label, "counts": by_month.get(label, dict.fromkeys(BUCKETS, 0)),
             "signals": signals.get(label, 0)} for label in labels]


def oldest_overdue(*, scope: Scope, unit: Unit, today: dt.date, limit: int = 10
                   ) -> list[Task]:
    """Open work past its deadline in force in the unit's subtree, oldest deadline first,
    with who holds it now."""
    return list(task_selectors.task_list(scope=scope, filters=TaskFilters(unit=unit))
                .filter(state__in=list(OPEN_STATES), due_in_force__lt=today)
                .order_by("due_in_force", "code")[:limit])


# -- the directive cascade ("trên nóng, dưới lạnh") ----------------------------------------


@dataclass
class CascadeRow:
    unit: Unit
    #: the first answer: a plan (a directive answering this one) or tasks assigned under it
    answered_on: dt.date | None
    workdays: int | None
    plans: list[Directive]
    #: tasks assigned under the directive by the unit or a unit below it
    tasks: int
    #: of them, those the caller may read: the list behind the number (`cascade_tasks`)
    readable: int = 0


def directive_cascade(*, scope: Scope, directive: Directive, calendar) -> list[CascadeRow]:
    """For a directive, each unit directly below the issuing unit that the caller reads: did
    it answer, with its own plan (a directive that answers this one) or with tasks assigned
    under the directive, and after how many working days? Units that have not answered come
    first (three grouped queries). Whether and when a unit answered is a fact shown to
    whoever reads the unit; the tasks counted for the number that opens a list are those
    the caller may read (`readable`)."""
    issuer = directive.issued_by
    units = list(Unit.objects.filter(scope.units_q(), parent=issuer).order_by("lft"))
    if not units:
        return []
    plans: dict[int, list[Directive]] = {}
    for plan in (Directive.objects.filter(answers=directive)
                 .select_related("issued_by").order_by("issued_on", "code")):
        for unit in units:
            if unit.lft <= plan.issued_by.lft <= unit.rgt:
                plans.setdefault(unit.pk, []).append(plan)
    counts: dict[int, int] = {}
    first_task: dict[int, dt.datetime] = {}
    rows = (Task.objects.filter(directive=directive, assigner_unit__lft__gt=issuer.lft,
                                assigner_unit__rgt__lt=issuer.rgt)
            .exclude(state=TaskState.CANCELLED)
            .values("assigner_unit__lft").annotate(n=Count("pk"), first=Min("assigned_at"))
            .order_by())
    for row in rows:
        for unit in units:
            if unit.lft <= row["assigner_unit__lft"] <= unit.rgt:
                counts[unit.pk] = counts.get(unit.pk, 0) + row["n"]
                if unit.pk not in first_task or row["first"] < first_task[unit.pk]:
                    first_task[unit.pk] = row["first"]
    readable: dict[int, int] = {}
    for lft, n in (Task.objects.filter(task_selectors.task_scope_q(scope), directive=directive,
                                       assigner_unit__lft__gt=issuer.lft,
                                       assigner_unit__rgt__lt=issuer.rgt)
                   .exclude(state=TaskState.CANCELLED)
                   .values("assigner_unit__lft").annotate(n=Count("pk")).order_by()
                   .values_list("assigner_unit__lft", "n")):
        for unit in units:
            if unit.lft <= lft <= unit.rgt:
                readable[unit.pk] = readable.get(unit.pk, 0) + n
    result = []
    for unit in units:
        days = [plans[unit.pk][0].issued_on] if unit.pk in plans else []
        if unit.pk in first_task:
            days.append(timezone.localdate(first_task[unit.pk]))
        answered = min(days) if days else None
        workdays = (calendar.workdays_between(directive.issued_on, answered)
                    if answered else None)
        result.append(CascadeRow(unit, answered, workdays, plans.get(unit.pk, []),
                                 counts.get(unit.pk, 0), readable.get(unit.pk, 0)))
    result.sort(key=lambda r: (r.answered_on is not None, -(r.workdays or 0), r.unit.lft))
    return result


def units_below(*, directive: Directive) -> int:
    """How many units are directly below the directive's issuing unit, whatever the caller
    reads: an empty cascade says whether the issuing unit has none below it or none of them
    is in the caller's view (the organisation's tree is no secret; which units answered,
    read by `directive_cascade`, is shown only for units the caller reads)."""
    return Unit.objects.filter(parent_id=directive.issued_by_id).count()


def cascade_tasks(*, scope: Scope, directive: Directive, unit: Unit) -> QuerySet[Task]:
    """The tasks behind a cascade row's number: assigned under `directive` by `unit` or a
    unit below it, that the caller may read; a cancelled task (withdrawn, often assigned by
    mistake) is no answer."""
    return task_selectors.task_list(scope=scope, filters=TaskFilters(directive=directive)
                                    ).filter(assigner_unit__lft__gte=unit.lft,
                                             assigner_unit__rgt__lte=unit.rgt
                                             ).exclude(state=TaskState.CANCELLED)


# -- the calendar ----------------------------------------------------------------------


def calendar_computed(days: Collection[dt.date]) -> dict[dt.date, list[Computed]]:
    """What accountability has computed with the calendar of `days`, for the calendar's
    services (`core.calendar.register_computed`, in `apps.py`): a day of a month whose
    signals are stored, or of one before it, has that month's delays behind it. The months
    computed are those before `services._first_uncomputed_month`, as for the detectors'
    settings: the months are computed in order, the nightly job the current one, as of the
    day it runs; so a day after today is computed with nothing yet (a day off announced for
    the end of the current month is taken)."""
    from .services import _first_uncomputed_month

    earliest = _first_uncomputed_month()
    if earliest is None:
        return {}
    through = earliest - dt.timedelta(days=1)
    today = timezone.localdate()
    item = Computed(f"signals:{through:%Y-%m}",
                    _("signals are computed up to %(month)s") % {"month": f"{through:%m/%Y}"})
    return {day: [item] for day in days if day < earliest and day <= today}
