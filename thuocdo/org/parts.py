"""The organisation cut into parts for the long set-based computations: each top-level
agency with its whole subtree, and each root with its own divisions. Every unit is in
exactly one part, an agency never straddles two, and the parts are read (and may be
computed, `thuocdo.core.parallel`) one at a time, so memory is bounded by the largest part,
not by the city.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db.models import Q

from thuocdo.measure.scenario import AGENCY_KINDS

from .models import Unit

#: a part: nested-set ranges (lft, rgt) of the units in it
Ranges = tuple[tuple[int, int], ...]


def tree_parts(tree: Mapping[int, tuple[int, int, int | None, str]],
               unit_codes: Mapping[int, str]) -> list[tuple[str, Ranges]]:
    """The parts, as (label, ranges): each agency directly under a root is one part with its
    whole subtree; each root, with the subtrees of its children that are not agencies (its
    own divisions), is another. `tree`: unit id → (lft, rgt, parent id, kind)."""
    children: dict[int | None, list[int]] = {}
    for pk, (_lft, _rgt, parent, _kind) in tree.items():
        children.setdefault(parent, []).append(pk)
    parts: list[tuple[str, Ranges]] = []
    for root in sorted(children.get(None, []), key=lambda pk: tree[pk][0]):
        lft, _rgt, _parent, _kind = tree[root]
        own = [(lft, lft)]
        for child in sorted(children.get(root, []), key=lambda pk: tree[pk][0]):
            c_lft, c_rgt, _p, kind = tree[child]
            if kind in AGENCY_KINDS:
                parts.append((unit_codes[child], ((c_lft, c_rgt),)))
            else:
                own.append((c_lft, c_rgt))
        parts.append((unit_codes[root], tuple(own)))
    return parts


def part_of_units(tree: Mapping[int, tuple[int, int, int | None, str]],
                  parts: list[tuple[str, Ranges]]) -> dict[int, int]:
    """Unit id → the index of its part in `parts`."""
    found: dict[int, int] = {}
    for pk, (lft, _rgt, _parent, _kind) in tree.items():
        for index, (_label, ranges) in enumerate(parts):
            if any(low <= lft <= high for low, high in ranges):
                found[pk] = index
                break
    return found


def ranges_q(ranges: Ranges, field: str) -> Q:
    """Rows whose unit (the foreign key `field`, e.g. "lead_unit") is in the part: through
    the list of the part's unit ids, so that the database reaches the rows by that key's
    index instead of testing every row of a period against the part."""
    in_part = Q(pk__in=[])
    for lft, rgt in ranges:
        in_part |= Q(lft__gte=lft, lft__lte=rgt)
    return Q(**{f"{field}__in": Unit.objects.filter(in_part).values("pk")})
