"""The workflow of a task: one transition table, read by every service, view and import.

Each row says which states an action may start from, the state it leads to (None: unchanged),
who may take it, and which payload fields it needs. `allowed_actions` answers "what may this
person do now", so forms show only those; the services in `services.py` refuse anything else.

Who may act (evaluated on the day of the action, from memberships in force that day):

- holder: the official holding the work (or, while no official holds it, a head/deputy of
  the holding unit);
- assigner: the official who assigned the task, or a head/deputy of the assigning unit;
- superior: the assigner, or a head/deputy of a unit above the holding unit;
- guide: the official a pending guidance request was sent to;
- consulted: a member of a unit whose opinion was asked and not yet given.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q

from thuocdo.org.choices import LEADER_POSITIONS
from thuocdo.org.models import Membership, Official

from .choices import OPEN_STATES, EventKind, TaskState

S = TaskState
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
        Transition(EventKind.EXTENSION_GRANT, ALL_OPEN, None, "assigner", ("new_due",)),
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


def _leads(official_id: int, unit_ids: list[int], day: dt.date) -> bool:
    """True if the official is head or deputy, on `day`, of one of `unit_ids`."""
    return Membership.objects.filter(
        Q(end__isnull=True) | Q(end__gte=day),
        official_id=official_id, unit_id__in=unit_ids, start__lte=day,
        position__in=list(LEADER_POSITIONS),
    ).exists()


def _ancestor_ids(unit) -> list[int]:
    from thuocdo.org.models import Unit

    return list(Unit.objects.filter(lft__lte=unit.lft, rgt__gte=unit.rgt)
                .values_list("pk", flat=True))


def is_holder(task, official: Official, day: dt.date) -> bool:
    if task.holder_official_id is not None:
        return task.holder_official_id == official.pk
    return _leads(official.pk, [task.holder_unit_id], day)


def is_assigner(task, official: Official, day: dt.date) -> bool:
    return task.assigned_by_id == official.pk or _leads(official.pk, [task.assigner_unit_id], day)


def is_superior(task, official: Official, day: dt.date) -> bool:
    if is_assigner(task, official, day):
        return True
    if task.holder_official_id == official.pk:
        return False
    # A leader of the holding unit or of any unit above it (the holder excluded above).
    return _leads(official.pk, _ancestor_ids(task.holder_unit), day)


def pending_guidance_to(task) -> int | None:
    """The official a still-unanswered guidance request was sent to."""
    last = task.events.filter(
        kind__in=[EventKind.GUIDANCE_REQUEST, EventKind.GUIDANCE_REPLY]
    ).order_by("-seq").first()
    if last is None or last.kind != EventKind.GUIDANCE_REQUEST:
        return None
    return last.holder_official_after_id


def pending_consultations(task) -> dict[str, dict]:
    """Units asked for an opinion that have not replied: unit code → the consult's data."""
    pending: dict[str, dict] = {}
    for kind, data in task.events.filter(
        kind__in=[EventKind.CONSULT, EventKind.CONSULT_REPLY]
    ).order_by("seq").values_list("kind", "data"):
        if kind == EventKind.CONSULT:
            pending[data["to_unit"]] = data
        else:
            pending.pop(data.get("unit"), None)
    return pending


def is_guide(task, official: Official, day: dt.date) -> bool:
    return pending_guidance_to(task) == official.pk


def is_consulted(task, official: Official, day: dt.date, unit_code: str | None = None) -> bool:
    pending = pending_consultations(task)
    codes = [unit_code] if unit_code else list(pending)
    codes = [c for c in codes if c in pending]
    if not codes:
        return False
    return Membership.objects.filter(
        Q(end__isnull=True) | Q(end__gte=day),
        official=official, unit__code__in=codes, start__lte=day,
    ).exists()


ACTOR_RULES = {
    "holder": is_holder,
    "assigner": is_assigner,
    "superior": is_superior,
    "guide": is_guide,
    "consulted": is_consulted,
}


def may_act(task, kind: str, official: Official | None, day: dt.date) -> bool:
    """Whether `official` may take action `kind` on `task` now (state and person)."""
    transition = TRANSITIONS.get(kind)
    if transition is None or official is None or task.state not in transition.sources:
        return False
    return ACTOR_RULES[transition.actor](task, official, day)


def allowed_actions(task, official: Official | None, day: dt.date) -> list[str]:
    """The actions `official` may take on `task` now, in the table's order."""
    return [kind for kind in TRANSITIONS if may_act(task, kind, official, day)]
