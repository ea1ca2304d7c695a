"""The workflow of a task: one transition table and one decision function, used by every
service, view, endpoint and import.

`TRANSITIONS` says which states an action may start from, the state it leads to (None:
unchanged), who may take it, and which payload fields it needs. `decide()` applies the table
and each action's payload rules to a `TaskSnapshot` (the task's state and the facts of its
log the rules need) and returns a `Decision`, or raises `ServiceError`. The people and units
it asks about come from a `Directory`: `DbDirectory` queries the database for one action;
`MemoryDirectory` answers from rows loaded once, for replaying whole histories in bulk.

Who may act (on the day of the action, from memberships in force that day):

- holder: the official holding the work (or, while no official holds it, a head/deputy of
  the holding unit);
- assigner: the official who assigned the task, or a head/deputy of the assigning unit;
- superior: the assigner, or a head/deputy of the holding unit or a unit above it (not the
  holder themself);
- guide: the official a pending guidance request was sent to;
- consulted: a member of a unit whose opinion was asked and not yet given: a unit consulted
  (`consult`), or a coordinating unit named at assignment, whose input is due by its own
  deadline; either gives it with `consult_reply`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from django.conf import settings
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from thuocdo.core.errors import FieldPath, PermissionDeniedError, Problems, ServiceError
from thuocdo.core.periods import FIRST_YEAR, LAST_YEAR, year_in_range
from thuocdo.measure.calendar import WorkCalendar
from thuocdo.measure.history import (
    Event,
    Holder,
    TaskHistory,
    delays,
    end_of_day,
)
from thuocdo.measure.history import done_at as engine_done_at
from thuocdo.measure.history import done_late as engine_done_late
from thuocdo.org.choices import LEADER_POSITIONS
from thuocdo.org.models import Membership, Official, Unit

from .choices import OPEN_STATES, QUANTITY_MAX, EventKind, Priority, TaskState, action_labels

S = TaskState
PRIORITIES = frozenset(Priority.values)
ALL_OPEN = frozenset(OPEN_STATES)
WORKING = frozenset({S.ASSIGNED, S.IN_PROGRESS, S.WAITING_GUIDANCE})


@dataclass(frozen=True)
class Transition:
    kind: str
    sources: frozenset[str]
    target: str | None
    actor: str
    required: tuple[str, ...] = ()


TRANSITIONS: dict[str, Transition] = {
    t.kind: t
    for t in [
        Transition(EventKind.ACCEPT, frozenset({S.ASSIGNED}), S.IN_PROGRESS, "holder"),
        Transition(EventKind.TRANSFER, frozenset({S.ASSIGNED, S.IN_PROGRESS}), S.ASSIGNED,
                   "holder", ("to_unit", "reason")),
        Transition(EventKind.RETURN, frozenset({S.ASSIGNED, S.IN_PROGRESS}), S.ASSIGNED,
                   "holder", ("to_unit", "reason")),
        Transition(EventKind.EXTENSION_REQUEST, WORKING, None, "holder", ("new_due", "reason")),
        Transition(EventKind.EXTENSION_GRANT, ALL_OPEN, None, "assigner", ("new_due", "reason")),
        Transition(EventKind.EXTENSION_REFUSE, ALL_OPEN, None, "assigner", ("reason",)),
        Transition(EventKind.GUIDANCE_REQUEST, frozenset({S.IN_PROGRESS}), S.WAITING_GUIDANCE,
                   "holder", ("to_official", "question")),
        Transition(EventKind.GUIDANCE_REPLY, frozenset({S.WAITING_GUIDANCE}), S.IN_PROGRESS,
                   "guide"),
        Transition(EventKind.CONSULT, frozenset({S.IN_PROGRESS}), None, "holder",
                   ("to_unit", "reply_due")),
        Transition(EventKind.CONSULT_REPLY, ALL_OPEN, None, "consulted",
                   ("unit", "clear_position")),
        Transition(EventKind.REMIND, ALL_OPEN, None, "superior"),
        Transition(EventKind.SUBMIT, frozenset({S.IN_PROGRESS}), S.SUBMITTED, "holder"),
        Transition(EventKind.APPROVE, frozenset({S.SUBMITTED}), S.DONE, "assigner"),
        Transition(EventKind.REWORK, frozenset({S.SUBMITTED}), S.IN_PROGRESS, "assigner",
                   ("major_error", "reason")),
        Transition(EventKind.EXCUSE_DELAY, ALL_OPEN | {S.DONE}, None, "assigner", ("reason",)),
        Transition(EventKind.CANCEL, ALL_OPEN, S.CANCELLED, "assigner", ("reason",)),
    ]
}


# -- who is who: the directory ---------------------------------------------------------


class LeaderBook(Protocol):
    """The heads and deputies of a unit on a day (memberships in force that day), and the
    path up the tree: what `deciders` asks. Every `Directory` is one; so is the book of
    leaders the notifications read for many events at once."""

    def leaders(self, unit_id: int, day: dt.date) -> list[Official]: ...
    def path_ids(self, unit: Unit) -> list[int]: ...


class Directory(Protocol):
    """The people and units the rules ask about."""

    def unit(self, code: str) -> Unit | None: ...
    def official(self, code: str) -> Official | None: ...
    def unit_by_id(self, pk: int) -> Unit: ...
    def official_by_id(self, pk: int) -> Official: ...
    def path_ids(self, unit: Unit) -> list[int]: ...
    def leads(self, official_id: int, unit_ids: Iterable[int], day: dt.date) -> bool: ...
    def leaders(self, unit_id: int, day: dt.date) -> list[Official]: ...
    def is_member(self, official_id: int, unit_id: int, day: dt.date) -> bool: ...
    def unit_of(self, official_id: int, day: dt.date) -> Unit | None: ...
    def member_unit_ids(self, official_id: int, day: dt.date) -> set[int]: ...
    def led_unit_above(self, official_id: int, unit: Unit, day: dt.date) -> Unit | None: ...
    def coefficient(self, product_id: int, day: dt.date) -> Decimal | None: ...
    def calendar(self) -> WorkCalendar: ...


class DbDirectory:
    """Answers with a few indexed queries: for one action at a time, or for the few tasks of
    one official's lists (`tasks.selectors`): who leads what and the paths up the tree are
    read once per official, unit and day."""

    def __init__(self) -> None:
        self._calendar: WorkCalendar | None = None
        self._leaders: dict[tuple[int, dt.date], list[Official]] = {}
        self._led: dict[tuple[int, dt.date], set[int]] = {}
        self._paths: dict[int, list[int]] = {}

    def unit(self, code: str) -> Unit | None:
        return Unit.objects.filter(code=code).first()

    def official(self, code: str) -> Official | None:
        return Official.objects.filter(code=code).first()

    def unit_by_id(self, pk: int) -> Unit:
        return Unit.objects.get(pk=pk)

    def official_by_id(self, pk: int) -> Official:
        return Official.objects.get(pk=pk)

    @staticmethod
    def _in_force(day: dt.date) -> Q:
        return Q(start__lte=day) & (Q(end__isnull=True) | Q(end__gte=day))

    def leads(self, official_id: int, unit_ids: Iterable[int], day: dt.date) -> bool:
        key = (official_id, day)
        if key not in self._led:
            self._led[key] = set(Membership.objects.filter(
                self._in_force(day), official_id=official_id,
                position__in=list(LEADER_POSITIONS),
            ).values_list("unit_id", flat=True))
        return not self._led[key].isdisjoint(unit_ids)

    def leaders(self, unit_id: int, day: dt.date) -> list[Official]:
        key = (unit_id, day)
        if key not in self._leaders:
            self._leaders[key] = [m.official for m in Membership.objects.filter(
                self._in_force(day), unit_id=unit_id, position__in=list(LEADER_POSITIONS),
            ).select_related("official").order_by("official_id")]
        return self._leaders[key]

    def is_member(self, official_id: int, unit_id: int, day: dt.date) -> bool:
        return Membership.objects.filter(self._in_force(day), official_id=official_id,
                                         unit_id=unit_id).exists()

    def unit_of(self, official_id: int, day: dt.date) -> Unit | None:
        membership = (Membership.objects.filter(self._in_force(day), official_id=official_id)
                      .select_related("unit").order_by("start", "pk").first())
        return membership.unit if membership else None

    def member_unit_ids(self, official_id: int, day: dt.date) -> set[int]:
        return set(Membership.objects.filter(self._in_force(day), official_id=official_id)
                   .values_list("unit_id", flat=True))

    def led_unit_above(self, official_id: int, unit: Unit, day: dt.date) -> Unit | None:
        membership = (
            Membership.objects.filter(
                self._in_force(day), official_id=official_id,
                position__in=list(LEADER_POSITIONS),
                unit__lft__lte=unit.lft, unit__rgt__gte=unit.rgt,
            ).select_related("unit").order_by("-unit__lft").first()
        )
        return membership.unit if membership else None

    def path_ids(self, unit: Unit) -> list[int]:
        # the unit, then the units above it, nearest first (as MemoryDirectory's)
        if unit.pk not in self._paths:
            self._paths[unit.pk] = list(Unit.objects.filter(lft__lte=unit.lft, rgt__gte=unit.rgt)
                                        .order_by("-lft").values_list("pk", flat=True))
        return self._paths[unit.pk]

    def coefficient(self, product_id: int, day: dt.date) -> Decimal | None:
        from .models import ProductCoefficient

        row = (ProductCoefficient.objects.filter(product_id=product_id, valid_from__lte=day)
               .order_by("-valid_from").first())
        return row.coefficient if row else None

    def calendar(self) -> WorkCalendar:
        if self._calendar is None:
            from thuocdo.core.calendar import work_calendar

            year = timezone.localdate().year
            self._calendar = work_calendar(years=range(2000, year + 3))
        return self._calendar


class MemoryDirectory:
    """Answers from every unit, official, membership and coefficient loaded once (a few
    queries), for replaying many histories without a query per event."""

    def __init__(self) -> None:
        from thuocdo.core.calendar import work_calendar

        from .models import ProductCoefficient

        units = list(Unit.objects.all())
        self._units_by_id = {u.pk: u for u in units}
        self._units = {u.code: u for u in units}
        self._officials = {o.code: o for o in Official.objects.all()}
        self._officials_by_id = {o.pk: o for o in self._officials.values()}
        self._memberships: dict[int, list[tuple[int, str, dt.date, dt.date | None]]] = {}
        for official_id, unit_id, position, start, end in Membership.objects.values_list(
            "official_id", "unit_id", "position", "start", "end"
        ):
            self._memberships.setdefault(official_id, []).append((unit_id, position, start, end))
        self._members: dict[int, set[int]] = {}  # unit → everyone who ever belonged to it
        for official_id, rows in self._memberships.items():
            for unit_id, _position, _start, _end in rows:
                self._members.setdefault(unit_id, set()).add(official_id)
        self._coefficients: dict[int, list[tuple[dt.date, Decimal]]] = {}
        for product_id, valid_from, coefficient in ProductCoefficient.objects.values_list(
            "product_id", "valid_from", "coefficient"
        ).order_by("valid_from"):
            self._coefficients.setdefault(product_id, []).append((valid_from, coefficient))
        year = timezone.localdate().year
        self._calendar = work_calendar(years=range(2000, year + 3))

    def unit(self, code: str) -> Unit | None:
        return self._units.get(code)

    def official(self, code: str) -> Official | None:
        return self._officials.get(code)

    def unit_by_id(self, pk: int) -> Unit:
        return self._units_by_id[pk]

    def official_by_id(self, pk: int) -> Official:
        return self._officials_by_id[pk]

    def _in_force(self, official_id: int, day: dt.date):
        for unit_id, position, start, end in self._memberships.get(official_id, ()):
            if start <= day and (end is None or end >= day):
                yield unit_id, position, start

    def leads(self, official_id: int, unit_ids: Iterable[int], day: dt.date) -> bool:
        wanted = set(unit_ids)
        return any(unit_id in wanted and position in LEADER_POSITIONS
                   for unit_id, position, _s in self._in_force(official_id, day))

    def leaders(self, unit_id: int, day: dt.date) -> list[Official]:
        return [self._officials_by_id[official_id]
                for official_id in sorted(self._members.get(unit_id, ()))
                if self.leads(official_id, [unit_id], day)]

    def is_member(self, official_id: int, unit_id: int, day: dt.date) -> bool:
        return any(u == unit_id for u, _p, _s in self._in_force(official_id, day))

    def unit_of(self, official_id: int, day: dt.date) -> Unit | None:
        rows = sorted(self._in_force(official_id, day), key=lambda row: row[2])
        return self._units_by_id[rows[0][0]] if rows else None

    def member_unit_ids(self, official_id: int, day: dt.date) -> set[int]:
        return {u for u, _p, _s in self._in_force(official_id, day)}

    def led_unit_above(self, official_id: int, unit: Unit, day: dt.date) -> Unit | None:
        best: Unit | None = None
        for unit_id, position, _s in self._in_force(official_id, day):
            led = self._units_by_id[unit_id]
            if (position in LEADER_POSITIONS and led.lft <= unit.lft and unit.rgt <= led.rgt
                    and (best is None or led.lft > best.lft)):
                best = led
        return best

    def path_ids(self, unit: Unit) -> list[int]:
        ids, node = [], unit
        while node is not None:
            ids.append(node.pk)
            node = self._units_by_id.get(node.parent_id) if node.parent_id else None
        return ids

    def coefficient(self, product_id: int, day: dt.date) -> Decimal | None:
        found = None
        for valid_from, coefficient in self._coefficients.get(product_id, ()):
            if valid_from <= day:
                found = coefficient
        return found

    def calendar(self) -> WorkCalendar:
        return self._calendar


# -- the task as the rules see it ------------------------------------------------------


@dataclass
class TaskSnapshot:
    """A task's state plus the facts of its log the rules need, folded event by event."""

    code: str
    state: str
    holder_unit: Unit
    holder_official: Official | None
    assigned_by_id: int
    assigner_unit: Unit
    lead: Holder
    assigner: Holder
    assigned_at: dt.datetime
    due: dt.date
    due_in_force: dt.date
    last_event_at: dt.datetime
    version: int = 0
    last_hash: str = ""
    #: every (unit id, official id) that held the work
    holders: set[tuple[int, int | None]] = field(default_factory=set)
    #: who gets the work back when the pending guidance is answered, and who was asked
    guidance_resume: tuple[Unit, Official | None] | None = None
    guide_id: int | None = None
    #: who gets the work back if the submitted product is sent back
    submit_resume: tuple[Unit, Official | None] | None = None
    #: units asked for an opinion and not yet answered: code → consult data (the
    #: coordinating units named at assignment too, until their input: `coordination_asks`)
    consults: dict[str, dict] = field(default_factory=dict)
    #: an extension request not yet granted or refused
    extension_pending: bool = False
    #: who (official code) took the work since it last moved, asked for the pending
    #: extension, handed in the product last: the work is theirs (`works_on`), even when a
    #: unit holds it with no official named
    taken_by: str | None = None
    requested_by: str | None = None
    submitted_by: str | None = None
    #: the log as the engine reads it (without the creation event)
    events: list[Event] = field(default_factory=list)

    @classmethod
    def of(cls, task, events: Iterable | None = None) -> TaskSnapshot:
        """The snapshot of a stored task: its row, then its events folded in order."""
        snap = cls(
            code=task.code, state=TaskState.ASSIGNED, holder_unit=task.lead_unit,
            holder_official=task.lead_official, assigned_by_id=task.assigned_by_id,
            assigner_unit=task.assigner_unit,
            lead=Holder(task.lead_unit.code, task.lead_official.code),
            assigner=Holder(task.assigner_unit.code, task.assigned_by.code),
            assigned_at=task.assigned_at, due=task.due, due_in_force=task.due,
            last_event_at=task.assigned_at,
        )
        if events is None:
            events = task.events.select_related(
                "actor", "holder_unit_after", "holder_official_after"
            ).order_by("seq")
        for event in events:
            data = event.data
            if event.kind == EventKind.CREATE and "coordinating" not in (data or {}):
                # a first event written before it named the coordinating units: the task's
                # rows name them (one query, for such old logs only)
                data = {**(data or {}), "coordinating": [
                    [code, due.isoformat()] for code, due
                    in task.coordinations.values_list("unit__code", "due")]}
            snap.fold(kind=event.kind, at=event.at, actor_code=event.actor.code if event.actor
                      else None, data=data, state_after=event.state_after,
                      holder_unit=event.holder_unit_after,
                      holder_official=event.holder_official_after, hash_=event.hash,
                      guide_id=event.holder_official_after_id)
        return snap

    def fold(self, *, kind: str, at: dt.datetime, actor_code: str | None, data: dict,
             state_after: str, holder_unit: Unit, holder_official: Official | None,
             hash_: str, guide_id: int | None = None) -> None:
        """Take one event into the snapshot (after `decide` allowed it, or from the log)."""
        before = (self.holder_unit, self.holder_official)
        if kind == EventKind.CREATE:
            self.consults.update(coordination_asks(data))
        elif kind == EventKind.GUIDANCE_REQUEST:
            self.guidance_resume, self.guide_id = before, guide_id
        elif kind == EventKind.GUIDANCE_REPLY:
            self.guidance_resume, self.guide_id = None, None
        elif kind == EventKind.SUBMIT:
            self.submit_resume, self.submitted_by = before, actor_code
        elif kind == EventKind.ACCEPT:
            self.taken_by = actor_code
        elif kind in {EventKind.TRANSFER, EventKind.RETURN}:
            self.taken_by = None
        elif kind == EventKind.CONSULT:
            self.consults[str(data["to_unit"])] = data
        elif kind == EventKind.CONSULT_REPLY:
            self.consults.pop(str(data.get("unit")), None)
        elif kind == EventKind.EXTENSION_REQUEST:
            self.extension_pending, self.requested_by = True, actor_code
        elif kind == EventKind.EXTENSION_GRANT:
            self.due_in_force = dt.date.fromisoformat(str(data["new_due"]))
            self.extension_pending, self.requested_by = False, None
        elif kind == EventKind.EXTENSION_REFUSE:
            self.extension_pending, self.requested_by = False, None
        if kind != EventKind.CREATE:
            self.events.append(Event(kind, at, actor_code, data))
        self.state = state_after
        self.holder_unit, self.holder_official = holder_unit, holder_official
        self.holders.add((holder_unit.pk, holder_official.pk if holder_official else None))
        self.version += 1
        self.last_hash = hash_
        self.last_event_at = at

    def history(self) -> TaskHistory:
        return TaskHistory(self.code, self.assigned_at, self.due, self.lead, self.assigner,
                           tuple(self.events))


