"""Writes to the organisation: units, task groups, officials, memberships.

Every function is keyword-only, atomic, validates before writing, records the change in the
audit trail, and returns the object. Nothing else in the project saves these models.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from thuocdo.core.errors import ServiceError
from thuocdo.core.services import UNSET, Unset, audit_record
from thuocdo.core.text import fold

from .choices import PARENT_KINDS, Position, UnitKind
from .models import Membership, Official, TaskGroup, Unit

# -- units -----------------------------------------------------------------------------


def _check_kind(kind: str) -> None:
    if kind not in UnitKind.values:
        raise ServiceError(
            _("Unknown unit kind “%(kind)s”.") % {"kind": kind}, code="unit_kind", field="kind"
        )


#: A unit's code: letters without accents, digits and . - _ / (no spaces), starting with a
#: letter or a digit: "HN.CG", "HN.Q01.PH02", "000.00.31.H26" (docs/org.md).
UNIT_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]*")


def unit_code_refusal(code: str) -> ServiceError | None:
    """Why `code` cannot be a new unit's code (`UNIT_CODE`), or None. Imports ask it too
    (thuocdo.exchange.validation), so a file is refused on the record's path."""
    if UNIT_CODE.fullmatch(code):
        return None
    return ServiceError(
        _("Unit code “%(code)s” may hold only letters without accents, digits and the signs "
          ". - _ / (no spaces), starting with a letter or a digit.") % {"code": code},
        code="unit_code_characters", field="code")


def _kind_label(kind: str | None) -> str:
    return f"“{UnitKind(kind).label}”" if kind in UnitKind.values else f"“{kind}”"


def _one_of(kinds: Iterable[str]) -> str:
    """The kinds' labels, in the order of `UnitKind`: "“City”, “Province” or “District”"."""
    wanted = set(kinds)
    labels = [_kind_label(k) for k in UnitKind.values if k in wanted]
    if len(labels) < 2:
        return "".join(labels)
    return _("%(first)s or %(last)s") % {"first": ", ".join(labels[:-1]), "last": labels[-1]}


def unit_place_refusal(*, code: str, kind: str, parent: str | None,
                       parent_kind: str | None) -> ServiceError | None:
    """Why a unit `code` of `kind` cannot sit under the unit `parent` of `parent_kind`
    (None, None: at the top of the tree), by `choices.PARENT_KINDS`; None when it can.
    Imports ask it too, for each record as the document leaves it (thuocdo.exchange
    .validation), so a file is refused on the record's path."""
    allowed = PARENT_KINDS.get(kind)
    if allowed is None or (None if parent is None else parent_kind) in allowed:
        return None
    values = {"code": code, "kind": _kind_label(kind), "parent": parent,
              "parent_kind": _kind_label(parent_kind),
              "allowed": _one_of(k for k in allowed if k is not None)}
    if parent is None and kind == UnitKind.DIVISION:
        message = _("“%(code)s” is of kind %(kind)s: a division belongs to an agency, so it "
                    "must be placed under a unit of kind %(allowed)s.") % values
    elif parent is None:
        message = _("“%(code)s” is of kind %(kind)s: it must be placed under a unit of kind "
                    "%(allowed)s.") % values
    elif None in allowed and len(allowed) == 1:
        message = _("“%(code)s” is of kind %(kind)s: it stands at the top of the tree, under "
                    "no other unit (not under “%(parent)s”).") % values
    else:
        message = _("“%(code)s” is of kind %(kind)s: it cannot be placed under “%(parent)s”, "
                    "of kind %(parent_kind)s; its parent must be of kind %(allowed)s.") % values
    return ServiceError(message, code="unit_parent_kind", field="parent")


def _check_children(unit: Unit, kind: str) -> None:
    """Refuse giving `unit` the kind `kind` when one of its children may not sit under it."""
    for child_code, child_kind in unit.children.order_by("code").values_list("code", "kind"):
        refused = unit_place_refusal(code=child_code, kind=child_kind, parent=unit.code,
                                     parent_kind=kind)
        if refused is not None:
            raise ServiceError(refused.service_message, code=refused.service_code,
                               field="kind")


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
    refused = unit_code_refusal(code)
    if refused is not None:
        raise refused
    _check_kind(kind)
    refused = unit_place_refusal(code=code, kind=kind, parent=parent.code if parent else None,
                                 parent_kind=parent.kind if parent else None)
    if refused is not None:
        raise refused
    _check_parent_open(parent)
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


