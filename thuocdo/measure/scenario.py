"""From an exchange-format document to the engine's inputs (docs/exchange-format.md).

The golden cases of the measuring engine, the demos and the benchmarks are written in the
exchange format; this loader turns one such document into what the engine reads:

- `Scenario.histories`: task code → `TaskHistory` (lead = the lead unit and official; assigner
  = the assigning official and the unit they work in; the task's events in document order,
  so an event's index is its position among that task's event records);
- `Scenario.tasks`: task code → `TaskFacts` (priority, product, quantity, coefficient);
- `Scenario.people`: who works where (officials and the tree of units);
- `Scenario.calendar`: the working-day calendar.

Pure, like the rest of `thuocdo.measure`: the caller passes the public holidays (in the
application and the tests: `calendar.public_days(scenario_years(doc))`) and
the document's `calendar` key corrects them, as administrators' overrides do in the database.
The document is trusted (checked by the importer or written by hand for a test): a missing
reference raises `ScenarioError` naming the record, nothing more is validated here. Keys the
engine does not read (`description`, `expected`, `assessments`, ...) are ignored.

A golden scenario (tests/golden/, README.md there) is an exchange document plus the
`SCENARIO_KEYS` (`description`, `period`, `as_of`, `working`, `expected`, `signals`):
`exchange_part` takes them out, and what is left imports as it is (`thuocdo import` with no
`--on`). The `dossiers` and `feedback` of a document are read by `dossiers.load_cases`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType

from .calendar import WorkCalendar
from .history import Event, Holder, TaskHistory

#: Top-level keys of a golden scenario (tests/golden/) that are the test's, not the exchange
#: format's: what it is about and what must come out. Without them a scenario is a plain
#: exchange document (`exchange_part`) that imports as it is (tests/golden/README.md).
SCENARIO_KEYS = frozenset({"description", "period", "as_of", "working", "expected", "signals"})

#: Fields of an event record that are the `Event` itself; every other field goes to `data`.
_EVENT_FRAME = frozenset({"task", "kind", "at", "actor"})

#: Unit kinds that make an agency (cơ quan); divisions belong to the agency above them.
AGENCY_KINDS = frozenset({"city", "province", "department", "district", "commune"})


class ScenarioError(ValueError):
    """The document refers to something it does not contain."""


@dataclass(frozen=True)
class Unit:
    """A node of the organisation tree (đơn vị)."""

    code: str
    parent: str | None = None
    kind: str = "other"
    name: str = ""


@dataclass(frozen=True)
class Official:
    """An official (cán bộ, công chức, viên chức) in their current place."""

    code: str
    unit: str | None = None
    position: str | None = None  # head, deputy, staff
    task_group: str | None = None  # nhóm nhiệm vụ tương đồng
    name: str = ""


@dataclass(frozen=True)
class People:
    """Who works where: officials and units by code, with the few questions the engine asks."""

    officials: Mapping[str, Official] = field(default_factory=dict)
    units: Mapping[str, Unit] = field(default_factory=dict)

    def unit_of(self, official: str | None) -> str | None:
        found = self.officials.get(official) if official else None
        return found.unit if found else None

    def position_of(self, official: str | None) -> str | None:
        found = self.officials.get(official) if official else None
        return found.position if found else None

    def task_group_of(self, official: str | None) -> str | None:
        found = self.officials.get(official) if official else None
        return found.task_group if found else None

    def parent_of(self, unit: str | None) -> str | None:
        """The unit one level up (None: a root, or a unit not in the index)."""
        found = self.units.get(unit) if unit else None
        return found.parent if found else None

    def agency_of(self, unit: str | None) -> str | None:
        """The nearest unit of kind city, province, department, district or commune that
        contains `unit` (itself included): the agency (cơ quan) a division belongs to.
        Falls back to the root of the tree when no ancestor has such a kind."""
        seen: set[str] = set()
        current, last = unit, unit
        while current and current not in seen:
            seen.add(current)
            found = self.units.get(current)
            if found is None:
                return last
            if found.kind in AGENCY_KINDS:
                return current
            last, current = current, found.parent
        return last

    def heads_of(self, unit: str) -> tuple[str, ...]:
        """Codes of the heads of `unit` (usually one), sorted."""
        return tuple(sorted(o.code for o in self.officials.values()
                            if o.unit == unit and o.position == "head"))

    def official_name(self, official: str | None) -> str:
        found = self.officials.get(official) if official else None
        return (found.name or found.code) if found else (official or "")

    def official_label(self, official: str | None) -> str:
        """"Trần Thị Bình (HN.VP.003)": the name with the code, which tells apart two
        officials of the same name; the code alone when the name is not known."""
        name = self.official_name(official)
        return f"{name} ({official})" if official and name != official else name

    def unit_name(self, unit: str | None) -> str:
        found = self.units.get(unit) if unit else None
        return (found.name or found.code) if found else (unit or "")


@dataclass(frozen=True)
class TaskFacts:
    """What the assignment says beyond the history: the matter's kind and its product."""

    code: str
    priority: str = "normal"  # normal, urgent, collective
    product: str | None = None
    quantity: int = 1
    #: the product's conversion coefficient (hệ số quy đổi) in force on the day of assignment
    coefficient: Decimal = Decimal(1)
    directive: str | None = None

    @property
    def converted(self) -> Decimal:
        """The converted output this task is worth: coefficient × quantity."""
        return self.coefficient * self.quantity


