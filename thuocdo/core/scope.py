"""What a user may see and manage: computed here, once per request, used by every selector.

Rules (architecture.md, "Reads go through selectors"):

- administrator (superuser): everything;
- organisation board: read the subtree of each unit granted, and manage its evaluations;
- inspector: read the subtree of each unit granted, never write;
- head / deputy: read and manage the subtree of each unit they currently lead;
- staff: their own work and the lists of the units they belong to.

A scope is a set of nested-set ranges (`Unit.lft`/`Unit.rgt`) plus exact units, so every
check is an indexed integer comparison on both databases.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

Range = tuple[int, int]


@dataclass(frozen=True)
class Scope:
    """The caller's reach. Build it with `scope_for(user)`; never by hand outside tests."""

    user_id: int | None = None
    official_id: int | None = None
    is_admin: bool = False
    roles: frozenset[str] = frozenset()
    #: subtrees the caller may read, by the role that grants them
    read_ranges: tuple[Range, ...] = ()
    #: subtrees the caller leads (head/deputy) and may assign work in
    lead_ranges: tuple[Range, ...] = ()
    #: subtrees where the caller is on the organisation board
    board_ranges: tuple[Range, ...] = ()
    #: units the caller belongs to (staff see these units' lists, not their subtrees)
    member_unit_ids: frozenset[int] = field(default_factory=frozenset)

    # -- predicates --------------------------------------------------------------------
    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None

    @property
    def is_read_only(self) -> bool:
        """Inspectors (and nothing else) only read."""
        return not self.is_admin and self.roles <= {"inspector"}

    def _in_ranges(self, ranges: tuple[Range, ...], unit) -> bool:
        return any(lft <= unit.lft and unit.rgt <= rgt for lft, rgt in ranges)

    def can_read_unit(self, unit) -> bool:
        return (
            self.is_admin
            or self._in_ranges(self.read_ranges, unit)
            or unit.pk in self.member_unit_ids
        )

    def can_lead_unit(self, unit) -> bool:
        return self.is_admin or self._in_ranges(self.lead_ranges, unit)

    def can_board_unit(self, unit) -> bool:
        return self.is_admin or self._in_ranges(self.board_ranges, unit)

    # -- query filters -----------------------------------------------------------------
    def units_q(self, prefix: str = "") -> Q:
        """A filter on `Unit` (or on a relation to it: `prefix="unit__"`) for readable units."""
        if self.is_admin:
            return Q()
        id_field = f"{prefix}pk" if not prefix else f"{prefix}id"
        q = Q(**{f"{id_field}__in": list(self.member_unit_ids)}) if self.member_unit_ids else Q(
            pk__in=[]
        )
        return q | subtrees_q(self.read_ranges, prefix)

    def officials_q(self) -> Q:
        """A filter on `Official`: the caller themself, and anyone who is or was a member of a
        readable unit (so an inspector can still read the history of someone who moved out)."""
        if self.is_admin:
            return Q()
        from thuocdo.org.models import Membership

        in_scope = Membership.objects.filter(official=OuterRef("pk")).filter(
            self.units_q(prefix="unit__")
        )
        q = Q(Exists(in_scope))
        if self.official_id is not None:
            q |= Q(pk=self.official_id)
        return q

    def describe(self) -> list[dict]:
        """The scope as shown on the home page: role and unit codes/names."""
        from thuocdo.org.models import Unit

        rows: list[dict] = []
        for role, ranges in (("lead", self.lead_ranges), ("board", self.board_ranges)):
            for lft, rgt in ranges:
                unit = Unit.objects.filter(lft=lft, rgt=rgt).first()
                if unit:
                    rows.append({"role": role, "unit": unit})
        return rows


ANONYMOUS = Scope()


def subtrees_q(ranges: Iterable[Range], prefix: str = "") -> Q:
    """A filter on `Unit` (or on a relation to it: `prefix="unit__"`) for the units inside
    any of the subtrees `ranges` ((lft, rgt) pairs); nothing for no range."""
    q = Q(pk__in=[])
    for lft, rgt in ranges:
        q |= Q(**{f"{prefix}lft__gte": lft, f"{prefix}rgt__lte": rgt})
    return q


def scope_for(user, *, on: dt.date | None = None) -> Scope:
    """Compute the scope of `user` on day `on` (default today) in two queries."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return ANONYMOUS
    from thuocdo.accounts.models import ScopeGrant
    from thuocdo.org.choices import LEADER_POSITIONS
    from thuocdo.org.models import Membership

    day = on or timezone.localdate()
    current = Q(start__lte=day) & (Q(end__isnull=True) | Q(end__gte=day))
    if user.is_superuser:
        return Scope(
            user_id=user.pk, official_id=user.official_id, is_admin=True,
            roles=frozenset({"admin"}),
        )

    roles: set[str] = set()
    read: list[Range] = []
    lead: list[Range] = []
    board: list[Range] = []
    member_units: set[int] = set()

    if user.official_id is not None:
        rows = Membership.objects.filter(current, official_id=user.official_id).values_list(
            "position", "unit_id", "unit__lft", "unit__rgt"
        )
        for position, unit_id, lft, rgt in rows:
            roles.add(position)
            member_units.add(unit_id)
            if position in LEADER_POSITIONS:
                lead.append((lft, rgt))
                read.append((lft, rgt))

    grants = ScopeGrant.objects.filter(current, user=user).values_list(
        "role", "unit__lft", "unit__rgt"
    )
    for role, lft, rgt in grants:
        roles.add(role)
        read.append((lft, rgt))
        if role == "board":
            board.append((lft, rgt))

    return Scope(
        user_id=user.pk,
        official_id=user.official_id,
        roles=frozenset(roles),
        read_ranges=tuple(sorted(set(read))),
        lead_ranges=tuple(sorted(set(lead))),
        board_ranges=tuple(sorted(set(board))),
        member_unit_ids=frozenset(member_units),
    )


def get_scope(request) -> Scope:
    """The request's scope, computed once and cached on the request."""
    cached = getattr(request, "_thuocdo_scope", None)
    if cached is None:
        cached = scope_for(getattr(request, "user", None))
        request._thuocdo_scope = cached
    return cached