def coordination_asks(creation: dict) -> dict[str, dict]:
    """The coordinating units a task's first event names (`services.creation_data`), each
    as a pending question whose reply deadline is the unit's own: domain.md, "coordinators
    give input by their own deadline". The unit gives it as it gives an opinion
    (`consult_reply`); until then its members may. For a first event written before the
    units were recorded in it, `TaskSnapshot.of` passes the task's rows."""
    return {str(code): {"to_unit": str(code), "reply_due": str(due), "coordination": True}
            for code, due in creation.get("coordinating") or ()}


# -- who may act -----------------------------------------------------------------------


def is_holder(snap: TaskSnapshot, official: Official, day: dt.date, d: Directory) -> bool:
    if snap.holder_official is not None:
        return snap.holder_official.pk == official.pk
    return d.leads(official.pk, [snap.holder_unit.pk], day)


def works_on(snap: TaskSnapshot, official: Official) -> bool:
    """Is the work `official`'s own: they hold it, or it waits on their behalf (for the
    guidance they asked, or for the approval of the product they handed in, which stays
    theirs once approved); or, whoever holds it (a unit with no official named), they took
    it since it last moved, asked for the extension pending, or handed the product in?
    Nobody decides on their own work as its assigner or superior (grants or refuses their
    own extension, approves or sends back their own product, excuses their own delay,
    cancels or chases it): another leader does."""
    return _works_on(snap, _worker(snap), official.pk, official.code)