@dataclass(frozen=True)
class Scenario:
    """Everything the engine reads from one document."""

    histories: Mapping[str, TaskHistory]
    tasks: Mapping[str, TaskFacts]
    people: People
    calendar: WorkCalendar


def load_scenario(document: Mapping, *, holidays: Iterable[dt.date],
                  workdays: Iterable[dt.date] = ()) -> Scenario:
    """Read an exchange-format document. `holidays` and `workdays` are the public holidays
    and swapped working days of the years the document covers (`scenario_years`,
    `calendar.public_days`); its `calendar` key adds days off and swapped working days on
    top of them."""
    people = load_people(document)
    products = {p["code"]: p for p in document.get("products", ())}
    events_by_task: dict[str, list[Event]] = {}
    for n, record in enumerate(document.get("events", ())):
        events_by_task.setdefault(record["task"], []).append(
            _event(record, people, f"events[{n}]"))
    histories: dict[str, TaskHistory] = {}
    facts: dict[str, TaskFacts] = {}
    for n, record in enumerate(document.get("tasks", ())):
        code = record["code"]
        assigner = record["assigned_by"]
        assigner_unit = people.unit_of(assigner)
        if assigner_unit is None:
            raise ScenarioError(f'tasks[{n}].assigned_by: unknown official "{assigner}"')
        histories[code] = TaskHistory(
            code=code,
            assigned_at=_moment(record["assigned_at"], f"tasks[{n}].assigned_at"),
            due=dt.date.fromisoformat(record["due"]),
            lead=Holder(record["lead_unit"], record["lead_official"]),
            assigner=Holder(assigner_unit, assigner),
            events=tuple(events_by_task.pop(code, ())),
        )
        product = record.get("product")
        coefficient = products.get(product, {}).get("coefficient", 1)
        facts[code] = TaskFacts(
            code=code,
            priority=record.get("priority") or "normal",
            product=product,
            quantity=int(record.get("quantity") or 1),
            coefficient=Decimal(str(coefficient)),
            directive=record.get("directive"),
        )
    if events_by_task:
        raise ScenarioError(f'events: unknown task "{sorted(events_by_task)[0]}"')
    return Scenario(MappingProxyType(histories), MappingProxyType(facts), people,
                    load_calendar(document, holidays=holidays, workdays=workdays))


def exchange_part(document: Mapping) -> dict:
    """A golden scenario without its `SCENARIO_KEYS`: the exchange document it carries."""
    return {key: value for key, value in document.items() if key not in SCENARIO_KEYS}


def load_people(document: Mapping) -> People:
    """The officials and units of a document, by code."""
    units = {
        u["code"]: Unit(u["code"], u.get("parent"), u.get("kind") or "other", u.get("name", ""))
        for u in document.get("units", ())
    }
    officials = {
        o["code"]: Official(o["code"], o.get("unit"), o.get("position"), o.get("task_group"),
                            o.get("name", ""))
        for o in document.get("officials", ())
    }
    return People(MappingProxyType(officials), MappingProxyType(units))


def load_calendar(document: Mapping, *, holidays: Iterable[dt.date],
                  workdays: Iterable[dt.date] = ()) -> WorkCalendar:
    """Public holidays and swapped working days (`calendar.public_days`) corrected by the
    document's `calendar`: its `holidays` are extra days off, its `workdays` are working days
    whatever the holiday library says."""
    extra = document.get("calendar") or {}
    extra_work = {dt.date.fromisoformat(d) for d in extra.get("workdays", ())}
    extra_off = {dt.date.fromisoformat(d) for d in extra.get("holidays", ())}
    days_off = (set(holidays) | extra_off) - extra_work
    return WorkCalendar.of(days_off, (set(workdays) - extra_off) | extra_work)


def scenario_years(document: Mapping) -> list[int]:
    """The years whose public holidays the document needs: from the earliest date it
    mentions to one year after the latest (deadlines run on past the year's end)."""
    years = sorted({day.year for day in _dates(document)})
    if not years:
        return []
    return list(range(years[0], years[-1] + 2))


def _dates(document: Mapping) -> Iterator[dt.date]:
    for record in document.get("tasks", ()):
        yield dt.date.fromisoformat(record["assigned_at"][:10])
        yield dt.date.fromisoformat(record["due"])
    for record in document.get("events", ()):
        yield dt.date.fromisoformat(record["at"][:10])
        for key in ("new_due", "reply_due"):
            if record.get(key):
                yield dt.date.fromisoformat(record[key])


def _event(record: Mapping, people: People, path: str) -> Event:
    data = {key: value for key, value in record.items() if key not in _EVENT_FRAME}
    if record["kind"] == "guidance_request" and not data.get("to_unit"):
        # The workflow stores the unit of the official asked; the document names only them.
        data["to_unit"] = people.unit_of(data.get("to_official"))
        if data["to_unit"] is None:
            raise ScenarioError(f'{path}.to_official: unknown official "{data.get("to_official")}"')
    return Event(record["kind"], _moment(record["at"], f"{path}.at"), record.get("actor"),
                 MappingProxyType(data))


def _moment(value: str, path: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ScenarioError(f"{path}: a time needs an offset ({value})")
    return moment
