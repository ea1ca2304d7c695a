"""Roles a user can be granted over a unit subtree (heads and staff come from memberships)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class GrantRole(models.TextChoices):
    """A role granted over the subtree of one unit, independent of the user's own position."""

    BOARD = "board", _("Organisation board")
    INSPECTOR = "inspector", _("Inspector")


class Role(models.TextChoices):
    """Every role the scope knows, as shown to users."""

    ADMIN = "admin", _("Administrator")
    BOARD = "board", _("Organisation board")
    INSPECTOR = "inspector", _("Inspector")
    HEAD = "head", _("Head")
    DEPUTY = "deputy", _("Deputy head")
    STAFF = "staff", _("Staff")
