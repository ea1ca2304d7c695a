"""Reads of tasks and directives, already scoped to what the caller may see.

Who sees a task (the one rule, used by every page and endpoint):

- administrators: every task;
- board, inspectors, heads and deputies: tasks whose lead, holding or assigning unit lies in
  a subtree they read;
- everyone with an official: tasks they lead, hold, assigned, or ever held (a transfer, a
  guidance request or a review put it in their hands), and tasks whose opinion was asked of a
  unit they belong to, or that such a unit coordinates;
- staff also see their own units' lists (tasks led by a unit they belong to).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    DateField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from thuocdo.core.scope import Scope
from thuocdo.core.text import fold
from thuocdo.measure.history import VIETNAM, Bucket, end_of_day

from .choices import EXTENSION_KINDS, OPEN_STATES, EventKind, TaskState
from .models import Directive, Task, TaskCoordination, TaskEvent
from .workflow import DbDirectory, TaskSnapshot, is_assigner, works_on


def task_scope_q(scope: Scope) -> Q:
    """A filter on Task for the tasks `scope` may read."""
    if scope.is_admin:
        return Q()
    if not scope.is_authenticated:
        return Q(pk__in=[])
    q = (
        scope.units_q(prefix="lead_unit__")
        | scope.units_q(prefix="holder_unit__")
        | scope.units_q(prefix="assigner_unit__")
    )
    if scope.official_id is not None:
        me = scope.official_id
        q |= Q(lead_official_id=me) | Q(holder_official_id=me) | Q(assigned_by_id=me)
        q |= Q(Exists(TaskEvent.objects.filter(task=OuterRef("pk"), holder_official_after_id=me)))
    if scope.member_unit_ids:
        from thuocdo.org.models import Unit

        codes = list(Unit.objects.filter(pk__in=scope.member_unit_ids)
                     .values_list("code", flat=True))
        q |= Q(Exists(TaskEvent.objects.filter(
            task=OuterRef("pk"), kind=EventKind.CONSULT, data__to_unit__in=codes
        )))
        q |= Q(Exists(TaskCoordination.objects.filter(
            task=OuterRef("pk"), unit_id__in=list(scope.member_unit_ids))))
    return q


def _today() -> dt.date:
    return timezone.localdate()


#: The work lists' fifth choice beside the four buckets: cancelled tasks, which are in none
#: (so the four bucket counts plus this one add up to every task listed).
CANCELLED = "cancelled"


def _handed_in_on_time() -> Exists:
    """The task's latest submit was made on or before its deadline in force (its day in
    Vietnam). Meaningful while the task is submitted: that submit is the one under review."""
    later = TaskEvent.objects.filter(task=OuterRef("task"), kind=EventKind.SUBMIT,
                                     seq__gt=OuterRef("seq"))
    return Exists(
        TaskEvent.objects.annotate(day=TruncDate("at", tzinfo=VIETNAM))
        .filter(task=OuterRef("pk"), kind=EventKind.SUBMIT, day__lte=OuterRef("due_in_force"))
        .exclude(Exists(later))
    )


def waiting_review_on_time_q() -> Q:
    """Work handed in by its deadline in force and waiting for review. Approved, it is done
    on time (domain.md: the accepted submit is when it was done), so however long the review
    takes it is not overdue: the official met the deadline."""
    return Q(state=TaskState.SUBMITTED) & Q(_handed_in_on_time())


def bucket_q(bucket: str, *, on: dt.date | None = None) -> Q:
    """Tasks in a reporting bucket as of today (or the end of `on`), in SQL.

    Done tasks carry `done_late` (computed by the engine at approval); open tasks compare the
    deadline in force with the day, except work handed in by its deadline and waiting for
    review, which stays within the deadline (`waiting_review_on_time_q`). Cancelled tasks
    are in no bucket: `CANCELLED` selects them, for the lists that show them beside the four.
    """
    day = on or _today()
    open_q = Q(state__in=list(OPEN_STATES))
    if bucket == Bucket.DONE_ON_TIME:
        return Q(state=TaskState.DONE, done_late=False)
    if bucket == Bucket.DONE_LATE:
        return Q(state=TaskState.DONE, done_late=True)
    if bucket == Bucket.OPEN_WITHIN_DEADLINE:
        return open_q & (Q(due_in_force__gte=day) | waiting_review_on_time_q())
    if bucket == Bucket.OPEN_OVERDUE:
        return open_q & Q(due_in_force__lt=day) & ~waiting_review_on_time_q()
    if bucket == CANCELLED:
        return Q(state=TaskState.CANCELLED)
    raise ValueError(bucket)


def handed_in_on_time(task: Task) -> bool:
    """Whether `task` is submitted and its product was handed in by the deadline in force
    (`task_list` annotates it; else one query)."""
    if task.state != TaskState.SUBMITTED:
        return False
    known = getattr(task, "handed_in_on_time", None)
    if known is None:
        known = task.handed_in_on_time = Task.objects.filter(
            waiting_review_on_time_q(), pk=task.pk).exists()
    return bool(known)


def bucket_of(task: Task, *, on: dt.date | None = None) -> Bucket | None:
    """The bucket of one loaded task, by the same rule as `bucket_q`."""
    day = on or _today()
    if task.state == TaskState.DONE:
        return Bucket.DONE_LATE if task.done_late else Bucket.DONE_ON_TIME
    if task.state == TaskState.CANCELLED:
        return None
    if task.due_in_force >= day or handed_in_on_time(task):
        return Bucket.OPEN_WITHIN_DEADLINE
    return Bucket.OPEN_OVERDUE


TASK_ORDERINGS = {
    "due": ("due_in_force", "code"),
    "-due": ("-due_in_force", "-code"),
    "assigned": ("assigned_at", "code"),
    "-assigned": ("-assigned_at", "-code"),
    "code": ("code",),
    "-code": ("-code",),
    "title": ("title_folded", "code"),
    "-title": ("-title_folded", "-code"),
    "last_event": ("last_event_at", "code"),
    "-last_event": ("-last_event_at", "-code"),
}


@dataclass(frozen=True)
class TaskFilters:
    """What a work list can be narrowed by. Every field is optional."""

    unit: object = None  # a Unit: led by it or a unit below it (include_subunits)
    include_subunits: bool = True
    bucket: str | None = None  # a Bucket value, or CANCELLED
    state: str | None = None
    directive: object = None  # a Directive
    holder: object = None  # an Official
    lead_official: object = None  # an Official
    priority: str | None = None
    due_from: dt.date | None = None
    due_to: dt.date | None = None
    #: the period the task belongs to: its original deadline in [first, last] (domain.md)
    period: tuple[dt.date, dt.date] | None = None
    assigned_from: dt.date | None = None
    assigned_to: dt.date | None = None
    search: str | None = None


def task_list(
    *, scope: Scope, filters: TaskFilters | None = None, ordering: str = "due"
) -> QuerySet[Task]:
    """Readable tasks, filtered and ordered; related rows are loaded for list pages."""
    f = filters or TaskFilters()
    qs = Task.objects.filter(task_scope_q(scope))
    if f.unit is not None:
        unit = f.unit
        qs = qs.filter(
            Q(lead_unit__lft__gte=unit.lft, lead_unit__rgt__lte=unit.rgt)  # type: ignore[attr-defined]
            if f.include_subunits else Q(lead_unit=unit)
        )
    if f.bucket:
        qs = qs.filter(bucket_q(f.bucket))
    if f.state:
        qs = qs.filter(state=f.state)
    if f.directive is not None:
        qs = qs.filter(directive=f.directive)
    if f.holder is not None:
        qs = qs.filter(holder_official=f.holder)
    if f.lead_official is not None:
        qs = qs.filter(lead_official=f.lead_official)
    if f.priority:
        qs = qs.filter(priority=f.priority)
    if f.due_from:
        qs = qs.filter(due_in_force__gte=f.due_from)
    if f.due_to:
        qs = qs.filter(due_in_force__lte=f.due_to)
    if f.period:
        qs = qs.filter(due__range=f.period)
    if f.assigned_from:
        qs = qs.filter(assigned_at__gte=_start_of(f.assigned_from))
    if f.assigned_to:
        qs = qs.filter(assigned_at__lt=_start_of(f.assigned_to + dt.timedelta(days=1)))
    if f.search:
        folded = fold(f.search)
        qs = qs.filter(Q(title_folded__contains=folded) | Q(code__icontains=f.search.strip()))
    qs = qs.select_related("lead_unit", "lead_official", "holder_unit", "holder_official",
                           "product", "directive", "assigned_by")
    # Only a submitted task can be handed in on time and waiting: the CASE keeps the
    # subquery off every other row of a city-sized list, count or export.
    qs = qs.annotate(handed_in_on_time=Case(
        When(state=TaskState.SUBMITTED, then=_handed_in_on_time()),
        default=Value(False), output_field=BooleanField()))
    return qs.order_by(*TASK_ORDERINGS.get(ordering, TASK_ORDERINGS["due"]))


def _start_of(day: dt.date) -> dt.datetime:
    return end_of_day(day - dt.timedelta(days=1))


def task_get(*, scope: Scope, code: str) -> Task:
    """One readable task by code (raises Task.DoesNotExist outside the scope)."""
    return task_list(scope=scope).get(code=code)


def extension_pending_q(*, by: int | None = None) -> Q:
    """Open tasks with an extension request not yet granted or refused (asked by the
    official `by`, if given)."""
    answered = TaskEvent.objects.filter(
        task=OuterRef("task"), seq__gt=OuterRef("seq"),
        kind__in=[EventKind.EXTENSION_GRANT, EventKind.EXTENSION_REFUSE],
    )
    requests = TaskEvent.objects.filter(task=OuterRef("pk"), kind=EventKind.EXTENSION_REQUEST)
    if by is not None:
        requests = requests.filter(actor_id=by)
    return Q(state__in=list(OPEN_STATES)) & Q(Exists(requests.exclude(Exists(answered))))


def _led_units(official_id: int, day: dt.date) -> QuerySet:
    """The ids of the units `official_id` leads (head or deputy) on `day`, as a subquery."""
    from thuocdo.org.choices import LEADER_POSITIONS
    from thuocdo.org.models import Membership

    return Membership.objects.filter(
        Q(end__isnull=True) | Q(end__gte=day), start__lte=day, official_id=official_id,
        position__in=list(LEADER_POSITIONS),
    ).values("unit_id")


def decided_by_q(official_id: int, *, day: dt.date) -> Q:
    """Tasks whose requests `official_id` decides (workflow: the assigner): they assigned
    the task, or they lead (head or deputy, on `day`) the assigning unit."""
    return (Q(assigned_by_id=official_id)
            | Q(assigner_unit_id__in=_led_units(official_id, day)))


def open_tasks_held(*, official_id: int) -> int:
    """How many open tasks `official_id` holds in their name: what a move or a departure
    leaves with them until a head hands it on (the organisation's admin says so)."""
    return Task.objects.filter(holder_official_id=official_id,
                               state__in=list(OPEN_STATES)).count()


def held_by_q(official_id: int, *, day: dt.date) -> Q:
    """Tasks `official_id` holds (workflow: the holder): in their name, or held by a unit
    they lead (head or deputy, on `day`) with no official named, whose leaders take it."""
    return (Q(holder_official_id=official_id)
            | Q(holder_official__isnull=True,
                holder_unit_id__in=_led_units(official_id, day)))


def _below_led_q(official_id: int, day: dt.date) -> Q:
    """Tasks assigned by a unit inside one the official leads on `day` (where they may
    decide as the leader above: `workflow.deciders`)."""
    from thuocdo.org.models import Unit

    q = Q(pk__in=[])
    for lft, rgt in Unit.objects.filter(pk__in=_led_units(official_id, day)).values_list(
            "lft", "rgt"):
        q |= Q(assigner_unit__lft__gt=lft, assigner_unit__rgt__lt=rgt)
    return q


def task_logs(task_ids: Iterable[int]) -> dict[int, list[TaskEvent]]:
    """The logs of the tasks (the caller checked them), in order, in one query, with what
    `workflow.TaskSnapshot.of` reads of each event loaded."""
    logs: dict[int, list[TaskEvent]] = {pk: [] for pk in task_ids}
    for event in TaskEvent.objects.filter(task_id__in=list(logs)).select_related(
            "actor", "holder_unit_after", "holder_official_after").order_by("task_id", "seq"):
        logs[event.task_id].append(event)
    return logs


def _snapshots(tasks: list[Task]) -> dict[int, TaskSnapshot]:
    """Each task's snapshot (`workflow.TaskSnapshot.of`), its events read in one query."""
    logs = task_logs(task.pk for task in tasks)
    return {task.pk: TaskSnapshot.of(task, logs[task.pk]) for task in tasks}


def _by_rule(candidates: QuerySet[Task], official_id: int, day: dt.date, *,
             decides: bool) -> list[Task]:
    """The `candidates` (a few, read in one query, their logs in one) on which the official
    decides as the assigner (`workflow.is_assigner`), if `decides`; else those that are
    their own work (`workflow.works_on`)."""
    tasks = list(candidates.select_related("lead_unit", "lead_official", "assigner_unit",
                                           "assigned_by"))
    if not tasks:
        return []
    from thuocdo.org.models import Official

    official = Official.objects.get(pk=official_id)
    directory = DbDirectory()
    snapshots = _snapshots(tasks)
    if decides:
        return [t for t in tasks if is_assigner(snapshots[t.pk], official, day, directory)]
    return [t for t in tasks if works_on(snapshots[t.pk], official)]


def _extensions_to_decide(scope: Scope, day: dt.date) -> list[Task]:
    """Open tasks with an extension request waiting for the caller's decision, by the
    workflow's own rule (`workflow.is_assigner`): never on their own work (their request,
    work they took or hold), and with the leaders of the unit above when nobody of the
    assigning unit may decide."""
    me = scope.official_id
    # from below, only work its assigner may be doing themself can fall to the level above
    # (`workflow.deciders`): they hold it, or it is unit-held, or waits for guidance
    assigner_works = (Q(holder_official_id=F("assigned_by_id")) | Q(holder_official__isnull=True)
                      | Q(state=TaskState.WAITING_GUIDANCE))
    return _by_rule(
        task_list(scope=scope, ordering="due")
        .filter(extension_pending_q(),
                decided_by_q(me, day=day) | (_below_led_q(me, day) & assigner_works))
        .exclude(extension_pending_q(by=me)), me, day, decides=True)


def _to_review_above(scope: Scope, day: dt.date) -> list[Task]:
    """Products handed in to a unit inside one the caller leads, with no official named,
    that nobody of that unit may decide (its leaders all work on it: a head alone on his
    own task), so the caller decides as the leader above (`workflow.is_assigner`)."""
    me = scope.official_id
    return _by_rule(
        task_list(scope=scope, ordering="due")
        .filter(_below_led_q(me, day), state=TaskState.SUBMITTED, holder_official__isnull=True)
        .exclude(held_by_q(me, day=day)), me, day, decides=True)


def _own_unit_held(scope: Scope, day: dt.date) -> list[Task]:
    """Work a unit the caller leads holds with no official named, waiting for a decision
    (handed in, or waiting for guidance), that is the caller's own (`workflow.works_on`:
    they handed it in or took it): it waits on another leader, not on them."""
    me = scope.official_id
    return _by_rule(
        task_list(scope=scope, ordering="due")
        .filter(held_by_q(me, day=day), holder_official__isnull=True,
                state__in=[TaskState.SUBMITTED, TaskState.WAITING_GUIDANCE]),
        me, day, decides=False)


def _replies_of(unit_code: str) -> QuerySet[TaskEvent]:
    """The opinions (`consult_reply`) given on the outer row's task by the unit whose code
    is the outer row's `unit_code` (a reference: `OuterRef`)."""
    return (TaskEvent.objects.filter(task=OuterRef("task"), kind=EventKind.CONSULT_REPLY)
            .annotate(unit_code=Cast(KT("data__unit"), CharField()))
            .filter(unit_code=OuterRef(unit_code)))


def consultations_pending() -> QuerySet[TaskEvent]:
    """The consultations (`consult` events) the unit asked has not answered since: the rule
    of `workflow.TaskSnapshot.consults` (a reply answers every question its unit was asked
    before it), in SQL, whatever the task's state. Each carries `asked_code` (the unit's
    code) and `reply_due` (ISO text, which sorts and compares as the days do)."""
    # as plain text (Cast): a key of JSON compares as JSON, and "2026-10-09" is none
    return (TaskEvent.objects.filter(kind=EventKind.CONSULT)
            .annotate(asked_code=Cast(KT("data__to_unit"), CharField()),
                      reply_due=Cast(KT("data__reply_due"), CharField()))
            .exclude(Exists(_replies_of("asked_code").filter(seq__gt=OuterRef("seq")))))


def coordinations_pending() -> QuerySet[TaskCoordination]:
    """The coordinating units named at assignment that have not given their input
    (`workflow.coordination_asks`: the unit's first opinion, `consult_reply`, gives it),
    whatever the task's state. Each carries `asked_code` (the unit's code); its deadline
    is `due`."""
    return (TaskCoordination.objects.annotate(asked_code=F("unit__code"))
            .exclude(Exists(_replies_of("asked_code"))))


def opinion_unit_codes(official_id: int, day: dt.date) -> list[str]:
    """The codes of the units whose opinion `official_id` gives on `day`: those they lead
    (head or deputy), and those they belong to that have neither that day, whose members
    answer for them. The same people are told of a question and its deadline
    (`notifications.services`). Two small queries, whatever the number of tasks."""
    from thuocdo.org.choices import LEADER_POSITIONS
    from thuocdo.org.models import Membership, Unit

    current = Q(start__lte=day) & (Q(end__isnull=True) | Q(end__gte=day))
    mine = set(Membership.objects.filter(current, official_id=official_id)
               .values_list("unit_id", "position"))
    led = {unit for unit, position in mine if position in LEADER_POSITIONS}
    others = {unit for unit, _position in mine} - led
    if others:
        led |= others - set(Membership.objects.filter(
            current, unit_id__in=others, position__in=list(LEADER_POSITIONS))
            .values_list("unit_id", flat=True))
    return list(Unit.objects.filter(pk__in=led).values_list("code", flat=True)) if led else []


def _asked_of(codes: list[str]) -> tuple[QuerySet[TaskEvent], QuerySet[TaskCoordination]]:
    """What waits on open tasks for the opinion of the units `codes`: the questions asked
    of them (`consultations_pending`) and the input due from them as coordinating units
    (`coordinations_pending`)."""
    open_tasks = {"asked_code__in": codes, "task__state__in": list(OPEN_STATES)}
    return (consultations_pending().filter(**open_tasks),
            coordinations_pending().filter(**open_tasks))


def _opinions_q(codes: list[str]) -> Q:
    if not codes:
        return Q(pk__in=[])
    asked, coordinating = _asked_of(codes)
    return Q(pk__in=asked.values("task_id")) | Q(pk__in=coordinating.values("task_id"))


def opinions_to_give_q(official_id: int, *, day: dt.date) -> Q:
    """Open tasks whose opinion was asked of a unit `official_id` answers for on `day`
    (`opinion_unit_codes`), or that name such a unit to coordinate, and whose opinion or
    input that unit has not given yet."""
    return _opinions_q(opinion_unit_codes(official_id, day))


def iso_day(value) -> dt.date | None:
    """A day an event's data or an annotation holds as ISO text (YYYY-MM-DD), or None when
    there is none or it does not read as a day (an import's)."""
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _opinions_to_give(scope: Scope, day: dt.date) -> list[Task]:
    """The tasks of `opinions_to_give_q`, the earliest reply deadline first; each carries
    `opinion_unit` (the unit asked, its earliest pending question or input if several),
    `opinion_due` (that deadline) and `opinion_coordinating` (whether it is the unit's
    input as a coordinating unit rather than an answer to a question). Three queries
    after the units'."""
    from thuocdo.org.models import Unit

    codes = opinion_unit_codes(scope.official_id, day)
    if not codes:
        return []
    asked, coordinating = _asked_of(codes)
    first_asked = asked.filter(task=OuterRef("pk")).order_by("reply_due", "seq")
    first_due = coordinating.filter(task=OuterRef("pk")).order_by("due", "asked_code")
    tasks = list(
        task_list(scope=scope).filter(_opinions_q(codes))
        .annotate(asked_code=Subquery(first_asked.values("asked_code")[:1],
                                      output_field=CharField()),
                  asked_due=Subquery(first_asked.values("reply_due")[:1],
                                     output_field=CharField()),
                  coordinating_code=Subquery(first_due.values("asked_code")[:1],
                                             output_field=CharField()),
                  coordinating_due=Subquery(first_due.values("due")[:1],
                                            output_field=DateField()))
    )
    units = Unit.objects.in_bulk({code for task in tasks
                                  for code in (task.asked_code, task.coordinating_code) if code},
                                 field_name="code")
    for task in tasks:
        pending = []
        asked_due = iso_day(task.asked_due)
        if task.asked_code and asked_due:
            pending.append((asked_due, False, task.asked_code))
        if task.coordinating_code and task.coordinating_due:
            pending.append((task.coordinating_due, True, task.coordinating_code))
        # a question with no readable reply deadline (an import's) has no day to keep
        due, task.opinion_coordinating, code = min(pending) if pending else (
            None, False, task.asked_code or task.coordinating_code)
        task.opinion_unit, task.opinion_due = units.get(code), due
        task.opinion_late = due is not None and due < day
    tasks.sort(key=lambda task: (task.opinion_due is None, task.opinion_due or day, task.code))
    return tasks


@dataclass
class MyWork:
    """"Việc của tôi": what the official holds, most pressing first, the extension requests
    they decide and the opinions asked of a unit they lead."""

    overdue: list[Task]
    to_accept: list[Task]
    in_progress: list[Task]
    to_review: list[Task]
    waiting: list[Task]
    to_decide: list[Task] = field(default_factory=list)
    opinions: list[Task] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(len(x) for x in (self.overdue, self.to_accept, self.in_progress,
                                    self.to_review, self.waiting, self.to_decide,
                                    self.opinions))


def my_work(*, scope: Scope, on: dt.date | None = None) -> MyWork:
    """The caller's open work: overdue first, then to accept, in progress, submitted to them
    for review, work of theirs waiting on someone else (guidance, approval), the extension
    requests they decide and the opinions asked of a unit they lead."""
    day = on or _today()
    me = scope.official_id
    empty = MyWork([], [], [], [], [])
    if me is None:
        return empty
    held = list(
        task_list(scope=scope, ordering="due").filter(held_by_q(me, day=day),
                                                      state__in=list(OPEN_STATES))
    )
    own = _own_unit_held(scope, day)
    overdue = [t for t in held if t.due_in_force < day and t.state != TaskState.SUBMITTED
               and t not in own]
    rest = [t for t in held if t not in overdue and t not in own]
    waiting = list(
        task_list(scope=scope, ordering="due").filter(
            lead_official_id=me, state__in=[TaskState.WAITING_GUIDANCE, TaskState.SUBMITTED]
        ).exclude(holder_official_id=me)
    )
    waiting += [t for t in own if t not in waiting]
    return MyWork(
        overdue=overdue,
        to_accept=[t for t in rest if t.state == TaskState.ASSIGNED],
        in_progress=[t for t in rest if t.state == TaskState.IN_PROGRESS],
        to_review=[t for t in rest if t.state in (TaskState.SUBMITTED,
                                                   TaskState.WAITING_GUIDANCE)]
        + _to_review_above(scope, day),
        waiting=waiting,
        to_decide=_extensions_to_decide(scope, day),
        opinions=_opinions_to_give(scope, day),
    )


def grants_answering(events: Iterable[TaskEvent]) -> set[int]:
    """The numbers of the extension grants that answered a request, among one task's
    `events` in order (its extension events at least): those whose last extension event
    before them is a request (the rule the notifications apply in SQL,
    `notifications.services._notify_event_window`). Read from the log itself, so a grant
    recorded before this was asked reads right too; any other grant moved the deadline
    unasked, which the assigner may do (docs/workflow.md)."""
    answering: set[int] = set()
    last = None
    for event in events:
        if event.kind in EXTENSION_KINDS:
            if event.kind == EventKind.EXTENSION_GRANT and last == EventKind.EXTENSION_REQUEST:
                answering.add(event.seq)
            last = event.kind
    return answering


def event_label(event: TaskEvent, *, answering: bool) -> str:
    """What the timeline calls an event: a grant that answered no request (`answering`
    False, see `grants_answering`) says the deadline was extended, not that an extension
    was granted."""
    if event.kind == EventKind.EXTENSION_GRANT and not answering:
        return _("Deadline extended")
    return EventKind(event.kind).label if event.kind in EventKind.values else event.kind


def event_labels(events: Iterable[TaskEvent]) -> dict[tuple[int, int], str]:
    """`event_label` of events of any tasks, by (task id, number): one query for the
    extension events of the tasks that have a grant among them."""
    events = list(events)
    granted = {e.task_id for e in events if e.kind == EventKind.EXTENSION_GRANT}
    answering: set[tuple[int, int]] = set()
    if granted:
        logs: dict[int, list[TaskEvent]] = {}
        for event in (TaskEvent.objects.filter(task_id__in=granted,
                                               kind__in=list(EXTENSION_KINDS))
                      .only("task_id", "seq", "kind").order_by("task_id", "seq")):
            logs.setdefault(event.task_id, []).append(event)
        answering = {(task_id, seq) for task_id, log in logs.items()
                     for seq in grants_answering(log)}
    return {(e.task_id, e.seq): event_label(e, answering=(e.task_id, e.seq) in answering)
            for e in events}


def task_events(*, task: Task) -> QuerySet[TaskEvent]:
    """The task's log in order (the caller checked the task), with people and units loaded."""
    return task.events.select_related(
        "actor", "holder_unit_before", "holder_official_before", "holder_unit_after",
        "holder_official_after",
    ).order_by("seq")


def directive_list(*, scope: Scope, search: str | None = None) -> QuerySet[Directive]:
    """Directives are published documents: every logged-in user may read them."""
    qs = Directive.objects.select_related("issued_by", "answers")
    if search:
        qs = qs.filter(Q(code__icontains=search.strip()) | Q(title__icontains=search.strip()))
    return qs.order_by("-issued_on", "code")


def directive_list_to_answer(*, scope: Scope) -> QuerySet[Directive]:
    """The directives the caller may answer with a task they assign: those addressed to a
    unit they lead, that is issued by it or by a unit above it (a directive goes down the
    tree from its issuer: `workflow.check_directive`, which the services apply); every
    directive for an administrator. Nothing for whoever leads no unit."""
    qs = directive_list(scope=scope)
    if scope.is_admin:
        return qs
    addressed = Q(pk__in=[])
    for lft, rgt in scope.lead_ranges:
        addressed |= Q(issued_by__lft__lte=lft, issued_by__rgt__gte=rgt)
    return qs.filter(addressed)


def directive_get(*, scope: Scope, code: str) -> Directive:
    return directive_list(scope=scope).get(code=code)


def directive_answers(*, directive: Directive) -> QuerySet[Directive]:
    """The lower units' plans that answer `directive`."""
    return directive.answered_by.select_related("issued_by").order_by("issued_on", "code")


# -- added for the tasks API -----------------------------------------------------------


def directive_task_counts(
    *, scope: Scope, directives: list[Directive], on: dt.date | None = None
) -> dict[int, dict[str, int]]:
    """Readable tasks of each directive by reporting bucket, plus `cancelled` and `total`,
    in one grouped query: directive id → counts (every key present, zero when none)."""
    from django.db.models import Count

    keys = [b.value for b in Bucket]
    empty = dict.fromkeys([*keys, "cancelled", "total"], 0)
    result: dict[int, dict[str, int]] = {d.pk: dict(empty) for d in directives}
    if not directives:
        return result
    rows = (
        Task.objects.filter(task_scope_q(scope), directive__in=[d.pk for d in directives])
        .values("directive_id")
        .annotate(
            total=Count("pk"),
            cancelled=Count("pk", filter=Q(state=TaskState.CANCELLED)),
            **{key: Count("pk", filter=bucket_q(key, on=on)) for key in keys},
        )
        .order_by()
    )
    for row in rows:
        result[row.pop("directive_id")] = row
    return result


def product_list(*, scope: Scope, search: str | None = None):
    """The product catalogue: every logged-in user may read it. Each product carries its
    coefficient versions, newest first (prefetched as `coefficients`)."""
    from django.db.models import Prefetch

    from .models import Product, ProductCoefficient

    qs = Product.objects.prefetch_related(
        Prefetch("coefficients", queryset=ProductCoefficient.objects.order_by("-valid_from"))
    )
    if search:
        qs = qs.filter(Q(code__icontains=search.strip()) | Q(name__icontains=search.strip()))
    return qs.order_by("code")


# -- added for the task pages ----------------------------------------------------------


def task_bucket_counts(*, tasks: QuerySet[Task], on: dt.date | None = None) -> dict[str, int]:
    """How many of `tasks` (a queryset already scoped and filtered, e.g. from `task_list`)
    fall in each reporting bucket, in one query: bucket value → count."""
    from django.db.models import Count

    keys = [b.value for b in Bucket]
    row = tasks.order_by().aggregate(
        **{key: Count("pk", filter=bucket_q(key, on=on)) for key in keys}
    )
    return {key: row[key] or 0 for key in keys}


def task_list_counts(*, tasks: QuerySet[Task], on: dt.date | None = None) -> dict[str, int]:
    """The bucket counts of `tasks` (as `task_bucket_counts`) plus `cancelled` (in no
    bucket) and `total` (all of them: the four buckets and `cancelled` add up to it), in one
    query."""
    from django.db.models import Count

    keys = [b.value for b in Bucket]
    row = tasks.order_by().aggregate(
        total=Count("pk"), cancelled=Count("pk", filter=Q(state=TaskState.CANCELLED)),
        **{key: Count("pk", filter=bucket_q(key, on=on)) for key in keys},
    )
    return {key: row[key] or 0 for key in [*keys, CANCELLED, "total"]}


#: The columns of `task_rows`, in order.
TASK_ROW_FIELDS = (
    "code", "title", "directive__code", "product__name", "quantity", "coefficient",
    "lead_unit__name", "lead_official__name", "holder_official__name", "holder_unit__name",
    "assigned_by__name", "assigned_at", "due", "due_in_force", "priority", "state", "bucket",
    "done_at", "last_event_at",
)


def task_rows(*, tasks: QuerySet[Task], on: dt.date | None = None):
    """`tasks` (already scoped, filtered and ordered) as plain tuples of `TASK_ROW_FIELDS`,
    for exports of thousands of rows: one query, no model instances, each task's bucket
    (None when cancelled) computed in SQL by the rule of `bucket_q`."""
    from django.db.models import Case, CharField, Value, When

    bucket = Case(*(When(bucket_q(b.value, on=on), then=Value(b.value)) for b in Bucket),
                  default=Value(None), output_field=CharField())
    return tasks.annotate(bucket=bucket).values_list(*TASK_ROW_FIELDS)


def _overdue_held_q(day: dt.date) -> Q:
    """Work its holder is late with on `day`, as "Việc của tôi" counts it: past the deadline
    in force, a product submitted for review not counted (it waits on its reviewer)."""
    return Q(due_in_force__lt=day) & ~Q(state=TaskState.SUBMITTED)


def my_urgent_work(*, scope: Scope, limit: int = 5) -> list[Task]:
    """The few open tasks the caller holds that are due first: overdue ones first (their
    deadline in force passed longest ago), then those due soonest; one query. Work submitted
    to the caller for review counts too: it waits on them."""
    if scope.official_id is None:
        return []
    # overdue first, as the home page says (`_overdue_held_q`): a product submitted for
    # the caller's review sat among the overdue by its date
    overdue = _overdue_held_q(_today())
    return list(
        task_list(scope=scope, ordering="due")
        .filter(holder_official_id=scope.official_id, state__in=list(OPEN_STATES))
        .annotate(later=Case(When(overdue, then=Value(0)), default=Value(1),
                             output_field=IntegerField()))
        .order_by("later", "due_in_force", "code")[:limit]
    )


def my_work_counts(*, scope: Scope, on: dt.date | None = None) -> dict[str, int]:
    """The sizes of the sections of `my_work` (same rules), in a few queries: `overdue`,
    `to_accept`, `in_progress`, `to_review`, `waiting`, `to_decide` (that and the caller's
    own unit-held work by the workflow's rule, over their few candidates), `opinions`."""
    from django.db.models import Count

    day = on or _today()
    me = scope.official_id
    counts = dict.fromkeys(["overdue", "to_accept", "in_progress", "to_review", "waiting",
                            "to_decide", "opinions"], 0)
    if me is None:
        return counts
    overdue = _overdue_held_q(day)
    own = _own_unit_held(scope, day)
    held = Task.objects.filter(task_scope_q(scope), held_by_q(me, day=day),
                               state__in=list(OPEN_STATES)).exclude(pk__in=[t.pk for t in own])
    counts.update(held.order_by().aggregate(
        overdue=Count("pk", filter=overdue),
        to_accept=Count("pk", filter=~overdue & Q(state=TaskState.ASSIGNED)),
        in_progress=Count("pk", filter=~overdue & Q(state=TaskState.IN_PROGRESS)),
        to_review=Count("pk", filter=~overdue & Q(state__in=[TaskState.SUBMITTED,
                                                              TaskState.WAITING_GUIDANCE])),
    ))
    counts["waiting"] = (
        Task.objects.filter(task_scope_q(scope), lead_official_id=me,
                            state__in=[TaskState.WAITING_GUIDANCE, TaskState.SUBMITTED])
        .exclude(holder_official_id=me).count()
    ) + sum(1 for t in own if t.lead_official_id != me)
    counts["to_review"] += len(_to_review_above(scope, day))
    counts["to_decide"] = len(_extensions_to_decide(scope, day))
    counts["opinions"] = Task.objects.filter(task_scope_q(scope),
                                             opinions_to_give_q(me, day=day)).count()
    return counts


def task_coordinations(*, task: Task):
    """The task's coordinating units with their deadlines (the caller checked the task)."""
    return task.coordinations.select_related("unit").order_by("due", "unit__code")


def task_steps(*, task: Task):
    """The task's steps and allowances in order (the caller checked the task)."""
    return task.steps.order_by("order")


def unit_options():
    """Every active unit, in tree order: work may be passed to, or an opinion asked of, any
    public body (their names are public; their people stay scoped)."""
    from thuocdo.org.models import Unit

    return (Unit.objects.filter(is_active=True)
            .only("pk", "code", "name", "depth", "lft").order_by("lft"))


def guidance_candidates(*, task: Task, day: dt.date | None = None, exclude_id: int | None = None):
    """Whom the holder may ask for guidance: the heads and deputies in force on `day` of the
    holding unit and every unit above it, and the official who assigned the task."""
    from thuocdo.org.choices import LEADER_POSITIONS
    from thuocdo.org.models import Membership, Official

    day = day or _today()
    unit = task.holder_unit
    leaders = Membership.objects.filter(
        Q(end__isnull=True) | Q(end__gte=day), start__lte=day,
        position__in=list(LEADER_POSITIONS),
        unit__lft__lte=unit.lft, unit__rgt__gte=unit.rgt,
    ).values("official_id")
    qs = Official.objects.filter(Q(pk__in=leaders) | Q(pk=task.assigned_by_id), is_active=True)
    if exclude_id is not None:
        qs = qs.exclude(pk=exclude_id)
    return qs.order_by("name_folded", "code")


def calendar_due(days) -> dict:
    """The open tasks whose deadline in force is one of `days`, by day, for the calendar's
    admin (`core.calendar.register_due`, in `apps.py`): a day made a day off keeps the
    deadlines set on it, and the administrator is told how many."""
    from django.db.models import Count
    from django.utils.translation import ngettext

    from thuocdo.core.calendar import Computed

    rows = (Task.objects.filter(state__in=list(OPEN_STATES), due_in_force__in=list(days))
            .values("due_in_force").annotate(count=Count("pk")))
    return {row["due_in_force"]: [Computed("tasks:due", ngettext(
        "%(count)s open task", "%(count)s open tasks", row["count"]) % {"count": row["count"]})]
        for row in rows}