def _worker(snap: TaskSnapshot) -> Official | None:
    """The official the work is in the name of (`works_on`), if any."""
    if snap.state == S.WAITING_GUIDANCE and snap.guidance_resume is not None:
        return snap.guidance_resume[1]
    if snap.state in (S.SUBMITTED, S.DONE) and snap.submit_resume is not None:
        return snap.submit_resume[1]
    return snap.holder_official


def _works_on(snap: TaskSnapshot, worker: Official | None, pk: int, code: str) -> bool:
    if worker is not None and worker.pk == pk:
        return True
    acted = {snap.taken_by, snap.requested_by}
    if snap.state in (S.SUBMITTED, S.DONE):
        acted.add(snap.submitted_by)
    return code in acted


def is_assigner(snap: TaskSnapshot, official: Official, day: dt.date, d: Directory) -> bool:
    """The official who assigned the task or a head/deputy of the assigning unit; where
    none of them may decide (their own work), those `deciders` names above it."""
    if works_on(snap, official):
        return False
    if snap.assigned_by_id == official.pk or d.leads(official.pk, [snap.assigner_unit.pk], day):
        return True
    return official.pk in deciders(snap, day, d)


def deciders(snap: TaskSnapshot, day: dt.date, book: LeaderBook) -> list[int]:
    """The ids of the officials who decide, as the assigner, a request or a product the task
    waits on, narrowest first: the official who assigned it, unless it is their own work
    (`works_on`); else the leaders of the assigning unit on `day` whose own work it is not;
    else those of the nearest unit above with one. Empty when there are none. The one rule
    for who decides (`is_assigner`, which also lets any leader of the assigning unit decide
    when its assigner may) and who is told of what waits (`notifications.services`).

    The leaders above are looked for only when nobody of the assigning unit may decide, so
    the usual case asks `book` nothing."""
    if not _works_on(snap, _worker(snap), snap.assigned_by_id, snap.assigner.official):
        return [snap.assigned_by_id]
    found = _not_working_on(snap, book.leaders(snap.assigner_unit.pk, day))
    if found:
        return found
    for unit_id in book.path_ids(snap.assigner_unit)[1:]:
        found = _not_working_on(snap, book.leaders(unit_id, day))
        if found:
            return found
    return []


