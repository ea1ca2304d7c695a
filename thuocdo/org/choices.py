"""Status sets of the organisation: kinds of unit, positions."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class UnitKind(models.TextChoices):
    """What a unit (đơn vị, cơ quan) is. City to commune are agencies (cơ quan)."""

    CITY = "city", _("City")
    PROVINCE = "province", _("Province")
    DEPARTMENT = "department", _("Department")
    DISTRICT = "district", _("District")
    COMMUNE = "commune", _("Commune/ward")
    DIVISION = "division", _("Division")
    OTHER = "other", _("Other")


#: Kinds that make a unit an agency (cơ quan): the quota is counted inside the nearest one.
AGENCY_KINDS = frozenset(
    {UnitKind.CITY, UnitKind.PROVINCE, UnitKind.DEPARTMENT, UnitKind.DISTRICT, UnitKind.COMMUNE}
)


#: The kinds of unit a unit of each kind may be placed under; None: at the top of the tree
#: (a root). A city or a province is a root; a department or a district is under one; a
#: commune is under a district, or directly under its city or province (two-tier local
#: government since 1/7/2025); a division is under an agency or another division, so it
#: always has an agency above it (the quota is counted there); "other" fits anywhere.
#: docs/org.md explains the rule.
PARENT_KINDS: dict[str, frozenset[str | None]] = {
    UnitKind.CITY: frozenset({None}),
    UnitKind.PROVINCE: frozenset({None}),
    UnitKind.DEPARTMENT: frozenset({UnitKind.CITY, UnitKind.PROVINCE, UnitKind.DEPARTMENT}),
    UnitKind.DISTRICT: frozenset({UnitKind.CITY, UnitKind.PROVINCE}),
    UnitKind.COMMUNE: frozenset({UnitKind.CITY, UnitKind.PROVINCE, UnitKind.DISTRICT}),
    UnitKind.DIVISION: AGENCY_KINDS | {UnitKind.DIVISION},
    UnitKind.OTHER: frozenset({None, *UnitKind.values}),
}


class Position(models.TextChoices):
    """An official's position in a unit: người đứng đầu, cấp phó, or staff."""

    HEAD = "head", _("Head")
    DEPUTY = "deputy", _("Deputy head")
    STAFF = "staff", _("Staff")


LEADER_POSITIONS = frozenset({Position.HEAD, Position.DEPUTY})
