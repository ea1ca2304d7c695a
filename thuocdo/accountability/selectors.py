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

from thuocdo.core.scope import Scope, subtrees_q
from thuocdo.measure.history import Bucket
from thuocdo.measure.signals import event_number, period_bounds
from thuocdo.org.models import Membership, Official, Unit
from thuocdo.org.selectors import current_q
from thuocdo.tasks import selectors as task_selectors
from thuocdo.tasks.choices import OPEN_STATES, TaskState
from thuocdo.tasks.models import Directive, Task, TaskEvent
from thuocdo.tasks.selectors import TaskFilters, bucket_q

from .choices import DECIDED, SignalStatus, StepAction
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
    result = []
    for code, index in pairs:
        task = tasks.get(code)
        number = event_number(index)
        event = events.get((task.pk, number)) if task else None
        result.append(Evidence(code, number, task, event))
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

    @property
    def any(self) -> bool:
        return bool(self.to_decide or self.to_explain or self.inspected)


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
    (how many, the nearest due day, how many overdue), and, for an inspector, the overdue
    explanations in the units they inspect: the same rows as the signal list with the
    same filters, in a fixed number of queries whatever the number of signals or units."""
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
    return SignalsWaiting(to_decide=to_decide, to_explain=explain["n"],
                          explain_by=explain["due"], explain_overdue=explain["late"],
                          inspected=inspected)


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


def escalated_overdue(*, scope: Scope, unit: Unit, today: dt.date) -> QuerySet[SignalRecord]:
    """Work escalated to `unit` (S9, any month) whose signal is not decided and whose work
    is still open and past its deadline in force on `today`: what the unit above must act
    on now. The signal list with the same filters (escalated to the unit, S9, not decided,
    work still overdue) lists the same signals."""
    return signal_list(scope=scope, filters=SignalFilters(
        escalated_to=unit, code="S9", status="undecided", task_overdue_on=today))


@dataclass
class BouncedWork:
    """A task (or feedback) that bounced between holders (S3) in a month: how many times
    (its S3 signals, one per return), and who it came back to."""

    subject: str
    task: Task | None
    bounces: int
    #: the holders it came back to: "official (unit)", or the unit with nobody named
    holders: list[str]
    signals: list[SignalRecord]


def _bounced(*, scope: Scope, unit: Unit, period: str) -> QuerySet[SignalRecord]:
    return signal_list(scope=scope, filters=SignalFilters(unit=unit, period=period, code="S3"))


def bounced_work(*, scope: Scope, unit: Unit, period: str, limit: int | None = 10
                 ) -> list[BouncedWork]:
    """The work that bounced in the unit's subtree in `period`, one line per task (or
    feedback), the most bounces first, then the latest: two queries (the subjects, then
    their signals). The signal list filtered by the subject lists each line's signals."""
    grouped = (_bounced(scope=scope, unit=unit, period=period).order_by().values("subject")
               .annotate(n=Count("pk"), last=Max("raised_on")).order_by("-n", "-last",
                                                                        "subject"))
    subjects = [row["subject"] for row in (grouped if limit is None else grouped[:limit])]
    by_subject: dict[str, list[SignalRecord]] = {}
    for signal in _bounced(scope=scope, unit=unit, period=period).filter(
            subject__in=subjects).order_by("raised_on", "pk"):
        by_subject.setdefault(signal.subject, []).append(signal)
    result = []
    for subject in subjects:
        signals = by_subject.get(subject, [])
        holders = list(dict.fromkeys(
            f"{s.official.name} ({s.unit.name})" if s.official else s.unit.name
            for s in signals))
        task = next((s.task for s in signals if s.task is not None), None)
        result.append(BouncedWork(subject, task, len(signals), holders, signals))
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
    """Signals about the unit's subtree in the period, by code: all, undecided, confirmed."""
    qs = signal_list(scope=scope, filters=SignalFilters(unit=unit, period=period)).order_by()
    rows = qs.values("code").annotate(
        total=Count("pk"),
        undecided=Count("pk", filter=~Q(status__in=list(DECIDED))),
        confirmed=Count("pk", filter=Q(status="confirmed")),
    )
    return sorted(rows, key=lambda r: int(r["code"][1:]))


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


def cascade_tasks(*, scope: Scope, directive: Directive, unit: Unit) -> QuerySet[Task]:
    """The tasks behind a cascade row's number: assigned under `directive` by `unit` or a
    unit below it, that the caller may read; a cancelled task (withdrawn, often assigned by
    mistake) is no answer."""
    return task_selectors.task_list(scope=scope, filters=TaskFilters(directive=directive)
                                    ).filter(assigner_unit__lft__gte=unit.lft,
                                             assigner_unit__rgt__lte=unit.rgt
                                             ).exclude(state=TaskState.CANCELLED)