def _not_working_on(snap: TaskSnapshot, leaders: Iterable[Official]) -> list[int]:
    """The ids of `leaders` whose own work the task is not (`works_on`), each once, in
    order."""
    return list(dict.fromkeys(leader.pk for leader in leaders if not works_on(snap, leader)))


def is_superior(snap: TaskSnapshot, official: Official, day: dt.date, d: Directory) -> bool:
    if works_on(snap, official):
        return False
    if is_assigner(snap, official, day, d):
        return True
    if snap.holder_official is not None and snap.holder_official.pk == official.pk:
        return False
    return d.leads(official.pk, d.path_ids(snap.holder_unit), day)


def is_guide(snap: TaskSnapshot, official: Official, day: dt.date, d: Directory) -> bool:
    return snap.guide_id == official.pk


def is_consulted(snap: TaskSnapshot, official: Official, day: dt.date, d: Directory,
                 unit_code: str | None = None) -> bool:
    codes = [unit_code] if unit_code else list(snap.consults)
    mine = d.member_unit_ids(official.pk, day)
    for code in codes:
        unit = d.unit(code) if code in snap.consults else None
        if unit is not None and unit.pk in mine:
            return True
    return False


ACTOR_RULES = {
    "holder": is_holder,
    "assigner": is_assigner,
    "superior": is_superior,
    "guide": is_guide,
    "consulted": is_consulted,
}


