"""The organisation as an import will leave it, for the checks that ask where an official
worked on a day before anything is written.

The stored units and memberships, changed as the document's records say: its units' kinds
and parents, its officials' places (`validation.Checked.places`, which the importer writes
through `org.services.officials_bulk_place`: open memberships ended, one amended, or a new
one started). The checking phase can so refuse, with its path and together with every other
problem, what the writing would refuse only after the others are fixed: a case naming an
official who did not work in the agency it was sent to (`citizens.exchange`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING

from thuocdo.org.choices import AGENCY_KINDS
from thuocdo.org.models import Membership

from .state import Snapshot, chunks

if TYPE_CHECKING:
    from .validation import Checked

#: a membership: the unit's code, its first day, its last (None: open)
Place = tuple[str, dt.date, dt.date | None]


class Organisation:
    """Units (kind, parent) by code, and the memberships of the officials asked about, read
    once each. Without `checked` (a check run on its own), the database's as they are."""

    def __init__(self, checked: Checked | None = None) -> None:
        snapshot = checked.snapshot if checked is not None else Snapshot.load(
            load_products=False, load_directives=False)
        self.tree: dict[str, tuple[str | None, str | None]] = {
            code: (unit.kind, unit.parent) for code, unit in snapshot.units.items()}
        for record in (checked.records.get("units", []) if checked is not None else []):
            kind, parent = self.tree.get(record.code, (None, None))
            if record.has("kind"):
                kind = record.get("kind")
            if record.has("parent"):
                parent = record.get("parent")
            self.tree[record.code] = (kind, parent)
        self.places = checked.places if checked is not None else {}
        self._memberships: dict[str, list[Place]] = {}

    def chain(self, unit: str) -> list[str]:
        """`unit` and the units above it, nearest first (a cycle, refused elsewhere, stops
        it)."""
        found: list[str] = []
        node: str | None = unit
        while node is not None and node in self.tree and node not in found:
            found.append(node)
            node = self.tree[node][1]
        return found

    def agency(self, unit: str) -> str:
        """The agency `unit` belongs to, as `org.selectors.unit_agency` finds it: the nearest
        unit, itself included, of an agency's kind; the root without one."""
        chain = self.chain(unit)
        for code in chain:
            if self.tree[code][0] in AGENCY_KINDS:
                return code
        return chain[-1] if chain else unit

    def load(self, officials: Iterable[str]) -> None:
        """Read the memberships of `officials` (those not read yet), as the import leaves
        them."""
        wanted = sorted(set(officials) - self._memberships.keys())
        stored: dict[str, dict[int, list]] = {code: {} for code in wanted}
        for chunk in chunks(wanted):
            for pk, official, unit, start, end in Membership.objects.filter(
                    official__code__in=chunk).values_list(
                    "pk", "official__code", "unit__code", "start", "end"):
                stored[official][pk] = [unit, start, end]
        for code, rows in stored.items():
            plan = self.places.get(code)
            if plan is not None:
                for membership, end in plan.ends:
                    if membership.pk in rows:
                        rows[membership.pk][2] = end
                if plan.amend is not None and plan.amend.pk in rows:
                    rows[plan.amend.pk][0] = plan.unit
                elif plan.unit is not None:
                    rows[0] = [plan.unit, plan.start, None]  # the place to start
            self._memberships[code] = [(unit, start, end) for unit, start, end in rows.values()]

    def works_under(self, official: str, unit: str, day: dt.date) -> bool:
        """Whether `official` held a place on `day` in `unit` or a unit under it (as
        `citizens.services.official_may_be_named` asks the database)."""
        self.load([official])
        return any(start <= day and (end is None or day <= end) and unit in self.chain(place)
                   for place, start, end in self._memberships[official])
