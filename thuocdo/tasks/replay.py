"""Replay exchange-format histories (tasks and their events) through the workflow, in bulk.

Every event goes through `workflow.decide`, the same rules as an action taken in the UI or
the API, answered by a `MemoryDirectory` loaded once, so a month of a city's work replays
without a query per event. A history that could not have happened is refused with the path
of each problem (`events[12]: ...`) and nothing is written: problems are collected for the
whole document before anything would be kept (the caller's transaction also rolls back).

Tasks are matched by code: a stored task's log must be a prefix of the document's events for
it; identical → unchanged; further events are appended. Tasks are processed in chunks so
memory stays bounded by the chunk, not the document.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.utils.translation import gettext as _

from thuocdo.core.errors import ServiceError
from thuocdo.core.text import fold

from .choices import EventKind, Priority, TaskState
from .models import Directive, Product, Task, TaskCoordination, TaskEvent, TaskStep
from .services import build_event, creation_data, new_snapshot, sync_task
from .workflow import MemoryDirectory, TaskSnapshot, check_assignment, decide

CHUNK = 2000
BATCH = 2000
#: Event record keys that are not payload.
EVENT_KEYS = {"task", "kind", "at", "actor"}
#: Event kinds a document may carry (the creation is the task record itself).
KINDS = frozenset(EventKind.values) - {EventKind.CREATE}
#: Assignment fields a stored task must keep: a recorded assignment cannot change.
FIXED_FIELDS = ("lead_unit", "lead_official", "assigned_by", "product", "due", "assigned_at")
#: A stored task's other fields an import leaves as they are (a recorded task is not edited
#: by a document), saying which differ
KEPT_FIELDS = ("title", "description", "quantity", "priority")


class ReplayProblem(NamedTuple):
    path: str
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class ReplayRejected(Exception):
    def __init__(self, problems: Sequence[ReplayProblem]) -> None:
        super().__init__(f"{len(problems)} problems")
        self.problems = list(problems)


@dataclass
class ReplayReport:
    created_tasks: int = 0
    appended_events: int = 0
    unchanged_tasks: int = 0
    #: paths of a stored task's fields the document gives otherwise, left as they are
    #: (`KEPT_FIELDS`): the import says so rather than report the task "unchanged"
    kept: list[str] = field(default_factory=list)


@dataclass
class _Plan:
    """One task of the document: its record (or None: events only), its events' indexes."""

    code: str
    record_index: int | None = None
    event_indexes: list[int] = field(default_factory=list)


def _parse_time(value: Any) -> dt.datetime:
    moment = dt.datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        raise ValueError("no offset")
    return moment


def _parse_date(value: Any) -> dt.date:
    return dt.date.fromisoformat(str(value))


def replay(
    *, tasks: Sequence[dict], events: Sequence[dict], user: Any = None, dry_run: bool = False
) -> ReplayReport:
    """Validate and write `tasks` and `events` (exchange-format records); see the module."""
    with transaction.atomic():
        return _Replayer(tasks, events, user, dry_run).run()