def may_act(snap: TaskSnapshot, kind: str, official: Official | None, day: dt.date,
            d: Directory, data: dict | None = None) -> bool:
    """Whether `official` may take action `kind` now (state and person)."""
    transition = TRANSITIONS.get(kind)
    if transition is None or official is None or snap.state not in transition.sources:
        return False
    if kind == EventKind.CONSULT_REPLY and data is not None:
        return is_consulted(snap, official, day, d, str(data.get("unit") or "") or None)
    if kind == EventKind.EXTENSION_REQUEST:
        if official.pk == snap.assigned_by_id and not works_on(snap, official):
            # The one who assigned the task decides its extensions: they grant one, they do
            # not ask themselves. (Whoever it is their own work asks: `works_on`.)
            return False
        if snap.state == S.WAITING_GUIDANCE and snap.guidance_resume is not None:
            # The official waiting for guidance asks, not the one whose guidance is asked.
            unit, waiting = snap.guidance_resume
            if waiting is not None:
                return waiting.pk == official.pk
            return d.leads(official.pk, [unit.pk], day)
    return ACTOR_RULES[transition.actor](snap, official, day, d)


def allowed_actions(task, official: Official | None, day: dt.date) -> list[str]:
    """The actions `official` may take on the stored `task` on `day`, in the table's order:
    the state and the person allow it, and so do the log's facts (`unmet_precondition`)."""
    if official is None:
        return []
    snap = TaskSnapshot.of(task)
    directory = DbDirectory()
    moment = end_of_day(day)
    return [
        kind for kind in TRANSITIONS
        if may_act(snap, kind, official, day, directory)
        and unmet_precondition(snap, kind, directory, moment) is None
    ]


def has_unexcused_delay(snap: TaskSnapshot, d: Directory, at: dt.datetime) -> bool:
    return any(delay.excused_by is None for delay in delays(snap.history(), d.calendar(), at))


def unmet_precondition(snap: TaskSnapshot, kind: str, d: Directory,
                       at: dt.datetime) -> ServiceError | None:
    """What the log must already hold for `kind` to make sense, whatever its payload: a
    previous holder to return to, a pending request to refuse, a delay to excuse."""
    if kind == EventKind.RETURN and not any(
        holder != (snap.holder_unit.pk, snap.holder_official.pk if snap.holder_official else None)
        for holder in snap.holders
    ):
        return _err(_("Work can only be returned to someone who held it before."),
                    "return_not_previous_holder", "to_unit")
    if kind == EventKind.EXTENSION_REFUSE and not snap.extension_pending:
        return _err(_("No extension request is pending."), "no_extension_request")
    if kind == EventKind.EXTENSION_REQUEST and snap.extension_pending:
        return _err(_("An extension request is already waiting for a decision: wait for the "
                      "answer before asking again."), "extension_already_requested", "new_due")
    if kind == EventKind.EXCUSE_DELAY and not has_unexcused_delay(snap, d, at):
        return _err(_("There is no delay to excuse."), "no_delay")
    return None


# -- the decision ----------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """What an allowed action does: the new state and holder, the payload to record."""

    kind: str
    state_after: str
    holder_unit: Unit
    holder_official: Official | None
    data: dict[str, Any]
    done_at: dt.datetime | None = None
    done_late: bool | None = None


def _short(day: dt.date) -> str:
    return formats.date_format(day, "SHORT_DATE_FORMAT")


def _err(message: str, code: str, field: FieldPath | None = None) -> ServiceError:
    return ServiceError(message, code=code, field=field)


def _required_messages() -> dict[str, str]:
    return {"reason": _("A reason is required."), "question": _("The question is required.")}


def _text(data: dict, name: str) -> str:
    value = str(data.get(name) or "").strip()
    if not value:
        raise _err(_required_messages()[name], f"missing_{name}", name)
    return value


def _date(data: dict, name: str) -> dt.date:
    value = data.get(name)
    if isinstance(value, dt.date):
        day = value
    else:
        try:
            day = dt.date.fromisoformat(str(value))
        except ValueError:
            raise _err(_("Not a date (YYYY-MM-DD): “%(value)s”.") % {"value": value},
                       f"bad_{name}", name) from None
    refused = deadline_range_refusal(day, name)
    if refused is not None:
        raise refused
    return day


def deadline_range_refusal(day: dt.date, field: FieldPath) -> ServiceError | None:
    """A deadline of a year the calendar and the periods know (`core.periods.FIRST_YEAR` ..
    `LAST_YEAR`), or its refusal on `field`: a deadline in year 9999 was written, then broke
    every page and the month's signals that read it (a day after it does not exist)."""
    if year_in_range(day.year):
        return None
    return _err(_("%(day)s is outside the calendar: a deadline falls in a year from "
                  "%(first)s to %(last)s.") % {"day": _short(day), "first": FIRST_YEAR,
                                               "last": LAST_YEAR},
                "deadline_range", field)


def _unit(data: dict, name: str, d: Directory) -> Unit:
    value = data.get(name)
    if isinstance(value, Unit):
        return value
    unit = d.unit(str(value or ""))
    if unit is None:
        raise _err(_("Unknown unit “%(code)s”.") % {"code": value}, f"unknown_{name}", name)
    return unit


def _official(data: dict, name: str, d: Directory) -> Official | None:
    value = data.get(name)
    if isinstance(value, Official):
        return value
    if value in (None, ""):
        return None
    official = d.official(str(value))
    if official is None:
        raise _err(_("Unknown official “%(code)s”.") % {"code": value}, f"unknown_{name}", name)
    return official


def _bool(data: dict, name: str) -> bool:
    value = data.get(name)
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on", "có"}
    return bool(value)


