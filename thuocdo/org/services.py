"""Writes to the organisation: units, task groups, officials, memberships.

Every function is keyword-only, atomic, validates before writing, records the change in the
audit trail, and returns the object. Nothing else in the project saves these models.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from thuocdo.core.errors import ServiceError
from thuocdo.core.services import audit_record
from thuocdo.core.text import fold

from .choices import Position, UnitKind
from .models import Membership, Official, TaskGroup, Unit

# -- units -----------------------------------------------------------------------------


def _check_kind(kind: str) -> None:
    if kind not in UnitKind.values:
        raise ServiceError(
            _("Unknown unit kind “%(kind)s”.") % {"kind": kind}, code="unit_kind", field="kind"
        )


@transaction.atomic
def unit_create(
    *,
    actor: Any = None,
    code: str,
    name: str,
    kind: str,
    parent: Unit | None = None,
    rebuild: bool = True,
) -> Unit:
    """Create a unit under `parent` (None: a root). `rebuild=False` lets a bulk caller
    renumber the tree once at the end with `unit_tree_rebuild()`."""
    code = code.strip()
    if not code:
        raise ServiceError(_("A unit needs a code."), code="unit_code", field="code")
    if Unit.objects.filter(code=code).exists():
        raise ServiceError(
            _("Unit code “%(code)s” is already used.") % {"code": code},
            code="unit_code_taken", field="code",
        )
    _check_kind(kind)
    unit = Unit.objects.create(
        code=code, name=name.strip(), name_folded=fold(name), kind=kind, parent=parent
    )
    audit_record(
        actor=actor, action="unit.create", object_type="org.unit", object_code=code,
        changes={"name": unit.name, "kind": kind, "parent": parent.code if parent else None},
    )
    if rebuild:
        unit_tree_rebuild()
        unit.refresh_from_db()
    return unit


def _would_cycle(unit: Unit, new_parent: Unit | None) -> bool:
    """True if making `new_parent` the parent of `unit` would put `unit` under itself."""
    seen: set[int] = set()
    node = new_parent
    while node is not None:
        if node.pk == unit.pk:
            return True
        if node.pk in seen:  # an existing cycle: refuse rather than loop
            return True
        seen.add(node.pk)
        node = node.parent
    return False


@transaction.atomic
def unit_update(
    *,
    actor: Any = None,
    unit: Unit,
    name: str | None = None,
    kind: str | None = None,
    parent: Unit | None | object = ...,
    is_active: bool | None = None,
    reason: str = "",
    rebuild: bool = True,
) -> Unit:
    """Change a unit's name, kind, activity or parent (a move). Refuses a cycle."""
    changes: dict[str, Any] = {}
    if name is not None and name.strip() != unit.name:
        changes["name"] = [unit.name, name.strip()]
        unit.name = name.strip()
        unit.name_folded = fold(unit.name)
    if kind is not None and kind != unit.kind:
        _check_kind(kind)
        changes["kind"] = [unit.kind, kind]
        unit.kind = kind
    if is_active is not None and is_active != unit.is_active:
        changes["is_active"] = [unit.is_active, is_active]
        unit.is_active = is_active
    moved = False
    if parent is not ... and (parent.pk if parent else None) != unit.parent_id:  # type: ignore[union-attr]
        if _would_cycle(unit, parent):  # type: ignore[arg-type]
            raise ServiceError(
                _("Unit “%(code)s” cannot be placed under its own subtree.") % {"code": unit.code},
                code="unit_cycle", field="parent",
            )
        changes["parent"] = [unit.parent.code if unit.parent else None,
                             parent.code if parent else None]  # type: ignore[union-attr]
        unit.parent = parent  # type: ignore[assignment]
        moved = True
    if not changes:
        return unit
    unit.save()
    audit_record(
        actor=actor, action="unit.update", object_type="org.unit", object_code=unit.code,
        changes=changes, reason=reason,
    )
    if moved and rebuild:
        unit_tree_rebuild()
        unit.refresh_from_db()
    return unit


