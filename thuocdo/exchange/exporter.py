"""Export the organisation as an exchange document.

The order is fixed so the same database always gives the same document, and
export → import into an empty database → export gives it again: units in tree order
(parents before children, siblings by code), events by task code then number, everything
else by code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from thuocdo.core.models import CalendarOverride
from thuocdo.org.choices import Position
from thuocdo.org.models import Membership, Official, TaskGroup, Unit
from thuocdo.tasks.choices import EventKind, Priority
from thuocdo.tasks.models import (
    Directive,
    Product,
    ProductCoefficient,
    Task,
    TaskCoordination,
    TaskEvent,
    TaskStep,
)
from thuocdo.tasks.services import ALWAYS

from .spec import EVENT_PAYLOADS, FORMAT

#: Times are written with Vietnam's offset (Asia/Ho_Chi_Minh has been +07:00 since 1975).
VIETNAM_OFFSET = dt.timezone(dt.timedelta(hours=7))
#: Rows fetched per round trip when reading tasks and events.
CHUNK = 5000

_POSITION_RANK: dict[str, int] = {Position.HEAD: 0, Position.DEPUTY: 1, Position.STAFF: 2}


def export_document() -> dict[str, Any]:
    """Every built key of the format, from the database."""
    return {
        "format": FORMAT,
        "calendar": export_calendar(),
        "units": export_units(),
        "task_groups": [{"code": code, "name": name} for code, name in
                        TaskGroup.objects.order_by("code").values_list("code", "name")],
        "officials": export_officials(),
        "products": export_products(),
        "directives": export_directives(),
        "tasks": list(iter_tasks()),
        "events": list(iter_events()),
        **_evaluation_keys(),
        **_citizen_keys(),
    }


def _citizen_keys() -> dict[str, Any]:
    """`dossiers` and `feedback`, from the citizens app (each only when it has records)."""
    from thuocdo.citizens.exchange import export_dossiers, export_feedback

    found = {"feedback": export_feedback(), "dossiers": export_dossiers()}
    return {key: records for key, records in found.items() if records}


def _evaluation_keys() -> dict[str, Any]:
    """`assessments` and `discipline`, from the evaluations app (each only when it has
    records, so a database without evaluations exports the document it imported)."""
    from thuocdo.evaluations.exchange import export_assessments, export_discipline

    found = {"assessments": export_assessments(), "discipline": export_discipline()}
    return {key: records for key, records in found.items() if records}


def iso(moment: dt.datetime) -> str:
    """An aware datetime as ISO 8601 with the +07:00 offset: `2026-10-01T08:00:00+07:00`."""
    return moment.astimezone(VIETNAM_OFFSET).isoformat()


def iter_tasks() -> Iterator[dict[str, Any]]:
    """Tasks by code, as assigned: what the task record of the format carries (the state,
    holder and deadline in force follow from the events). Optional fields are left out
    when empty; `quantity` and `priority` are always written."""
    coordinations: dict[int, list[dict[str, str]]] = {}
    for task_id, unit, due in TaskCoordination.objects.order_by("task_id", "pk").values_list(
        "task_id", "unit__code", "due"
    ).iterator(chunk_size=CHUNK):
        coordinations.setdefault(task_id, []).append({"unit": unit, "due": due.isoformat()})
    steps: dict[int, list[dict[str, Any]]] = {}
    for task_id, name, allowance in TaskStep.objects.order_by("task_id", "order").values_list(
        "task_id", "name", "allowance"
    ).iterator(chunk_size=CHUNK):
        steps.setdefault(task_id, []).append({"name": name, "allowance": allowance})
    rows = Task.objects.order_by("code").values_list(
        "pk", "code", "title", "description", "directive__code", "lead_unit__code",
        "lead_official__code", "product__code", "quantity", "assigned_by__code",
        "assigned_at", "due", "priority",
    )
    for (pk, code, title, description, directive, lead_unit, lead_official, product,
         quantity, assigned_by, assigned_at, due, priority) in rows.iterator(chunk_size=CHUNK):
        task: dict[str, Any] = {"code": code, "title": title}
        if description:
            task["description"] = description
        if directive:
            task["directive"] = directive
        task["lead_unit"] = lead_unit
        task["lead_official"] = lead_official
        if pk in coordinations:
            task["coordinating_units"] = coordinations[pk]
        if pk in steps:
            task["steps"] = steps[pk]
        task.update(product=product, quantity=quantity, assigned_by=assigned_by,
                    assigned_at=iso(assigned_at), due=due.isoformat(),
                    priority=priority or Priority.NORMAL)
        yield task


def iter_events() -> Iterator[dict[str, Any]]:
    """Events by task code, then in the order of the log, without the internal `create`
    event (the task record carries the assignment). The payload comes from the stored
    details, limited to the fields of the event's kind; optional fields that are empty
    (no official named, no note) are left out."""
    rows = TaskEvent.objects.exclude(kind=EventKind.CREATE).order_by(
        "task__code", "seq").values_list("task__code", "kind", "at", "actor__code", "data")
    for task, kind, at, actor, data in rows.iterator(chunk_size=CHUNK):
        event: dict[str, Any] = {"task": task, "kind": kind, "at": iso(at), "actor": actor}
        payload = EVENT_PAYLOADS.get(kind)
        if payload is not None and data:
            for name in payload.required:
                if name in data:
                    event[name] = data[name]
            for name in payload.optional:
                value = data.get(name)
                if value is not None and value != "":
                    event[name] = value
        yield event


def export_calendar() -> dict[str, list[str]]:
    calendar: dict[str, list[str]] = {"holidays": [], "workdays": []}
    for day, kind in CalendarOverride.objects.order_by("day").values_list("day", "kind"):
        name = "holidays" if kind == CalendarOverride.Kind.HOLIDAY else "workdays"
        calendar[name].append(day.isoformat())
    return calendar


def export_units() -> list[dict[str, Any]]:
    """Units depth-first from each root, siblings by code: every parent before its
    children (computed from `parent`, so it does not depend on the nested-set numbers)."""
    rows = list(Unit.objects.values_list("pk", "code", "name", "kind", "parent_id",
                                         "is_active"))
    code_of = {pk: code for pk, code, *_rest in rows}
    children: dict[int | None, list[tuple]] = {}
    for row in rows:
        children.setdefault(row[4], []).append(row)
    for items in children.values():
        items.sort(key=lambda r: r[1])
    units: list[dict[str, Any]] = []
    stack = list(reversed(children.get(None, [])))
    while stack:
        pk, code, name, kind, parent_id, is_active = stack.pop()
        unit: dict[str, Any] = {"code": code, "name": name, "kind": kind,
                                "parent": code_of.get(parent_id)}
        if not is_active:
            unit["active"] = False
        units.append(unit)
        stack.extend(reversed(children.get(pk, [])))
    return units


def export_officials() -> list[dict[str, Any]]:
    """Officials by code, each with their place: the open membership (no end) that started
    last (a head's before a deputy's before staff's on the same day), and its start as
    `since`. An official with no open membership has no place."""
    places: dict[int, tuple] = {}
    for official_id, unit, position, group, start in Membership.objects.filter(
        end__isnull=True
    ).values_list("official_id", "unit__code", "position", "task_group__code", "start"):
        rank = (start, -_POSITION_RANK.get(position, 3), unit)
        known = places.get(official_id)
        if known is None or rank > known[0]:
            places[official_id] = (rank, unit, position, group, start)
    officials: list[dict[str, Any]] = []
    for pk, code, name, email, phone, is_active in Official.objects.order_by("code").values_list(
        "pk", "code", "name", "email", "phone", "is_active"
    ):
        official: dict[str, Any] = {"code": code, "name": name}
        place = places.get(pk)
        if place is not None:
            _rank, unit, position, group, start = place
            official.update(unit=unit, position=position, task_group=group,
                            since=start.isoformat())
        official["email"] = email
        if phone:
            official["phone"] = phone
        if not is_active:
            official["active"] = False
        officials.append(official)
    return officials


def export_products() -> list[dict[str, Any]]:
    """Products by code with the coefficient that started last and the day it started
    (`coefficient_from`, left out when it has been in force from the beginning)."""
    latest: dict[int, tuple] = {}
    for product_id, valid_from, coefficient in ProductCoefficient.objects.values_list(
        "product_id", "valid_from", "coefficient"
    ):
        if product_id not in latest or valid_from > latest[product_id][0]:
            latest[product_id] = (valid_from, coefficient)
    products: list[dict[str, Any]] = []
    for pk, code, name in Product.objects.order_by("code").values_list("pk", "code", "name"):
        product: dict[str, Any] = {"code": code, "name": name}
        if pk in latest:
            valid_from, coefficient = latest[pk]
            product["coefficient"] = float(coefficient)
            if valid_from != ALWAYS:
                product["coefficient_from"] = valid_from.isoformat()
        products.append(product)
    return products


def export_directives() -> list[dict[str, Any]]:
    directives: list[dict[str, Any]] = []
    for code, title, issued_by, issued_on, answers in Directive.objects.order_by(
        "code"
    ).values_list("code", "title", "issued_by__code", "issued_on", "answers__code"):
        directive: dict[str, Any] = {"code": code, "title": title, "issued_by": issued_by,
                                     "issued_on": issued_on.isoformat()}
        if answers:
            directive["answers"] = answers
        directives.append(directive)
    return directives
