"""Export the organisation as an exchange document: the whole installation
(`export_document`), or one unit's part of it (`export_unit_document`).

The order is fixed so the same database always gives the same document, and
export → import into an empty database → export gives it again: units in tree order
(parents before children, siblings by code), events by task code then number, everything
else by code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet

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

from .spec import EVENT_PAYLOADS, FIELDS, FORMAT, Field

#: Times are written with Vietnam's offset (Asia/Ho_Chi_Minh has been +07:00 since 1975).
VIETNAM_OFFSET = dt.timezone(dt.timedelta(hours=7))
#: Rows fetched per round trip when reading tasks and events.
CHUNK = 5000
#: Codes per `IN (...)` list (SQLite takes at most 32,766 parameters in a query).
CODES_PER_QUERY = 1000

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
    """`assessments`, `discipline` and `quota_exceptions`, from the evaluations app (each
    only when it has records, so a database without evaluations exports the document it
    imported)."""
    from thuocdo.evaluations.exchange import (
        export_assessments,
        export_discipline,
        export_quota_exceptions,
    )

    found = {"assessments": export_assessments(), "discipline": export_discipline(),
             "quota_exceptions": export_quota_exceptions()}
    return {key: records for key, records in found.items() if records}


def iso(moment: dt.datetime) -> str:
    """An aware datetime as ISO 8601 with the +07:00 offset: `2026-10-01T08:00:00+07:00`."""
    return moment.astimezone(VIETNAM_OFFSET).isoformat()


def iter_tasks(tasks: QuerySet[Task] | None = None) -> Iterator[dict[str, Any]]:
    """Tasks by code (every task, or those of `tasks`), as assigned: what the task record of
    the format carries (the state, holder and deadline in force follow from the events).
    Optional fields are left out when empty; `quantity` and `priority` are always written."""
    coordination_rows = TaskCoordination.objects.all()
    step_rows = TaskStep.objects.all()
    if tasks is not None:
        coordination_rows = coordination_rows.filter(task__in=tasks.values("pk"))
        step_rows = step_rows.filter(task__in=tasks.values("pk"))
    coordinations: dict[int, list[dict[str, str]]] = {}
    for task_id, unit, due in coordination_rows.order_by("task_id", "pk").values_list(
        "task_id", "unit__code", "due"
    ).iterator(chunk_size=CHUNK):
        coordinations.setdefault(task_id, []).append({"unit": unit, "due": due.isoformat()})
    steps: dict[int, list[dict[str, Any]]] = {}
    for task_id, name, allowance in step_rows.order_by("task_id", "order").values_list(
        "task_id", "name", "allowance"
    ).iterator(chunk_size=CHUNK):
        steps.setdefault(task_id, []).append({"name": name, "allowance": allowance})
    rows = (Task.objects.all() if tasks is None else tasks).order_by("code").values_list(
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


def iter_events(tasks: QuerySet[Task] | None = None) -> Iterator[dict[str, Any]]:
    """Events (of every task, or of `tasks`) by task code, then in the order of the log,
    without the internal `create` event (the task record carries the assignment). The
    payload comes from the stored details, limited to the fields of the event's kind;
    optional fields that are empty (no official named, no note) are left out."""
    events = TaskEvent.objects.all()
    if tasks is not None:
        events = events.filter(task__in=tasks.values("pk"))
    rows = events.exclude(kind=EventKind.CREATE).order_by(
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


def export_units(codes: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """Units depth-first from each root, siblings by code: every parent before its
    children (computed from `parent`, so it does not depend on the nested-set numbers).
    With `codes`, only those units and every unit above them (so each parent resolves)."""
    rows = list(Unit.objects.values_list("pk", "code", "name", "kind", "parent_id",
                                         "is_active"))
    code_of = {pk: code for pk, code, *_rest in rows}
    if codes is not None:
        parent_of = {pk: parent_id for pk, _code, _name, _kind, parent_id, _active in rows}
        pk_of = {code: pk for pk, code in code_of.items()}
        kept: set[int] = set()
        for code in codes:
            pk = pk_of.get(code)
            while pk is not None and pk not in kept:
                kept.add(pk)
                pk = parent_of[pk]
        rows = [row for row in rows if row[0] in kept]
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


def export_officials(officials: QuerySet[Official] | None = None) -> list[dict[str, Any]]:
    """Officials by code (every official, or those of `officials`), each with their place:
    the open membership (no end) that started last (a head's before a deputy's before
    staff's on the same day), and its start as `since`. An official with no open
    membership has no place."""
    open_memberships = Membership.objects.filter(end__isnull=True)
    if officials is not None:
        open_memberships = open_memberships.filter(official__in=officials.values("pk"))
    places: dict[int, tuple] = {}
    for official_id, unit, position, group, start in open_memberships.values_list(
        "official_id", "unit__code", "position", "task_group__code", "start"
    ):
        rank = (start, -_POSITION_RANK.get(position, 3), unit)
        known = places.get(official_id)
        if known is None or rank > known[0]:
            places[official_id] = (rank, unit, position, group, start)
    records: list[dict[str, Any]] = []
    rows = Official.objects.all() if officials is None else officials
    for pk, code, name, email, phone, is_active in rows.order_by("code").values_list(
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
        records.append(official)
    return records


def export_products(codes: set[str] | None = None) -> list[dict[str, Any]]:
    """Products by code (every product, or those of `codes`) with the coefficient that
    started last and the day it started (`coefficient_from`, left out when it has been in
    force from the beginning)."""
    latest: dict[int, tuple] = {}
    for product_id, valid_from, coefficient in ProductCoefficient.objects.values_list(
        "product_id", "valid_from", "coefficient"
    ):
        if product_id not in latest or valid_from > latest[product_id][0]:
            latest[product_id] = (valid_from, coefficient)
    products: list[dict[str, Any]] = []
    for pk, code, name in Product.objects.order_by("code").values_list("pk", "code", "name"):
        if codes is not None and code not in codes:
            continue
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


# -- one unit's part ----------------------------------------------------------------------


def export_unit_document(*, unit: Unit, tasks: QuerySet[Task]) -> dict[str, Any]:
    """One unit's part of the installation: the tasks of `tasks` (the caller chose them: led
    in the unit's subtree, readable, of a period) whole, with every event of each, and what
    an import into an empty installation needs to replay them (docs/exchange-format.md,
    "Scoped export"):

    - the units of the subtree, every unit the tasks, events, officials and directives
      name, and every unit above these (a parent must resolve, and who may assign or
      decide is read up the tree);
    - the officials whose place is in the subtree and every official the tasks and events
      name; one placed outside the subtree (an assigner in the unit above, who answered for
      a consulted unit) comes with their place only, no e-mail or phone;
    - the task groups of these officials, the products of the tasks, the directives the
      tasks carry out or a unit of the subtree issued (and those they answer), and the
      whole calendar (deadlines are counted in its working days).

    Assessments, discipline, quota exceptions and citizens' cases are left out. A few
    queries, whatever the number of tasks: the tasks, their coordinating units, steps and
    events, then the records around them.
    """
    selected = Task.objects.filter(pk__in=tasks.values("pk"))
    task_records = list(iter_tasks(selected))
    event_records = list(iter_events(selected))
    named = _references("tasks", task_records)
    for ref, codes in _references("events", event_records).items():
        named[ref] |= codes

    subtree = Unit.objects.filter(lft__gte=unit.lft, rgt__lte=unit.rgt)
    inside = set(subtree.values_list("code", flat=True))
    placed_inside = Official.objects.filter(Exists(Membership.objects.filter(
        official=OuterRef("pk"), end__isnull=True, unit__in=subtree)))
    found = {record["code"]: record for record in export_officials(placed_inside)
             if record.get("unit") in inside or record["code"] in named["officials"]}
    missing = sorted(named["officials"] - found.keys())
    for start in range(0, len(missing), CODES_PER_QUERY):
        chosen = Official.objects.filter(code__in=missing[start:start + CODES_PER_QUERY])
        found.update((record["code"], record) for record in export_officials(chosen))
    officials = [record if record.get("unit") in inside else _place_only(record)
                 for _code, record in sorted(found.items())]

    every_directive = {record["code"]: record for record in export_directives()}
    wanted = named["directives"] | {code for code, record in every_directive.items()
                                    if record["issued_by"] in inside}
    pending = list(wanted)
    while pending:  # the directives they answer, up the chain
        above = every_directive[pending.pop()].get("answers")
        if above and above not in wanted:
            wanted.add(above)
            pending.append(above)
    directives = [every_directive[code] for code in sorted(wanted)]

    unit_codes = (inside | named["units"]
                  | {record["unit"] for record in officials if record.get("unit")}
                  | {record["issued_by"] for record in directives})
    groups = {record["task_group"] for record in officials if record.get("task_group")}
    return {
        "format": FORMAT,
        "calendar": export_calendar(),
        "units": export_units(unit_codes),
        "task_groups": [{"code": code, "name": name} for code, name in
                        TaskGroup.objects.filter(code__in=sorted(groups)).order_by("code")
                        .values_list("code", "name")],
        "officials": officials,
        "products": export_products(named["products"]),
        "directives": directives,
        "tasks": task_records,
        "events": event_records,
    }


def _place_only(official: dict[str, Any]) -> dict[str, Any]:
    """An official from outside the part exported, as the import needs them: code, name,
    place and whether active; not their e-mail or phone."""
    return {name: value for name, value in official.items() if name not in ("email", "phone")}


def _references(key: str, records: Iterable[dict[str, Any]]) -> dict[str, set[str]]:
    """The codes of units, officials, products and directives that `records` (of the
    format's `key`) name, by the kind of record named (from the field table of `spec`)."""
    found: dict[str, set[str]] = {"units": set(), "officials": set(), "products": set(),
                                  "directives": set()}

    def walk(fields: Iterable[Field], record: dict[str, Any]) -> None:
        for field in fields:
            value = record.get(field.name)
            if value is None:
                continue
            if field.type == "ref" and field.ref in found:
                found[field.ref].add(value)
            elif field.type == "list":
                for item in value:
                    walk(field.items, item)

    for record in records:
        walk(FIELDS[key].values(), record)
    return found