@transaction.atomic
def unit_tree_rebuild() -> int:
    """Renumber the nested sets (lft, rgt, depth, root) of the whole forest from `parent`.

    Reads every unit once, walks the tree in memory (iteratively: no recursion limit), and
    writes back only the rows whose numbers changed. Returns how many rows changed.
    Children are ordered by code so the numbering is deterministic.
    """
    rows = list(Unit.objects.values_list("pk", "parent_id", "code", "lft", "rgt", "depth",
                                         "root_id"))
    children: dict[int | None, list[tuple[str, int]]] = {}
    for pk, parent_id, code, *_rest in rows:
        children.setdefault(parent_id, []).append((code, pk))
    for items in children.values():
        items.sort()
    numbers: dict[int, tuple[int, int, int, int]] = {}
    counter = 0
    for _code, root_pk in children.get(None, []):
        # stack of (pk, depth, entered?)
        stack: list[tuple[int, int, bool]] = [(root_pk, 0, False)]
        lft_of: dict[int, int] = {}
        while stack:
            pk, depth, entered = stack.pop()
            counter += 1
            if not entered:
                lft_of[pk] = counter
                stack.append((pk, depth, True))
                for _c, child in reversed(children.get(pk, [])):
                    stack.append((child, depth + 1, False))
            else:
                numbers[pk] = (lft_of[pk], counter, depth, root_pk)
    if len(numbers) != len(rows):
        # Only reachable if the stored parents already hold a cycle.
        raise ServiceError(_("The unit tree contains a cycle."), code="unit_cycle")
    changed = []
    for pk, _parent, _code, lft, rgt, depth, root_id in rows:
        new = numbers[pk]
        if (lft, rgt, depth, root_id) != new:
            unit = Unit(pk=pk)
            unit.lft, unit.rgt, unit.depth, unit.root_id = new
            changed.append(unit)
    Unit.objects.bulk_update(changed, ["lft", "rgt", "depth", "root"], batch_size=1000)
    return len(changed)


# -- task groups -----------------------------------------------------------------------


@transaction.atomic
def task_group_create(*, actor: Any = None, code: str, name: str) -> TaskGroup:
    code = code.strip()
    if not code:
        raise ServiceError(_("A task group needs a code."), code="task_group_code", field="code")
    if TaskGroup.objects.filter(code=code).exists():
        raise ServiceError(
            _("Task group code “%(code)s” is already used.") % {"code": code},
            code="task_group_code_taken", field="code",
        )
    group = TaskGroup.objects.create(code=code, name=name.strip())
    audit_record(actor=actor, action="task_group.create", object_type="org.task_group",
                 object_code=code, changes={"name": group.name})
    return group


@transaction.atomic
def task_group_update(*, actor: Any = None, group: TaskGroup, name: str) -> TaskGroup:
    if name.strip() == group.name:
        return group
    changes = {"name": [group.name, name.strip()]}
    group.name = name.strip()
    group.save()
    audit_record(actor=actor, action="task_group.update", object_type="org.task_group",
                 object_code=group.code, changes=changes)
    return group


# -- officials -------------------------------------------------------------------------


@transaction.atomic
def official_create(
    *, actor: Any = None, code: str, name: str, email: str = "", phone: str = ""
) -> Official:
    code = code.strip()
    if not code:
        raise ServiceError(_("An official needs a code."), code="official_code", field="code")
    if not name.strip():
        raise ServiceError(_("An official needs a name."), code="official_name", field="name")
    if Official.objects.filter(code=code).exists():
        raise ServiceError(
            _("Official code “%(code)s” is already used.") % {"code": code},
            code="official_code_taken", field="code",
        )
    official = Official.objects.create(
        code=code, name=name.strip(), name_folded=fold(name), email=email.strip(),
        phone=phone.strip(),
    )
    audit_record(actor=actor, action="official.create", object_type="org.official",
                 object_code=code, changes={"name": official.name})
    return official


@transaction.atomic
def official_update(
    *,
    actor: Any = None,
    official: Official,
    name: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    is_active: bool | None = None,
    reason: str = "",
) -> Official:
    changes: dict[str, Any] = {}
    for attr, value in (("name", name), ("email", email), ("phone", phone)):
        if value is not None and value.strip() != getattr(official, attr):
            changes[attr] = [getattr(official, attr), value.strip()]
            setattr(official, attr, value.strip())
    if is_active is not None and is_active != official.is_active:
        changes["is_active"] = [official.is_active, is_active]
        official.is_active = is_active
    if not changes:
        return official
    if "name" in changes:
        if not official.name:
            raise ServiceError(_("An official needs a name."), code="official_name", field="name")
        official.name_folded = fold(official.name)
    official.save()
    audit_record(actor=actor, action="official.update", object_type="org.official",
                 object_code=official.code, changes=changes, reason=reason)
    return official


# -- memberships -----------------------------------------------------------------------


def _overlaps(start: dt.date, end: dt.date | None) -> Q:
    """Memberships whose [start, end] interval meets [start, end] (None = open)."""
    q = Q(end__isnull=True) | Q(end__gte=start)
    if end is not None:
        q &= Q(start__lte=end)
    return q


def _check_one_head(
    *, unit: Unit, start: dt.date, end: dt.date | None, exclude_pk: int | None = None
) -> None:
    clash = Membership.objects.filter(_overlaps(start, end), unit=unit, position=Position.HEAD)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    other = clash.select_related("official").first()
    if other is not None:
        raise ServiceError(
            _("Unit “%(unit)s” already has a head in that period: %(name)s (%(code)s).")
            % {"unit": unit.code, "name": other.official.name, "code": other.official.code},
            code="one_head_per_unit", field="position",
        )