def _passed_to(snap: TaskSnapshot, kind: str, data: dict, day: dt.date,
               d: Directory) -> tuple[Unit, Official | None]:
    """Where a transfer or a return sends the work (unit, official or None), or why not."""
    unit = _unit(data, "to_unit", d)
    official = _official(data, "to_official", d)
    if official is not None and not d.is_member(official.pk, unit.pk, day):
        raise _err(_("%(official)s does not work in %(unit)s.")
                   % {"official": official.code, "unit": unit.code},
                   "holder_not_member", "to_official")
    if (unit.pk, official.pk if official else None) == (
        snap.holder_unit.pk, snap.holder_official.pk if snap.holder_official else None
    ):
        raise _err(_("The work is already there."), "same_holder", "to_unit")
    if kind == EventKind.RETURN and not any(
        u == unit.pk and (official is None or o == official.pk) for u, o in snap.holders
    ):
        raise _err(_("Work can only be returned to someone who held it before."),
                   "return_not_previous_holder", "to_unit")
    return unit, official


def _later_deadline(snap: TaskSnapshot, data: dict, day: dt.date) -> dt.date:
    """The `new_due` of an extension asked or granted: later than the deadline in force,
    and not in the past."""
    new_due = _date(data, "new_due")
    if new_due <= snap.due_in_force or new_due < day:
        raise _err(_("The new deadline must be later than the deadline in force, "
                     "%(due)s, and not in the past.") % {"due": _short(snap.due_in_force)},
                   "extension_not_later", "new_due")
    return new_due


def decide(snap: TaskSnapshot, *, kind: str, actor: Official | None, data: dict,
           at: dt.datetime, directory: Directory, recorded: bool = False) -> Decision:
    """Apply the table and the payload rules of `kind`; raise ServiceError if refused.

    `recorded`: the event is history recorded elsewhere (an imported log, `replay.py`), not
    a decision taken now. Such a log predates the rule that a grant states its reason (the
    exchange format's `extension_grant` has none), so a recorded grant may come without
    one; every other rule applies alike."""
    d = directory
    transition = TRANSITIONS.get(kind)
    if transition is None:
        raise _err(_("Unknown action “%(kind)s”.") % {"kind": kind}, "unknown_action", "kind")
    if snap.state not in transition.sources:
        raise _err(
            _("“%(action)s” is not possible while the task is “%(state)s”.")
            % {"action": action_labels()[kind], "state": TaskState(snap.state).label},
            "wrong_state",
        )
    if at < snap.last_event_at:
        raise _err(_("An action cannot be dated before the task's last event."), "event_order",
                   "at")
    day = timezone.localtime(at).date()
    if (kind == EventKind.EXTENSION_REQUEST and actor is not None
            and actor.pk == snap.assigned_by_id and not works_on(snap, actor)):
        raise PermissionDeniedError(
            _("You decide the extensions of this task yourself: grant one instead of asking "
              "for it."), code="extension_own_decision")
    if not may_act(snap, kind, actor, day, d, data):
        raise PermissionDeniedError(
            _("You may not “%(action)s” this task.") % {"action": action_labels()[kind]},
            code="not_allowed",
        )
    problem = unmet_precondition(snap, kind, d, at)
    if problem is not None:
        raise problem
    unit, official = snap.holder_unit, snap.holder_official
    state_after = transition.target or snap.state
    clean: dict[str, Any] = {}
    # The checks of a payload's fields that do not depend on each other are said together
    # (`Problems`): a wrong unit and a wrong day at once, each on its input.
    problems = Problems()
    if kind in {EventKind.TRANSFER, EventKind.RETURN}:
        with problems.check():
            unit, official = _passed_to(snap, kind, data, day, d)
        with problems.check():
            reason = _text(data, "reason")
        problems.raise_found()
        clean = {"to_unit": unit.code, "to_official": official.code if official else None,
                 "reason": reason}
    elif kind == EventKind.EXTENSION_REQUEST:
        with problems.check():
            # As a grant: a day already past could never be granted as asked, and one
            # request pending stops the holder asking again until it is answered.
            requested = _later_deadline(snap, data, day)
        with problems.check():
            reason = _text(data, "reason")
        problems.raise_found()
        clean = {"new_due": requested.isoformat(), "reason": reason}
    elif kind == EventKind.EXTENSION_GRANT:
        with problems.check():
            new_due = _later_deadline(snap, data, day)
        # A deadline that moves says why (the refusal does too); a recorded grant without a
        # reason keeps its payload as it was.
        reason = str(data.get("reason") or "").strip()
        if not reason and not recorded:
            problems.add(_err(_("A granted extension needs a reason: say why the deadline "
                                "moves."), "missing_reason", "reason"))
        problems.raise_found()
        clean = {"new_due": new_due.isoformat(), "old_due": snap.due_in_force.isoformat()}
        if reason:
            clean["reason"] = reason
    elif kind in {EventKind.EXTENSION_REFUSE, EventKind.EXCUSE_DELAY, EventKind.CANCEL}:
        clean = {"reason": _text(data, "reason")}
    elif kind == EventKind.GUIDANCE_REQUEST:
        with problems.check():
            official = _official(data, "to_official", d)
            if official is None:
                raise _err(_("Name the official whose guidance is asked."),
                           "missing_to_official", "to_official")
            found = d.unit_of(official.pk, day)
            if found is None or (snap.holder_official is not None
                                 and official.pk == snap.holder_official.pk):
                raise _err(_("Guidance must be asked of another official in service."),
                           "guidance_target", "to_official")
            unit = found
        with problems.check():
            question = _text(data, "question")
        problems.raise_found()
        clean = {"to_official": official.code, "to_unit": unit.code, "question": question}
    elif kind == EventKind.GUIDANCE_REPLY:
        if snap.guidance_resume is None:
            raise _err(_("No guidance request is pending."), "no_guidance_request")
        unit, official = snap.guidance_resume
        clean = {"answer": str(data.get("answer") or "").strip()}
    elif kind == EventKind.CONSULT:
        with problems.check():
            target = _unit(data, "to_unit", d)
            if target.pk == snap.holder_unit.pk:
                raise _err(_("Consult another unit, not the one holding the work."),
                           "consult_target", "to_unit")
        with problems.check():
            reply_due = _date(data, "reply_due")
            if reply_due < day:
                raise _err(_("The reply deadline cannot be in the past."), "consult_due",
                           "reply_due")
        problems.raise_found()
        clean = {"to_unit": target.code, "reply_due": reply_due.isoformat(),
                 "question": str(data.get("question") or "").strip()}
    elif kind == EventKind.CONSULT_REPLY:
        target = _unit(data, "unit", d)
        clean = {"unit": target.code, "clear_position": _bool(data, "clear_position"),
                 "answer": str(data.get("answer") or "").strip()}
    elif kind == EventKind.SUBMIT:
        unit, official = snap.assigner_unit, d.official_by_id(snap.assigned_by_id)
        if actor is not None and official.pk == actor.pk:
            # handed in to themself (work they assigned themself): to the assigning unit,
            # whose other leaders (or the level above: `deciders`) decide it
            official = None
        clean = {"note": str(data.get("note") or "").strip()}
    elif kind == EventKind.REWORK:
        if snap.submit_resume is None:
            raise _err(_("Nothing was submitted."), "no_submission")
        unit, official = snap.submit_resume
        clean = {"major_error": _bool(data, "major_error"), "excused": _bool(data, "excused"),
                 "reason": _text(data, "reason")}
    elif kind in {EventKind.APPROVE, EventKind.REMIND, EventKind.ACCEPT}:
        clean = {"note": str(data.get("note") or "").strip()} if data.get("note") else {}
    done, late = None, None
    if kind == EventKind.APPROVE:
        history = snap.history()
        history = TaskHistory(history.code, history.assigned_at, history.due, history.lead,
                              history.assigner, (*history.events, Event(kind, at, None, {})))
        done, late = engine_done_at(history), engine_done_late(history)
    return Decision(kind, state_after, unit, official, clean, done, late)