class _Replayer:
    def __init__(self, tasks, events, user, dry_run) -> None:
        self.tasks, self.events, self.user, self.dry_run = tasks, events, user, dry_run
        self.problems: list[ReplayProblem] = []
        self.report = ReplayReport()
        self.d = MemoryDirectory()
        self.products = {p.code: p for p in Product.objects.all()}
        self.directives = {x.code: x for x in Directive.objects.all()}

    def problem(self, path: str, code: str, message: str) -> None:
        self.problems.append(ReplayProblem(path, code, message))

    # -- plan ----------------------------------------------------------------------------
    def plan(self) -> list[_Plan]:
        plans: dict[str, _Plan] = {}
        for i, record in enumerate(self.tasks):
            code = str(record.get("code") or "").strip()
            if not code:
                self.problem(f"tasks[{i}].code", "required", _("a task needs a code"))
                continue
            if code in plans:
                self.problem(f"tasks[{i}].code", "duplicate",
                             _("duplicate code “%(code)s”") % {"code": code})
                continue
            plans[code] = _Plan(code, i)
        orphans: dict[str, list[int]] = {}
        for j, record in enumerate(self.events):
            code = str(record.get("task") or "")
            if code in plans:
                plans[code].event_indexes.append(j)
            else:
                orphans.setdefault(code, []).append(j)
        if orphans:
            stored = set(Task.objects.filter(code__in=list(orphans)).values_list("code",
                                                                                  flat=True))
            for code, indexes in orphans.items():
                if code in stored:
                    plans[code] = _Plan(code, None, indexes)
                else:
                    for j in indexes:
                        self.problem(f"events[{j}].task", "unknown_task",
                                     _("unknown task “%(code)s”") % {"code": code})
        return list(plans.values())

    def run(self) -> ReplayReport:
        plans = self.plan()
        for start in range(0, len(plans), CHUNK):
            self.chunk(plans[start:start + CHUNK])
        if self.problems:
            raise ReplayRejected(self.problems)
        if self.dry_run:
            transaction.set_rollback(True)
        return self.report

    # -- one chunk -----------------------------------------------------------------------
    def chunk(self, plans: list[_Plan]) -> None:
        stored = {t.code: t for t in Task.objects.filter(code__in=[p.code for p in plans])
                  .select_related("lead_unit", "lead_official", "assigned_by",
                                  "assigner_unit", "holder_unit", "holder_official",
                                  "product")}
        logs: dict[int, list[TaskEvent]] = {}
        if stored:
            for event in TaskEvent.objects.filter(task__in=list(stored.values())).select_related(
                "actor", "holder_unit_after", "holder_official_after"
            ).order_by("task_id", "seq"):
                logs.setdefault(event.task_id, []).append(event)
        new_tasks: list[Task] = []
        extras: list[TaskCoordination | TaskStep] = []
        new_events: list[TaskEvent] = []
        touched: list[Task] = []
        for plan in plans:
            before = len(self.problems)
            task = stored.get(plan.code)
            if task is None:
                built = self.new_task(plan)
                if built is None:
                    continue
                task, snap, first_event, more = built
                pending = [first_event]
                extras.extend(more)
            else:
                snap = TaskSnapshot.of(task, logs.get(task.pk, []))
                if plan.record_index is not None:
                    self.check_fixed(task, plan.record_index)
                pending = []
            stored_count = len(logs.get(task.pk, [])) - 1 if task.pk else 0  # without create
            ordered = sorted(plan.event_indexes, key=lambda j: (self._at(j), j))
            done = self.check_prefix(task, logs.get(task.pk, [])[1:], ordered[:stored_count])
            if not done:
                continue
            decisions = self.replay_events(task, snap, ordered[stored_count:])
            if len(self.problems) > before or decisions is None:
                continue
            pending.extend(decisions)
            if task.pk is None:
                new_tasks.append(task)
                self.report.created_tasks += 1
            elif len(pending):
                touched.append(task)
            else:
                self.report.unchanged_tasks += 1
            self.report.appended_events += len(pending) - (1 if task.pk is None else 0)
            new_events.extend(pending)
        if self.problems:
            return  # keep validating the rest of the document; write nothing
        Task.objects.bulk_create(new_tasks, batch_size=BATCH)
        TaskCoordination.objects.bulk_create(
            [x for x in extras if isinstance(x, TaskCoordination)], batch_size=BATCH)
        TaskStep.objects.bulk_create([x for x in extras if isinstance(x, TaskStep)],
                                     batch_size=BATCH)
        insert_events(new_events)
        Task.objects.bulk_update(
            touched, ["state", "holder_unit", "holder_official", "due_in_force", "version",
                      "last_hash", "last_event_at", "done_at", "done_late"], batch_size=BATCH)

    def _at(self, j: int) -> dt.datetime:
        try:
            return _parse_time(self.events[j].get("at"))
        except (TypeError, ValueError):
            return dt.datetime.max.replace(tzinfo=dt.UTC)

    # -- a new task ----------------------------------------------------------------------
    def new_task(self, plan: _Plan):
        i = plan.record_index
        assert i is not None  # noqa: S101 - plans without a record are stored tasks
        record = self.tasks[i]
        path = f"tasks[{i}]"
        bad = len(self.problems)

        unknown = {
            "unit": _("unknown unit “%(code)s”"),
            "official": _("unknown official “%(code)s”"),
            "product": _("unknown product “%(code)s”"),
            "directive": _("unknown directive “%(code)s”"),
        }

        def ref(name: str, lookup, label: str, required: bool = True):
            value = record.get(name)
            if value in (None, ""):
                if required:
                    self.problem(f"{path}.{name}", "required", _("required"))
                return None
            found = lookup(str(value))
            if found is None:
                self.problem(f"{path}.{name}", f"unknown_{label}",
                             unknown[label] % {"code": value})
            return found

        lead_unit = ref("lead_unit", self.d.unit, "unit")
        lead_official = ref("lead_official", self.d.official, "official")
        assigned_by = ref("assigned_by", self.d.official, "official")
        product = ref("product", self.products.get, "product")
        directive = ref("directive", self.directives.get, "directive", required=False)
        try:
            at = _parse_time(record.get("assigned_at"))
        except (TypeError, ValueError):
            self.problem(f"{path}.assigned_at", "bad_time",
                         _("not a time with an offset (ISO 8601)"))
            at = None
        try:
            due = _parse_date(record.get("due"))
        except (TypeError, ValueError):
            self.problem(f"{path}.due", "bad_date", _("not a date (YYYY-MM-DD)"))
            due = None
        coordinating = []
        for k, item in enumerate(record.get("coordinating_units") or []):
            unit = self.d.unit(str(item.get("unit")))
            if unit is None:
                self.problem(f"{path}.coordinating_units[{k}].unit", "unknown_unit",
                             _("unknown unit “%(code)s”") % {"code": item.get("unit")})
                continue
            try:
                coordinating.append((unit, _parse_date(item.get("due"))))
            except (TypeError, ValueError):
                self.problem(f"{path}.coordinating_units[{k}].due", "bad_date",
                             _("not a date (YYYY-MM-DD)"))
        if len(self.problems) > bad or assigned_by is None or at is None:
            return None
        title = str(record.get("title") or "").strip()
        quantity = int(record.get("quantity") or 1)
        priority = str(record.get("priority") or Priority.NORMAL)
        try:
            assigner_unit, coefficient = check_assignment(
                d=self.d, assigned_by=assigned_by, title=title, product=product,
                lead_unit=lead_unit, lead_official=lead_official, due=due, quantity=quantity,
                priority=priority, coordinating=coordinating, at=at, allow_past_due=True,
            )
        except ServiceError as error:
            for one in error.problems:
                self.problem(f"{path}.{one.path_text}" if one.path else path,
                             one.service_code, one.service_message)
            return None
        assert assigner_unit is not None and coefficient is not None  # noqa: S101 - refused above
        task = Task(
            code=plan.code, title=title, title_folded=fold(title),
            description=str(record.get("description") or "").strip(), directive=directive,
            product=product, quantity=quantity, coefficient=coefficient, lead_unit=lead_unit,
            lead_official=lead_official, assigned_by=assigned_by, assigner_unit=assigner_unit,
            assigned_at=at, due=due, priority=priority, state=TaskState.ASSIGNED,
            due_in_force=due, holder_unit=lead_unit, holder_official=lead_official,
            last_event_at=at,
        )
        extras: list = [TaskCoordination(task=task, unit=u, due=when) for u, when in coordinating]
        extras += [TaskStep(task=task, order=n, name=str(step.get("name") or ""),
                            allowance=int(step.get("allowance") or 0))
                   for n, step in enumerate(record.get("steps") or [], start=1)]
        snap = new_snapshot(task)
        first = build_event(task=task, snap=snap, kind=EventKind.CREATE, at=at,
                            actor=assigned_by, user=self.user, state_after=TaskState.ASSIGNED,
                            holder_unit=lead_unit, holder_official=lead_official,
                            data=creation_data(
                                task, [(u.code, when) for u, when in coordinating],
                                [(step.name, step.allowance) for step in extras
                                 if isinstance(step, TaskStep)]))
        return task, snap, first, extras

    def check_fixed(self, task: Task, i: int) -> None:
        record = self.tasks[i]
        stored = {
            "lead_unit": task.lead_unit.code, "lead_official": task.lead_official.code,
            "assigned_by": task.assigned_by.code, "product": task.product.code,
            "due": task.due.isoformat(), "assigned_at": task.assigned_at,
        }
        for name in FIXED_FIELDS:
            value = record.get(name)
            if name == "assigned_at":
                try:
                    same = _parse_time(value) == stored[name]
                except (TypeError, ValueError):
                    same = False
            else:
                same = str(value) == stored[name]
            if not same:
                self.problem(f"tasks[{i}].{name}", "assignment_changed",
                             _("differs from the stored task “%(code)s”: a recorded "
                               "assignment cannot change") % {"code": task.code})
        given = {"title": str(record.get("title") or "").strip(),
                 "description": str(record.get("description") or "").strip(),
                 "quantity": record.get("quantity") or 1,
                 "priority": str(record.get("priority") or Priority.NORMAL)}
        for name in KEPT_FIELDS:
            if name in record and str(given[name]) != str(getattr(task, name)):
                self.report.kept.append(f"tasks[{i}].{name}")

    def check_prefix(self, task: Task, log: list[TaskEvent], indexes: list[int]) -> bool:
        """The document's first events of a stored task must be its stored log."""
        if len(indexes) < len(log):
            j = indexes[-1] if indexes else None
            self.problem(f"events[{j}]" if j is not None else f"task {task.code}",
                         "log_truncated",
                         _("the document has fewer events for “%(code)s” than are stored")
                         % {"code": task.code})
            return False
        for event, j in zip(log, indexes, strict=True):
            record = self.events[j]
            data = {k: v for k, v in record.items() if k not in EVENT_KEYS}
            try:
                same_time = _parse_time(record.get("at")) == event.at
            except (TypeError, ValueError):
                same_time = False
            actor = event.actor.code if event.actor else None
            if (record.get("kind") != event.kind or not same_time
                    or record.get("actor") != actor
                    or any(event.data.get(k) != v for k, v in data.items() if v is not None)):
                self.problem(f"events[{j}]", "log_differs",
                             _("differs from event #%(seq)s stored for “%(code)s”")
                             % {"seq": event.seq, "code": task.code})
                return False
        return True

    # -- events --------------------------------------------------------------------------
    def replay_events(self, task: Task, snap: TaskSnapshot, indexes: list[int]):
        built: list[TaskEvent] = []
        for j in indexes:
            record = self.events[j]
            path = f"events[{j}]"
            kind = str(record.get("kind") or "")
            if kind not in KINDS:
                self.problem(f"{path}.kind", "unknown_kind",
                             _("unknown event kind “%(kind)s”") % {"kind": kind})
                return None
            try:
                at = _parse_time(record.get("at"))
            except (TypeError, ValueError):
                self.problem(f"{path}.at", "bad_time", _("not a time with an offset (ISO 8601)"))
                return None
            actor = self.d.official(str(record.get("actor") or ""))
            if actor is None:
                self.problem(f"{path}.actor", "unknown_official",
                             _("unknown official “%(code)s”") % {"code": record.get("actor")})
                return None
            data = {k: v for k, v in record.items() if k not in EVENT_KEYS}
            try:
                decision = decide(snap, kind=kind, actor=actor, data=data, at=at,
                                  directory=self.d, recorded=True)
            except ServiceError as error:
                where = f"{path}.{error.field}" if error.field and error.field in record else path
                self.problem(where, error.service_code,
                             f"{kind}: {error.service_message}")
                return None
            built.append(build_event(
                task=task, snap=snap, kind=kind, at=at, actor=actor, user=self.user,
                state_after=decision.state_after, holder_unit=decision.holder_unit,
                holder_official=decision.holder_official, data=decision.data,
            ))
            if kind == EventKind.APPROVE:
                task.done_at, task.done_late = decision.done_at, decision.done_late
        sync_task(task, snap)
        return built


