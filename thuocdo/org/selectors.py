"""Reads of the organisation, already scoped to what the caller may see.

Every public function takes the caller's `scope` (see `thuocdo.core.scope`). Out-of-scope
records are simply absent: a detail lookup raises `Unit.DoesNotExist` /
`Official.DoesNotExist`, which views turn into 404.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone

from thuocdo.core.scope import Scope
from thuocdo.core.text import fold

from .choices import AGENCY_KINDS
from .models import Membership, Official, TaskGroup, Unit


def current_q(on: dt.date | None = None, prefix: str = "") -> Q:
    """Memberships in force on day `on` (default today)."""
    day = on or timezone.localdate()
    return Q(**{f"{prefix}start__lte": day}) & (
        Q(**{f"{prefix}end__isnull": True}) | Q(**{f"{prefix}end__gte": day})
    )


# -- units -----------------------------------------------------------------------------


def unit_list(
    *,
    scope: Scope,
    search: str | None = None,
    kind: str | None = None,
    within: Unit | None = None,
) -> QuerySet[Unit]:
    """Readable units, in tree order; optionally searched (tone-insensitive), by kind, or
    restricted to the subtree of `within`."""
    qs = Unit.objects.filter(scope.units_q()).select_related("parent")
    if search:
        folded = fold(search)
        qs = qs.filter(Q(name_folded__contains=folded) | Q(code__icontains=search.strip()))
    if kind:
        qs = qs.filter(kind=kind)
    if within is not None:
        qs = qs.filter(lft__gte=within.lft, rgt__lte=within.rgt)
    return qs.order_by("lft")


def unit_get(*, scope: Scope, code: str) -> Unit:
    """One readable unit by code (raises Unit.DoesNotExist outside the scope)."""
    return Unit.objects.filter(scope.units_q()).select_related("parent", "root").get(code=code)


def unit_roots(*, scope: Scope) -> QuerySet[Unit]:
    """The top of the tree the caller sees: readable units whose parent is not readable."""
    readable = Unit.objects.filter(scope.units_q())
    return (
        readable.exclude(parent__in=readable)
        .annotate(child_count=Count("children"))
        .order_by("lft")
    )


def unit_children(*, scope: Scope, unit: Unit) -> QuerySet[Unit]:
    """Readable children of `unit`, each with its number of children and current members."""
    return (
        Unit.objects.filter(scope.units_q(), parent=unit)
        .annotate(child_count=Count("children", distinct=True))
        .order_by("code")
    )


def unit_ancestors(*, unit: Unit) -> QuerySet[Unit]:
    """The path from the root down to `unit`'s parent (not scoped: names on a breadcrumb)."""
    return Unit.objects.filter(lft__lt=unit.lft, rgt__gt=unit.rgt).order_by("lft")


def unit_subtree(*, unit: Unit) -> QuerySet[Unit]:
    """`unit` and everything under it (not scoped: for callers that already checked)."""
    return Unit.objects.filter(lft__gte=unit.lft, rgt__lte=unit.rgt)


def unit_agency(*, unit: Unit) -> Unit:
    """The agency (cơ quan) a unit belongs to: the nearest unit, itself included, whose kind
    is city, province, department, district or commune. Divisions belong to their agency.
    A tree with no agency above returns the root."""
    if unit.kind in AGENCY_KINDS:
        return unit
    chain = list(unit_ancestors(unit=unit).order_by("-lft"))
    for ancestor in chain:
        if ancestor.kind in AGENCY_KINDS:
            return ancestor
    return chain[-1] if chain else unit


# -- task groups -----------------------------------------------------------------------


def task_group_list() -> QuerySet[TaskGroup]:
    """Task groups are a catalogue: everyone who can log in may read them."""
    return TaskGroup.objects.order_by("code")


# -- officials -------------------------------------------------------------------------

OFFICIAL_ORDERINGS = {
    "name": ("name_folded", "code"),
    "-name": ("-name_folded", "-code"),
    "code": ("code",),
    "-code": ("-code",),
}