def _check_parent_open(parent: Unit | None) -> None:
    """No unit is placed under a closed one."""
    if parent is not None and not parent.is_active:
        raise ServiceError(
            _("Unit “%(unit)s” is closed: no unit is placed under it.") % {"unit": parent.code},
            code="unit_closed", field="parent")


def _check_may_close(unit: Unit) -> None:
    """A unit closes once nothing is left in it: no open unit under it (close or move them
    first) and nobody holding a position in it today (end their memberships first, or move
    them), so that no list, scope or quota keeps counting people in a closed unit."""
    child = unit.children.filter(is_active=True).order_by("code").first()
    if child is not None:
        raise ServiceError(
            _("Unit “%(unit)s” still has an open unit under it, “%(child)s”: close or move it "
              "first.") % {"unit": unit.code, "child": child.code},
            code="unit_close_children", field="is_active")
    today = timezone.localdate()
    # still there after today, or arriving later (a last day of today does not hold it)
    members = Membership.objects.filter(Q(end__isnull=True) | Q(end__gt=today),
                                        unit=unit).count()
    if members:
        raise ServiceError(
            ngettext("%(count)s person still holds a position in “%(unit)s” today: end or move "
                     "the membership first.",
                     "%(count)s people still hold a position in “%(unit)s” today: end or move "
                     "their memberships first.", members)
            % {"count": members, "unit": unit.code},
            code="unit_close_members", field="is_active")


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
    parent: Unit | Unset | None = UNSET,
    is_active: bool | None = None,
    reason: str = "",
    rebuild: bool = True,
) -> Unit:
    """Change a unit's name, kind, activity or parent (a move). Refuses a cycle, and a kind
    or a parent that leaves the unit or one of its children where its kind may not be
    (`unit_place_refusal`)."""
    changes: dict[str, Any] = {}
    new_kind = kind if kind is not None else unit.kind
    new_parent = unit.parent if isinstance(parent, Unset) else parent
    moving = (new_parent.pk if new_parent else None) != unit.parent_id
    if moving and _would_cycle(unit, new_parent):
        raise ServiceError(
            _("Unit “%(code)s” cannot be placed under its own subtree.") % {"code": unit.code},
            code="unit_cycle", field="parent",
        )
    if new_kind != unit.kind or moving:
        _check_kind(new_kind)
        refused = unit_place_refusal(
            code=unit.code, kind=new_kind, parent=new_parent.code if new_parent else None,
            parent_kind=new_parent.kind if new_parent else None)
        if refused is not None:
            # on the kind when only the kind changes, else on the parent
            raise refused if moving else ServiceError(
                refused.service_message, code=refused.service_code, field="kind")
    if new_kind != unit.kind:
        _check_children(unit, new_kind)
    if moving:
        _check_parent_open(new_parent)
    if is_active is False and unit.is_active:
        _check_may_close(unit)
    if is_active and not unit.is_active and not moving:
        _check_parent_open(unit.parent)  # reopened, under an open unit
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
    if moving:
        changes["parent"] = [unit.parent.code if unit.parent else None,
                             new_parent.code if new_parent else None]
        unit.parent = new_parent
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
    other = Official.objects.filter(code__iexact=code).first()
    if other is not None:
        # people log in with their code in any case: two codes that differ only by case
        # would be one login for two people
        raise ServiceError(
            _("Official code “%(code)s” differs only by upper and lower case from "
              "“%(other)s”, already used.") % {"code": code, "other": other.code},
            code="official_code_taken", field="code")
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
    if changes.get("is_active") == [True, False]:
        _close_accounts(actor=actor, official_ids=[official.pk], reason=reason)
    return official