#: Columns of the event log, in insert order.
_EVENT_COLUMNS = (
    "task_id", "seq", "kind", "at", "actor_id", "recorded_by_id", "state_before",
    "state_after", "holder_unit_before_id", "holder_official_before_id",
    "holder_unit_after_id", "holder_official_after_id", "data", "prev_hash", "hash",
)


def insert_events(events: Sequence[TaskEvent]) -> None:
    """Insert built events with one prepared statement per batch.

    The ORM's bulk_create prepares all sixteen fields of every row through the field API;
    here only the two that need adapting (the time and the JSON payload) go through it, which
    roughly halves the cost of a month of a city's events. Same rows, same values.
    """
    if not events:
        return
    meta = TaskEvent._meta
    at_field, data_field = meta.get_field("at"), meta.get_field("data")
    table = connection.ops.quote_name(meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in _EVENT_COLUMNS)
    marks = ", ".join(["%s"] * len(_EVENT_COLUMNS))
    sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608 - names from the model
    rows = []
    for event in events:
        event.task_id = event.task.pk
        rows.append((
            event.task_id, event.seq, event.kind,
            at_field.get_db_prep_save(event.at, connection), event.actor_id,
            event.recorded_by_id, event.state_before, event.state_after,
            event.holder_unit_before_id, event.holder_official_before_id,
            event.holder_unit_after_id, event.holder_official_after_id,
            data_field.get_db_prep_save(event.data, connection), event.prev_hash, event.hash,
        ))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH):
            cursor.executemany(sql, rows[start:start + BATCH])
