"""The one adapter from task rows to the engine's `TaskHistory` (thuocdo.measure.history)."""

from __future__ import annotations

from collections.abc import Iterable

from thuocdo.measure.history import Event, Holder, TaskHistory

from .models import Task, TaskEvent


def history_for(task: Task, events: Iterable[TaskEvent] | None = None) -> TaskHistory:
    """The engine's view of `task`. Pass `events` (ordered by seq, with `actor` loaded) when
    they were already fetched in bulk; otherwise they are read here."""
    if events is None:
        events = task.events.select_related("actor").order_by("seq")
    return TaskHistory(
        code=task.code,
        assigned_at=task.assigned_at,
        due=task.due,
        lead=Holder(task.lead_unit.code, task.lead_official.code),
        assigner=Holder(task.assigner_unit.code, task.assigned_by.code),
        events=tuple(
            Event(e.kind, e.at, e.actor.code if e.actor_id else None, e.data)
            for e in events
            if e.kind != "create"
        ),
    )