def _close_accounts(*, actor: Any, official_ids: Iterable[int], reason: str = "") -> int:
    """Officials who left the service log in no more: their accounts are deactivated
    (sessions and API tokens end with them: Django and the API refuse an inactive user),
    each change audited. Taken back into service, an official's account is opened again by
    the administrator, on purpose (`accounts.services.user_update`)."""
    from django.contrib.auth import get_user_model

    users = list(get_user_model().objects.filter(official_id__in=list(official_ids),
                                                 is_active=True))
    for user in users:
        user.is_active = False
        user.save(update_fields=["is_active"])
        audit_record(actor=actor, action="user.update", object_type="accounts.user",
                     object_code=user.email, changes={"is_active": [True, False]},
                     reason=reason or _("The official left the service."))
    return len(users)


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


def _check_not_held(*, official: Official, unit: Unit, position: str, start: dt.date,
                    end: dt.date | None, exclude_pk: int | None = None) -> None:
    """The same place is not held twice at once: a second record of it would count the
    official twice in the unit's lists (end the first, or correct it, instead)."""
    held = (Membership.objects.filter(_overlaps(start, end), official=official, unit=unit,
                                      position=position).exclude(pk=exclude_pk or 0)
            .order_by("start").first())
    if held is not None:
        raise ServiceError(
            _("%(name)s already holds this position in “%(unit)s” in that period (from "
              "%(start)s): end or correct that membership instead.")
            % {"name": official.name, "unit": unit.code,
               "start": held.start.strftime("%d/%m/%Y")},
            code="membership_held", field="position")


def _check_unit_open_for(*, unit: Unit, end: dt.date | None) -> None:
    """Nobody holds a position in a closed unit from today on; the past of a unit closed
    since (who worked there, who headed it) may still be recorded or corrected."""
    if not unit.is_active and (end is None or end >= timezone.localdate()):
        raise ServiceError(
            _("Unit “%(unit)s” is closed: nobody starts a membership in it.")
            % {"unit": unit.code}, code="unit_closed", field="unit")


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
    reason: str = "",
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
    _check_not_held(official=official, unit=unit, position=position, start=start, end=end)
    _check_unit_open_for(unit=unit, end=end)
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
        reason=reason,
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
    if membership.position == Position.HEAD:
        # ended later than it was, a head's term may now meet the next head's
        _check_one_head(unit=membership.unit, start=membership.start, end=end,
                        exclude_pk=membership.pk)
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
    later = (Membership.objects.filter(official=official, start__gt=on)
             .filter(Q(end__isnull=True) | Q(end__gte=on)).order_by("-start").first())
    if later is not None:
        # ending it the day before `on` would end it before it began: two places at once
        raise ServiceError(
            _("%(name)s holds a place from %(start)s, after %(day)s: a move starts on or "
              "after the current place's first day.")
            % {"name": official.name, "start": later.start.strftime("%d/%m/%Y"),
               "day": on.strftime("%d/%m/%Y")},
            code="membership_dates", field="on")
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
                            task_group=task_group, start=on, reason=reason)


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
    if (unit.pk, position) != (membership.unit_id, membership.position):
        _check_not_held(official=membership.official, unit=unit, position=position,
                        start=membership.start, end=membership.end,
                        exclude_pk=membership.pk)
    if unit.pk != membership.unit_id:
        _check_unit_open_for(unit=unit, end=membership.end)
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


# -- bulk writes (imports) -------------------------------------------------------------
#
# The services above write and audit one row at a time; importing a city of a hundred
# thousand officials that way takes many minutes. These variants take rows that refer to
# each other by code, check the same rules set-wise before writing, write in batches, and
# record one audit entry per call, or none when the caller (the exchange import) records one
# entry for its whole run (`audit=False`).

BULK_BATCH = 500
_CODE_CHUNK = 900  # below SQLite's 999 bound parameters


class UnitRow(NamedTuple):
    """A unit for the bulk services; `parent` is a code (None: a root)."""

    code: str
    name: str
    kind: str
    parent: str | None = None
    is_active: bool = True


class TaskGroupRow(NamedTuple):
    code: str
    name: str


class OfficialRow(NamedTuple):
    code: str
    name: str
    email: str = ""
    phone: str = ""
    is_active: bool = True


class PlaceRow(NamedTuple):
    """Where an official works from `start` (None: today). `unit` None: they leave."""

    official: str
    unit: str | None
    position: str = Position.STAFF
    task_group: str | None = None
    start: dt.date | None = None


