"""What the database already holds, read in a few set-based queries before an import.

The validator resolves references against it (a document may add officials to units already
imported) and the importer compares records with it to know what is new, what changed and
what is unchanged. Everything is keyed by code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from django.db.models import QuerySet

from thuocdo.core.models import CalendarOverride
from thuocdo.org.models import Membership, Official, TaskGroup, Unit
from thuocdo.tasks.models import Directive, Product, ProductCoefficient

#: Below SQLite's 999 bound parameters per query.
CHUNK = 900
#: With more codes than this, reading the whole table is cheaper than filtering by code.
LOAD_ALL_ABOVE = 20_000


class UnitState(NamedTuple):
    pk: int
    name: str
    kind: str
    parent: str | None
    is_active: bool


class TaskGroupState(NamedTuple):
    pk: int
    name: str


class OfficialState(NamedTuple):
    pk: int
    name: str
    email: str
    phone: str
    is_active: bool


class MembershipState(NamedTuple):
    pk: int
    unit: str
    position: str
    task_group: str | None
    start: dt.date


class HeadState(NamedTuple):
    pk: int
    official: str
    start: dt.date
    end: dt.date | None


class ProductState(NamedTuple):
    pk: int
    name: str
    coefficient: Decimal | None
    valid_from: dt.date | None


class DirectiveState(NamedTuple):
    pk: int
    title: str
    issued_by: str
    issued_on: dt.date
    answers: str | None


def chunks(items: list[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def rows_by_code(qs: QuerySet, lookup: str, codes: Collection[str],
                 fields: Iterable[str]) -> Iterator[tuple]:
    """`values_list(*fields)` of the rows of `qs` whose `lookup` is one of `codes`: all rows
    when there are many codes (one scan), in chunks of `CHUNK` codes otherwise."""
    fields = list(fields)
    if len(codes) > LOAD_ALL_ABOVE:
        wanted = set(codes)
        position = fields.index(lookup)
        for row in qs.values_list(*fields).iterator(chunk_size=5000):
            if row[position] in wanted:
                yield row
        return
    for chunk in chunks(sorted(codes)):
        yield from qs.filter(**{f"{lookup}__in": chunk}).values_list(*fields)


@dataclass
class Snapshot:
    """The stored records a document may refer to or change, keyed by code."""

    units: dict[str, UnitState] = field(default_factory=dict)
    task_groups: dict[str, TaskGroupState] = field(default_factory=dict)
    officials: dict[str, OfficialState] = field(default_factory=dict)
    open_memberships: dict[str, list[MembershipState]] = field(default_factory=dict)
    products: dict[str, ProductState] = field(default_factory=dict)
    directives: dict[str, DirectiveState] = field(default_factory=dict)
    calendar: dict[dt.date, str] = field(default_factory=dict)

    @classmethod
    def load(cls, *, official_codes: Collection[str] = (), days: Collection[dt.date] = (),
             load_products: bool = True, load_directives: bool = True) -> Snapshot:
        """Read every unit, task group, product and directive (catalogues: small, and the
        whole unit tree is needed to find cycles), and the officials named in `official_codes`
        with their open memberships, and the calendar overrides of `days`."""
        snap = cls()
        pk_to_code: dict[int, str] = {}
        raw = list(Unit.objects.values_list("pk", "code", "name", "kind", "parent_id",
                                            "is_active"))
        for pk, code, *_rest in raw:
            pk_to_code[pk] = code
        for pk, code, name, kind, parent_id, is_active in raw:
            snap.units[code] = UnitState(pk, name, kind, pk_to_code.get(parent_id), is_active)
        for pk, code, name in TaskGroup.objects.values_list("pk", "code", "name"):
            snap.task_groups[code] = TaskGroupState(pk, name)
        if official_codes:
            for pk, code, name, email, phone, is_active in rows_by_code(
                Official.objects.all(), "code", official_codes,
                ("pk", "code", "name", "email", "phone", "is_active"),
            ):
                snap.officials[code] = OfficialState(pk, name, email, phone, is_active)
            for pk, official, unit, position, group, start in rows_by_code(
                Membership.objects.filter(end__isnull=True), "official__code", official_codes,
                ("pk", "official__code", "unit__code", "position", "task_group__code",
                 "start"),
            ):
                snap.open_memberships.setdefault(official, []).append(
                    MembershipState(pk, unit, position, group, start)
                )
            for items in snap.open_memberships.values():
                items.sort(key=lambda m: (m.start, m.pk))
        if load_products:
            current: dict[int, tuple[dt.date, Decimal]] = {}
            for product_id, valid_from, coefficient in ProductCoefficient.objects.values_list(
                "product_id", "valid_from", "coefficient"
            ):
                if product_id not in current or valid_from > current[product_id][0]:
                    current[product_id] = (valid_from, coefficient)
            for pk, code, name in Product.objects.values_list("pk", "code", "name"):
                if pk in current:
                    valid_from, coefficient = current[pk]
                    snap.products[code] = ProductState(pk, name, coefficient, valid_from)
                else:
                    snap.products[code] = ProductState(pk, name, None, None)
        if load_directives:
            for pk, code, title, issued_by, issued_on, answers in Directive.objects.values_list(
                "pk", "code", "title", "issued_by__code", "issued_on", "answers__code"
            ):
                snap.directives[code] = DirectiveState(pk, title, issued_by, issued_on, answers)
        if days:
            for chunk in chunks(sorted(days)):
                for day, kind in CalendarOverride.objects.filter(day__in=chunk).values_list(
                    "day", "kind"
                ):
                    snap.calendar[day] = kind
        return snap

    def heads_in(self, unit_codes: Collection[str]) -> dict[str, list[HeadState]]:
        """Every head membership (past, current, future) of the units in `unit_codes`."""
        heads: dict[str, list[HeadState]] = {}
        for pk, unit, official, start, end in rows_by_code(
            Membership.objects.filter(position="head"), "unit__code", unit_codes,
            ("pk", "unit__code", "official__code", "start", "end"),
        ):
            heads.setdefault(unit, []).append(HeadState(pk, official, start, end))
        return heads