@transaction.atomic
def membership_start(
    *,
    actor: Any = None,
    official: Official,
    unit: Unit,
    position: str,
    task_group: TaskGroup | None = None,
    start: dt.date,
    end: dt.date | None = None,
) -> Membership:
    """Record that `official` holds `position` in `unit` from `start` (to `end`, inclusive)."""
    if position not in Position.values:
        raise ServiceError(
            _("Unknown position “%(position)s”.") % {"position": position},
            code="position", field="position",
        )
    if end is not None and end < start:
        raise ServiceError(_("A membership cannot end before it starts."),
                           code="membership_dates", field="end")
    if position == Position.HEAD:
        _check_one_head(unit=unit, start=start, end=end)
    membership = Membership.objects.create(
        official=official, unit=unit, position=position, task_group=task_group,
        start=start, end=end,
    )
    audit_record(
        actor=actor, action="membership.start", object_type="org.official",
        object_code=official.code,
        changes={"unit": unit.code, "position": position,
                 "task_group": task_group.code if task_group else None,
                 "start": start.isoformat(), "end": end.isoformat() if end else None},
    )
    return membership


@transaction.atomic
def membership_end(
    *, actor: Any = None, membership: Membership, end: dt.date, reason: str = ""
) -> Membership:
    """End a membership on `end` (its last day)."""
    if end < membership.start:
        raise ServiceError(_("A membership cannot end before it starts."),
                           code="membership_dates", field="end")
    old = membership.end
    membership.end = end
    membership.save(update_fields=["end"])
    audit_record(
        actor=actor, action="membership.end", object_type="org.official",
        object_code=membership.official.code,
        changes={"unit": membership.unit.code, "end": [old.isoformat() if old else None,
                                                       end.isoformat()]},
        reason=reason,
    )
    return membership


@transaction.atomic
def official_place(
    *,
    actor: Any = None,
    official: Official,
    unit: Unit,
    position: str,
    task_group: TaskGroup | None = None,
    on: dt.date | None = None,
    reason: str = "",
) -> Membership:
    """Make `official` hold `position` in `unit` from `on`, ending their current memberships.

    If they already hold exactly that place, nothing changes (so re-importing is a no-op).
    A membership that started the same day is replaced rather than ended before it began.
    """
    on = on or timezone.localdate()
    current = list(
        Membership.objects.filter(official=official, start__lte=on)
        .filter(Q(end__isnull=True) | Q(end__gte=on))
        .select_related("unit", "official")
    )
    for membership in current:
        if (membership.unit_id, membership.position, membership.task_group_id) == (
            unit.pk, position, task_group.pk if task_group else None
        ) and membership.end is None:
            return membership
    earlier = [m for m in current if m.start < on]
    same_day = [m for m in current if m.start == on]
    for membership in earlier:
        membership_end(actor=actor, membership=membership, end=on - dt.timedelta(days=1),
                       reason=reason)
    if same_day:
        # A correction on the day the earlier record started: amend it, do not end it
        # before it began. Any further same-day records end that day.
        membership, *others = same_day
        for other in others:
            membership_end(actor=actor, membership=other, end=on, reason=reason)
        return membership_amend(actor=actor, membership=membership, unit=unit,
                                position=position, task_group=task_group, reason=reason)
    return membership_start(actor=actor, official=official, unit=unit, position=position,
                            task_group=task_group, start=on)


@transaction.atomic
def membership_amend(
    *,
    actor: Any = None,
    membership: Membership,
    unit: Unit,
    position: str,
    task_group: TaskGroup | None,
    reason: str = "",
) -> Membership:
    """Correct a membership's unit, position or task group (a data-entry fix, audited)."""
    if position not in Position.values:
        raise ServiceError(
            _("Unknown position “%(position)s”.") % {"position": position},
            code="position", field="position",
        )
    if position == Position.HEAD:
        _check_one_head(unit=unit, start=membership.start, end=membership.end,
                        exclude_pk=membership.pk)
    changes = {
        "unit": [membership.unit.code, unit.code],
        "position": [membership.position, position],
        "task_group": [membership.task_group.code if membership.task_group else None,
                       task_group.code if task_group else None],
    }
    membership.unit, membership.position, membership.task_group = unit, position, task_group
    membership.save(update_fields=["unit", "position", "task_group"])
    audit_record(actor=actor, action="membership.amend", object_type="org.official",
                 object_code=membership.official.code, changes=changes, reason=reason)
    return membership


def officials_deactivate(*, actor: Any = None, officials: Iterable[Official], reason: str) -> int:
    """Mark officials inactive (they left the service); their history stays."""
    count = 0
    for official in officials:
        if official.is_active:
            official_update(actor=actor, official=official, is_active=False, reason=reason)
            count += 1
    return count