def _pks_by_code(model: Any, codes: Iterable[str]) -> dict[str, int]:
    wanted = sorted(set(codes))
    found: dict[str, int] = {}
    for i in range(0, len(wanted), _CODE_CHUNK):
        found.update(model.objects.filter(code__in=wanted[i:i + _CODE_CHUNK])
                     .values_list("code", "pk"))
    return found


def _objects_by_code(model: Any, codes: Iterable[str]) -> dict[str, Any]:
    wanted = sorted(set(codes))
    found: dict[str, Any] = {}
    for i in range(0, len(wanted), _CODE_CHUNK):
        for obj in model.objects.filter(code__in=wanted[i:i + _CODE_CHUNK]):
            found[obj.code] = obj
    return found


def _check_new_codes(model: Any, codes: list[str], *, prefix: str) -> None:
    if any(not code for code in codes):
        raise ServiceError(_("Every record needs a code."),
                           code=f"{prefix}_code", field="code")
    seen: set[str] = set()
    for code in codes:
        if code in seen:
            raise ServiceError(_("Code “%(code)s” is given twice.") % {"code": code},
                               code=f"{prefix}_code_taken", field="code")
        seen.add(code)
    taken = _pks_by_code(model, codes)
    if taken:
        raise ServiceError(_("Code “%(code)s” is already used.") % {"code": min(taken)},
                           code=f"{prefix}_code_taken", field="code")


def _missing(model: Any, codes: Iterable[str], *, code: str, message: str) -> dict[str, int]:
    """Codes to pks; refuse if any code is unknown."""
    wanted = set(codes)
    found = _pks_by_code(model, wanted)
    unknown = wanted - found.keys()
    if unknown:
        raise ServiceError(message % {"code": min(unknown)}, code=code)
    return found


def units_check_places(*, placed: Iterable[str], retyped: Iterable[str] = ()) -> None:
    """Refuse when a unit of `placed` (created, moved or given another kind) sits under a
    parent its kind may not be under, or a child of a unit of `retyped` (given another
    kind) sits under it so, as the units are stored now (`unit_place_refusal`; the first
    by code). The bulk services call it after writing; a caller that passes them
    `check_places=False` (an import, which creates and updates units in two calls, each
    valid only with the other) calls it once after both."""
    fields = ("code", "kind", "parent__code", "parent__kind")
    wanted = sorted(set(placed))
    for i in range(0, len(wanted), _CODE_CHUNK):
        for code, kind, parent, parent_kind in Unit.objects.filter(
                code__in=wanted[i:i + _CODE_CHUNK]).order_by("code").values_list(*fields):
            refused = unit_place_refusal(code=code, kind=kind, parent=parent,
                                         parent_kind=parent_kind)
            if refused is not None:
                raise refused
    wanted = sorted(set(retyped))
    for i in range(0, len(wanted), _CODE_CHUNK):
        for code, kind, parent, parent_kind in Unit.objects.filter(
                parent__code__in=wanted[i:i + _CODE_CHUNK]).order_by("parent__code", "code"
                                                                    ).values_list(*fields):
            refused = unit_place_refusal(code=code, kind=kind, parent=parent,
                                         parent_kind=parent_kind)
            if refused is not None:
                raise ServiceError(refused.service_message, code=refused.service_code,
                                   field="kind")


@transaction.atomic
def units_bulk_create(
    *, actor: Any = None, rows: Sequence[UnitRow], audit: bool = True, rebuild: bool = True,
    check_places: bool = True,
) -> int:
    """Create many units. A parent may be stored already or be another row: rows are written
    level by level so that every parent exists before its children. Each code is checked
    (`unit_code_refusal`) and, unless `check_places=False` (then the caller calls
    `units_check_places`), each unit's place (`unit_place_refusal`). `rebuild=False`
    leaves the renumbering of the tree to the caller (`unit_tree_rebuild()`)."""
    if not rows:
        return 0
    rows = [r._replace(code=r.code.strip(), name=r.name.strip()) for r in rows]
    codes = [r.code for r in rows]
    _check_new_codes(Unit, codes, prefix="unit")
    for row in rows:
        refused = unit_code_refusal(row.code)
        if refused is not None:
            raise refused
        _check_kind(row.kind)
        if not row.name:
            raise ServiceError(_("A unit needs a name."), code="unit_name", field="name")
    new = set(codes)
    pks = _missing(Unit, {r.parent for r in rows if r.parent and r.parent not in new},
                   code="unit_parent", message=_("Unknown parent unit “%(code)s”."))
    pending = rows
    while pending:
        ready = [r for r in pending if r.parent is None or r.parent in pks]
        if not ready:
            raise ServiceError(_("The new units' parents form a cycle."), code="unit_cycle")
        created = Unit.objects.bulk_create(
            [Unit(code=r.code, name=r.name, name_folded=fold(r.name), kind=r.kind,
                  parent_id=pks.get(r.parent) if r.parent else None, is_active=r.is_active)
             for r in ready],
            batch_size=BULK_BATCH,
        )
        pks.update((unit.code, unit.pk) for unit in created)
        pending = [r for r in pending if r.code not in pks]
    if check_places:
        units_check_places(placed=codes)
    if audit:
        audit_record(actor=actor, action="unit.bulk_create", object_type="org.unit",
                     changes={"count": len(rows)})
    if rebuild:
        unit_tree_rebuild()
    return len(rows)