def check_assignment(
    *, d: Directory, assigned_by: Official, title: str, product, lead_unit: Unit | None,
    lead_official: Official | None, due: dt.date | None, quantity: int | None,
    priority: str | None, coordinating: Sequence[tuple[Unit, dt.date | None]], at: dt.datetime,
    allow_past_due: bool, problems: Problems | None = None,
) -> tuple[Unit | None, Decimal | None]:
    """The "5 rõ" of a new task; returns the assigning unit and the coefficient in force.
    A coordinating unit refused is refused on its row: `("coordinating_units", index, "unit"
    or "due")`, counted in the order of `coordinating`.

    Every rule is checked that the values given allow (a missing lead unit leaves out the
    rules about it, not the others): with `problems`, the refusals are added to it and what
    could be found is returned (None where a refusal stood in the way); without, they are
    raised together (`ServiceError.collect`). That the assigner leads the lead unit or a
    unit above it is a question of permission: refused alone, at once."""
    found = problems if problems is not None else Problems()
    day = timezone.localtime(at).date()
    if not title:
        found.add(_err(_("A task needs a title (rõ việc)."), "task_title", "title"))
    if product is None:
        found.add(_err(_("A task needs a product (rõ hiệu quả)."), "task_product", "product"))
    if lead_unit is None:
        found.add(_err(_("A task needs one lead unit (rõ người)."), "task_lead_unit",
                       "lead_unit"))
    if lead_official is None:
        found.add(_err(_("A task needs one lead official (rõ người)."), "task_lead_official",
                       "lead_official"))
    if due is None:
        found.add(_err(_("A task needs a deadline."), "task_due", "due"))
    elif (refused := deadline_range_refusal(due, "due")) is not None:
        found.add(refused)
    elif due < day:
        message = (_("The deadline cannot precede the assignment.") if allow_past_due
                   else _("The deadline cannot be in the past."))
        found.add(_err(message, "task_due_past", "due"))
    if quantity is None or quantity < 1:
        found.add(_err(_("The quantity must be at least 1."), "task_quantity", "quantity"))
    elif quantity > QUANTITY_MAX:
        found.add(_err(_("The quantity must be at most %(max)s.") % {"max": QUANTITY_MAX},
                       "task_quantity", "quantity"))
    if priority not in PRIORITIES:
        found.add(_err(_("Unknown priority."), "task_priority", "priority"))
    assigner_unit = coefficient = None
    if lead_unit is not None:
        assigner_unit = d.led_unit_above(assigned_by.pk, lead_unit, day)
        if assigner_unit is None:
            raise PermissionDeniedError(
                _("%(official)s does not lead %(unit)s or a unit above it.")
                % {"official": assigned_by.code, "unit": lead_unit.code},
                code="task_assigner_not_leader",
            )
        if lead_official is not None and not d.is_member(lead_official.pk, lead_unit.pk, day):
            found.add(_err(
                _("%(official)s does not work in %(unit)s.")
                % {"official": lead_official.code, "unit": lead_unit.code},
                "task_lead_not_member", "lead_official",
            ))
    if product is not None:
        coefficient = d.coefficient(product.pk, day)
        if coefficient is None:
            found.add(_err(_("Product %(code)s has no coefficient in force.")
                           % {"code": product.code}, "task_product_coefficient", "product"))
    # A coordinating deadline is checked against the day of assignment whatever the task's
    # deadline, and against the task's deadline whenever there is one, refused or not (a
    # deadline in the past is refused above, yet a coordinating one after it is wrong too).
    due_valid = due is not None and due >= day
    seen: set[int] = set()
    for index, (unit, unit_due) in enumerate(coordinating):
        if lead_unit is not None and unit.pk == lead_unit.pk:
            found.add(_err(_("Coordinating unit %(unit)s is the lead unit: a coordinating unit "
                             "must differ from the lead unit.") % {"unit": unit.name},
                           "task_coordination", ("coordinating_units", index, "unit")))
        elif unit.pk in seen:
            found.add(_err(_("Coordinating unit %(unit)s is named twice: name each "
                             "coordinating unit once.") % {"unit": unit.name},
                           "task_coordination", ("coordinating_units", index, "unit")))
        seen.add(unit.pk)
        values = {"unit": unit.name, "unit_due": _short(unit_due) if unit_due else "",
                  "day": _short(day), "due": _short(due) if due else ""}
        if unit_due is None:
            found.add(_err(_("Give the coordinating unit its deadline."),
                           "task_coordination_due", ("coordinating_units", index, "due")))
        elif (refused := deadline_range_refusal(
                unit_due, ("coordinating_units", index, "due"))) is not None:
            found.add(refused)
        elif due_valid and (unit_due > due or unit_due < day):
            found.add(_err(
                _("The deadline of coordinating unit %(unit)s (%(unit_due)s) must fall "
                  "between the assignment (%(day)s) and the task's deadline (%(due)s).")
                % values, "task_coordination_due", ("coordinating_units", index, "due"),
            ))
        elif unit_due < day:
            message = (_("The deadline of coordinating unit %(unit)s (%(unit_due)s) cannot "
                         "precede the assignment (%(day)s).") if allow_past_due
                       else _("The deadline of coordinating unit %(unit)s (%(unit_due)s) "
                              "cannot be in the past."))
            found.add(_err(message % values, "task_coordination_due",
                           ("coordinating_units", index, "due")))
        elif due is not None and unit_due > due:
            found.add(_err(
                _("The deadline of coordinating unit %(unit)s (%(unit_due)s) cannot be after "
                  "the task's deadline (%(due)s).") % values,
                "task_coordination_due", ("coordinating_units", index, "due"),
            ))
    if problems is None:
        found.raise_found()
    return assigner_unit, coefficient


