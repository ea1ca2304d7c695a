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


class Position(models.TextChoices):
    """An official's position in a unit: người đứng đầu, cấp phó, or staff."""

    HEAD = "head", _("Head")
    DEPUTY = "deputy", _("Deputy head")
    STAFF = "staff", _("Staff")


LEADER_POSITIONS = frozenset({Position.HEAD, Position.DEPUTY})
