"""Export the organisation as an exchange document.

The order is fixed so the same database always gives the same document, and
export → import into an empty database → export gives it again: units in tree order
(parents before children, siblings by code), everything else by code.
"""

from __future__ import annotations

from typing import Any

from thuocdo.core.models import CalendarOverride
from thuocdo.org.choices import Position
from thuocdo.org.models import Membership, Official, TaskGroup, Unit
from thuocdo.tasks.models import Directive, Product, ProductCoefficient
from thuocdo.tasks.services import ALWAYS

from .spec import FORMAT

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
    }


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