def check_directive(*, directive, assigner_unit: Unit) -> None:
    """A task answers a directive addressed to its assigning unit: one issued by that unit
    or by a unit above it (a directive goes down the tree from its issuer, as its cascade
    counts the answers: `accountability.selectors.directive_cascade`). The pages offer only
    those (`selectors.directive_list_to_answer`); the services refuse any other."""
    issuer = directive.issued_by
    if not (issuer.lft <= assigner_unit.lft and assigner_unit.rgt <= issuer.rgt):
        raise _err(
            _("Directive %(code)s was issued by %(issuer)s, which is not %(unit)s nor a unit "
              "above it: a task answers only the directives addressed to its assigning unit.")
            % {"code": directive.code, "issuer": issuer.name, "unit": assigner_unit.name},
            "task_directive_not_addressed", "directive",
        )


def check_steps(*, d: Directory, steps: Iterable[tuple[str, int]], at: dt.datetime,
                due: dt.date) -> None:
    """The steps (rõ quy trình) run one after another from the day of assignment, each for
    its allowance in working days: none may end after the task's deadline."""
    calendar = d.calendar()
    day = timezone.localtime(at).date()
    used = 0
    for index, (name, allowance) in enumerate(steps):
        used += allowance
        ends = calendar.add_workdays(day, used)
        if ends > due:
            raise _err(
                _("Step “%(step)s” would end on %(end)s (%(days)s working days after the "
                  "assignment), after the task's deadline %(due)s: a step's deadline cannot "
                  "be after the task's. Shorten the steps or move the deadline.")
                % {"step": name, "end": _short(ends),
                   "days": used, "due": _short(due)},
                "task_step_after_due", ("steps", index, "allowance"),
            )


def next_workday(d: Directory, day: dt.date) -> dt.date | None:
    """The first working day after `day` when `day` is a day off (None: it is a working
    day)."""
    from thuocdo.core.calendar import next_workday_if_off

    return next_workday_if_off(d.calendar(), day)


#: The actions that set a deadline, by the payload field holding it: the day asked for in an
#: extension request, the new deadline of a granted extension, the reply deadline of a
#: consultation. `services.task_act` checks it with `check_deadline_day`.
ACTION_DEADLINES: dict[str, str] = {
    EventKind.EXTENSION_REQUEST: "new_due",
    EventKind.EXTENSION_GRANT: "new_due",
    EventKind.CONSULT: "reply_due",
}


def check_deadline_day(*, d: Directory, day: dt.date, field: FieldPath,
                       coordinating: Unit | None = None) -> None:
    """A deadline set now falls on a working day, unless settings.THUOCDO_DEADLINE_ON_DAY_OFF
    is "accept": a task's and each coordinating unit's (`coordinating`, named in the refusal,
    whose `field` is the path to its row's deadline) when it is assigned, and the deadline
    of an action of `ACTION_DEADLINES` (an extension asked for or granted, a consultation's
    reply). The refusal names the day, why it is off (the holiday's name, or the weekday of
    a weekend, when the calendar knows it) and the next working day.

    The services ask (`task_assign`, `task_act`), so the pages, the API and any other caller
    follow; imports of history do not (`replay.py` calls `check_assignment` and `decide`
    only): they record what happened elsewhere, a deadline on a day off included."""
    from thuocdo.core.calendar import DAY_OFF_ACCEPT, day_off_name, day_off_refusal

    if settings.THUOCDO_DEADLINE_ON_DAY_OFF == DAY_OFF_ACCEPT:
        return
    later = next_workday(d, day)
    if later is None:
        return

    if coordinating is None:
        raise _err(day_off_refusal(day, later) or "", "deadline_day_off", field)
    why = day_off_name(day)
    values = {"day": _short(day), "why": why, "next": _short(later), "unit": coordinating.name}
    if why:
        message = _("%(day)s, the deadline of coordinating unit %(unit)s, is a day off "
                    "(%(why)s), and a deadline must be a working day; the next working "
                    "day: %(next)s.") % values
    else:
        message = _("%(day)s, the deadline of coordinating unit %(unit)s, is a day off, "
                    "and a deadline must be a working day; the next working day: "
                    "%(next)s.") % values
    raise _err(message, "deadline_day_off", field)