@transaction.atomic
def units_bulk_update(
    *, actor: Any = None, rows: Sequence[UnitRow], audit: bool = True, rebuild: bool = True,
    check_places: bool = True,
) -> int:
    """Set the name, kind, parent and activity of stored units (matched by code) to the
    rows' values; returns how many changed. A move that makes a cycle is refused when the
    tree is renumbered (here, or by the caller's `unit_tree_rebuild()` if `rebuild=False`);
    a unit moved or given another kind, or a child of one given another kind, where its
    kind may not be, once all rows are written (`units_check_places`, unless
    `check_places=False`: then the caller calls it)."""
    if not rows:
        return 0
    units = _objects_by_code(Unit, [r.code for r in rows])
    unknown = {r.code for r in rows} - units.keys()
    if unknown:
        raise ServiceError(_("Unknown unit “%(code)s”.") % {"code": min(unknown)},
                           code="unit_unknown")
    pks = _missing(Unit, {r.parent for r in rows if r.parent}, code="unit_parent",
                   message=_("Unknown parent unit “%(code)s”."))
    changed = []
    moved = False
    placed: list[str] = []
    retyped: list[str] = []
    for row in rows:
        _check_kind(row.kind)
        unit = units[row.code]
        name = row.name.strip()
        if not name:
            raise ServiceError(_("A unit needs a name."), code="unit_name", field="name")
        parent_id = pks[row.parent] if row.parent else None
        if (unit.name, unit.kind, unit.parent_id, unit.is_active) == (
            name, row.kind, parent_id, row.is_active
        ):
            continue
        moved = moved or parent_id != unit.parent_id
        if (unit.kind, unit.parent_id) != (row.kind, parent_id):
            placed.append(unit.code)
        if unit.kind != row.kind:
            retyped.append(unit.code)
        unit.name, unit.name_folded, unit.kind = name, fold(name), row.kind
        unit.parent_id, unit.is_active = parent_id, row.is_active
        changed.append(unit)
    Unit.objects.bulk_update(changed, ["name", "name_folded", "kind", "parent", "is_active"],
                             batch_size=BULK_BATCH)
    if rebuild and moved:
        unit_tree_rebuild()  # refuses a cycle first: the clearer refusal of a loop
    if check_places:
        units_check_places(placed=placed, retyped=retyped)
    if audit and changed:
        audit_record(actor=actor, action="unit.bulk_update", object_type="org.unit",
                     changes={"count": len(changed)})
    return len(changed)


@transaction.atomic
def task_groups_bulk_create(
    *, actor: Any = None, rows: Sequence[TaskGroupRow], audit: bool = True
) -> int:
    """Create many task groups."""
    rows = [r._replace(code=r.code.strip(), name=r.name.strip()) for r in rows]
    _check_new_codes(TaskGroup, [r.code for r in rows], prefix="task_group")
    TaskGroup.objects.bulk_create([TaskGroup(code=r.code, name=r.name) for r in rows],
                                  batch_size=BULK_BATCH)
    if audit and rows:
        audit_record(actor=actor, action="task_group.bulk_create",
                     object_type="org.task_group", changes={"count": len(rows)})
    return len(rows)