def official_list(
    *,
    scope: Scope,
    search: str | None = None,
    unit: Unit | None = None,
    include_subunits: bool = True,
    position: str | None = None,
    task_group: TaskGroup | None = None,
    active: bool | None = True,
    on: dt.date | None = None,
    ordering: str = "name",
) -> QuerySet[Official]:
    """Readable officials. `search` ignores tones and đ and also matches codes and e-mails.
    `unit`, `position`, `task_group` filter on memberships in force on `on` (default today).
    Each official carries `current_memberships` (prefetched, with unit and task group)."""
    qs = Official.objects.filter(scope.officials_q())
    if search:
        folded = fold(search)
        raw = search.strip()
        qs = qs.filter(
            Q(name_folded__contains=folded) | Q(code__icontains=raw) | Q(email__icontains=raw)
        )
    if active is not None:
        qs = qs.filter(is_active=active)
    membership_filter = current_q(on)
    if unit is not None:
        membership_filter &= (
            Q(unit__lft__gte=unit.lft, unit__rgt__lte=unit.rgt) if include_subunits
            else Q(unit=unit)
        )
    if position:
        membership_filter &= Q(position=position)
    if task_group is not None:
        membership_filter &= Q(task_group=task_group)
    if unit is not None or position or task_group is not None:
        qs = qs.filter(
            Exists(Membership.objects.filter(membership_filter, official=OuterRef("pk")))
        )
    qs = qs.prefetch_related(
        Prefetch(
            "memberships",
            queryset=Membership.objects.filter(current_q(on)).select_related("unit", "task_group"),
            to_attr="current_memberships",
        )
    )
    return qs.order_by(*OFFICIAL_ORDERINGS.get(ordering, OFFICIAL_ORDERINGS["name"]))


def official_get(*, scope: Scope, code: str) -> Official:
    """One readable official by code (raises Official.DoesNotExist outside the scope)."""
    return official_list(scope=scope, active=None).get(code=code)


def official_typed(*, scope: Scope, code: str) -> Official:
    """A readable official by the code a person typed in a filter: the exact code, else
    the one code equal to it in any case ("cb000135" is CB000135, unless two codes differ
    only so). Raises Official.DoesNotExist when none (or no single one) matches."""
    try:
        return official_get(scope=scope, code=code)
    except Official.DoesNotExist:
        pass
    found = list(official_list(scope=scope, active=None).filter(code__iexact=code)[:2])
    if len(found) == 1:
        return found[0]
    raise Official.DoesNotExist(code)


def membership_history(*, official: Official) -> QuerySet[Membership]:
    """Every membership of `official`, newest first (the caller checked the official)."""
    return (
        Membership.objects.filter(official=official)
        .select_related("unit", "task_group")
        .order_by("-start", "-pk")
    )


#: Heads first, then deputies, then staff (the choices' values sort alphabetically otherwise).
POSITION_RANK = Case(
    When(position="head", then=Value(0)),
    When(position="deputy", then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def unit_members(*, unit: Unit, on: dt.date | None = None) -> QuerySet[Membership]:
    """Memberships in force in `unit` itself (not its subunits), heads first."""
    return (
        Membership.objects.filter(current_q(on), unit=unit)
        .select_related("official", "task_group")
        .annotate(rank=POSITION_RANK)
        .order_by("rank", "official__name_folded")
    )


def unit_scope_summary(*, scope: Scope) -> dict[str, list[Unit]]:
    """The units that make up `scope`, by how they are reached, in tree order (one query):
    `read` (subtrees the caller reads), `lead` (subtrees they lead), `board` (subtrees where
    they are on the organisation board), `member` (units they belong to). An administrator
    reads everything; their lists hold only what they lead or belong to."""
    ranges = set(scope.read_ranges) | set(scope.lead_ranges) | set(scope.board_ranges)
    q = Q(pk__in=list(scope.member_unit_ids))
    for lft, rgt in ranges:
        q |= Q(lft=lft, rgt=rgt)
    units = list(Unit.objects.filter(q).order_by("lft")) if ranges or scope.member_unit_ids else []
    by_range = {(unit.lft, unit.rgt): unit for unit in units}
    return {
        "read": [by_range[r] for r in sorted(scope.read_ranges) if r in by_range],
        "lead": [by_range[r] for r in sorted(scope.lead_ranges) if r in by_range],
        "board": [by_range[r] for r in sorted(scope.board_ranges) if r in by_range],
        "member": [unit for unit in units if unit.pk in scope.member_unit_ids],
    }


def unit_node_get(*, scope: Scope, code: str) -> Unit:
    """One readable unit by code with `child_count`, as the tree browser shows a node
    (raises Unit.DoesNotExist outside the scope)."""
    return (
        Unit.objects.filter(scope.units_q())
        .annotate(child_count=Count("children"))
        .get(code=code)
    )