@transaction.atomic
def task_groups_bulk_update(
    *, actor: Any = None, rows: Sequence[TaskGroupRow], audit: bool = True
) -> int:
    """Rename stored task groups (matched by code); returns how many changed."""
    groups = _objects_by_code(TaskGroup, [r.code for r in rows])
    changed = []
    for row in rows:
        group = groups.get(row.code)
        if group is None:
            raise ServiceError(_("Unknown task group “%(code)s”.") % {"code": row.code},
                               code="task_group_unknown")
        if group.name != row.name.strip():
            group.name = row.name.strip()
            changed.append(group)
    TaskGroup.objects.bulk_update(changed, ["name"], batch_size=BULK_BATCH)
    if audit and changed:
        audit_record(actor=actor, action="task_group.bulk_update",
                     object_type="org.task_group", changes={"count": len(changed)})
    return len(changed)


def _clean_official(row: OfficialRow) -> OfficialRow:
    row = row._replace(code=row.code.strip(), name=row.name.strip(), email=row.email.strip(),
                       phone=row.phone.strip())
    if not row.name:
        raise ServiceError(_("An official needs a name."), code="official_name", field="name")
    return row


@transaction.atomic
def officials_bulk_create(
    *, actor: Any = None, rows: Sequence[OfficialRow], audit: bool = True
) -> int:
    """Create many officials (without a place: see `officials_bulk_place`)."""
    rows = [_clean_official(r) for r in rows]
    _check_new_codes(Official, [r.code for r in rows], prefix="official")
    Official.objects.bulk_create(
        [Official(code=r.code, name=r.name, name_folded=fold(r.name), email=r.email,
                  phone=r.phone, is_active=r.is_active) for r in rows],
        batch_size=BULK_BATCH,
    )
    if audit and rows:
        audit_record(actor=actor, action="official.bulk_create", object_type="org.official",
                     changes={"count": len(rows)})
    return len(rows)


@transaction.atomic
def officials_bulk_update(
    *, actor: Any = None, rows: Sequence[OfficialRow], audit: bool = True
) -> int:
    """Set name, e-mail, phone and activity of stored officials (matched by code) to the
    rows' values; returns how many changed."""
    rows = [_clean_official(r) for r in rows]
    officials = _objects_by_code(Official, [r.code for r in rows])
    changed = []
    left: list[int] = []  # officials who leave the service with this update
    for row in rows:
        official = officials.get(row.code)
        if official is None:
            raise ServiceError(_("Unknown official “%(code)s”.") % {"code": row.code},
                               code="official_unknown")
        new = (row.name, row.email, row.phone, row.is_active)
        if (official.name, official.email, official.phone, official.is_active) == new:
            continue
        if official.is_active and not row.is_active:
            left.append(official.pk)
        official.name, official.email, official.phone, official.is_active = new
        official.name_folded = fold(row.name)
        changed.append(official)
    Official.objects.bulk_update(changed, ["name", "name_folded", "email", "phone", "is_active"],
                                 batch_size=BULK_BATCH)
    _close_accounts(actor=actor, official_ids=left)
    if audit and changed:
        audit_record(actor=actor, action="official.bulk_update", object_type="org.official",
                     changes={"count": len(changed)})
    return len(changed)


def _heads_overlap(intervals: list[tuple[dt.date, dt.date | None]]) -> bool:
    """True if two of these [start, end] intervals (end None: open) share a day."""
    ordered = sorted(intervals, key=lambda i: i[0])
    for i in range(1, len(ordered)):
        end = ordered[i - 1][1]
        if end is None or end >= ordered[i][0]:
            return True
    return False


@transaction.atomic
def officials_bulk_place(
    *, actor: Any = None, rows: Sequence[PlaceRow], audit: bool = True
) -> int:
    """`official_place` for many officials at once; returns how many changed place.

    For each row: if the official already holds exactly that place (an open membership with
    that unit, position and task group), nothing changes. Otherwise their open memberships
    end the day before `start` and a new one starts on `start`; an open membership that
    started on `start` itself is amended instead (a same-day correction). A row with
    `unit=None` ends the official's open memberships. Refused: a place starting before an
    open membership it would end, and two heads of one unit at any time.
    """
    if not rows:
        return 0
    today = timezone.localdate()
    codes = [r.official for r in rows]
    if len(set(codes)) != len(codes):
        raise ServiceError(_("An official is placed twice in one call."), code="position")
    for row in rows:
        if row.unit is not None and row.position not in Position.values:
            raise ServiceError(_("Unknown position “%(position)s”.") % {"position": row.position},
                               code="position", field="position")
    officials = _missing(Official, codes, code="official_unknown",
                         message=_("Unknown official “%(code)s”."))
    units = _missing(Unit, {r.unit for r in rows if r.unit}, code="unit_unknown",
                     message=_("Unknown unit “%(code)s”."))
    groups = _missing(TaskGroup, {r.task_group for r in rows if r.task_group},
                      code="task_group_unknown", message=_("Unknown task group “%(code)s”."))
    opens: dict[int, list[Membership]] = {}
    official_pks = sorted(officials.values())
    for i in range(0, len(official_pks), _CODE_CHUNK):
        for membership in Membership.objects.filter(
            end__isnull=True, official_id__in=official_pks[i:i + _CODE_CHUNK]
        ).order_by("start", "pk"):
            opens.setdefault(membership.official_id, []).append(membership)
    ends: list[Membership] = []
    amends: list[Membership] = []
    creates: list[Membership] = []
    for row in rows:
        official_id = officials[row.official]
        start = row.start or today
        current = opens.get(official_id, [])
        if row.unit is None:
            for membership in current:
                membership.end = max(start - dt.timedelta(days=1), membership.start)
                ends.append(membership)
            continue
        place = (units[row.unit], row.position,
                 groups[row.task_group] if row.task_group else None)
        if any((m.unit_id, m.position, m.task_group_id) == place for m in current):
            continue
        if any(m.start > start for m in current):
            raise ServiceError(
                _("The new place of “%(code)s” would start before their current one.")
                % {"code": row.official}, code="membership_dates", field="start",
            )
        amended = None
        for membership in current:
            if membership.start == start and amended is None:
                amended = membership
            else:
                membership.end = start - dt.timedelta(days=1) if membership.start < start \
                    else start
                ends.append(membership)
        if amended is not None:
            amended.unit_id, amended.position, amended.task_group_id = place
            amends.append(amended)
        else:
            creates.append(Membership(official_id=official_id, unit_id=place[0],
                                      position=row.position, task_group_id=place[2],
                                      start=start))
    head_units = {m.unit_id for m in amends + creates if m.position == Position.HEAD}
    if head_units:
        touched = {m.pk for m in ends + amends}
        intervals: dict[int, list[tuple[dt.date, dt.date | None]]] = {}
        head_list = sorted(head_units)
        for i in range(0, len(head_list), _CODE_CHUNK):
            for unit_id, start, end in Membership.objects.filter(
                position=Position.HEAD, unit_id__in=head_list[i:i + _CODE_CHUNK]
            ).exclude(pk__in=touched).values_list("unit_id", "start", "end"):
                intervals.setdefault(unit_id, []).append((start, end))
        for membership in ends + amends + creates:
            if membership.position == Position.HEAD and membership.unit_id in head_units:
                intervals.setdefault(membership.unit_id, []).append(
                    (membership.start, membership.end))
        clash = sorted(unit_id for unit_id, items in intervals.items() if _heads_overlap(items))
        if clash:
            code = Unit.objects.get(pk=clash[0]).code
            raise ServiceError(_("Unit “%(unit)s” would have two heads at once.")
                               % {"unit": code}, code="one_head_per_unit", field="position")
    Membership.objects.bulk_update(ends, ["end"], batch_size=BULK_BATCH)
    # Amends that stop being a head go first, so the one-current-head constraint holds
    # after every statement.
    for heads in (False, True):
        Membership.objects.bulk_update(
            [m for m in amends if (m.position == Position.HEAD) is heads],
            ["unit", "position", "task_group"], batch_size=BULK_BATCH,
        )
    Membership.objects.bulk_create(creates, batch_size=BULK_BATCH)
    changed = len({m.official_id for m in ends + amends + creates})
    if audit and changed:
        audit_record(actor=actor, action="membership.bulk_place", object_type="org.official",
                     changes={"officials": changed, "ended": len(ends),
                              "amended": len(amends), "started": len(creates)})
    return changed
