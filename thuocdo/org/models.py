"""The organisation: units as a tree, task groups, officials and their memberships over time."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .choices import Position, UnitKind


class Unit(models.Model):
    """A node of the organisation tree (đơn vị; cơ quan): city, department, district, division.

    The tree is stored twice: as `parent` (the truth) and as nested-set numbers `lft`/`rgt`
    that services renumber after every structural change, so "the subtree of X" is one
    indexed integer range on SQLite and PostgreSQL alike. `root` keeps each unit addressable
    by its top-level unit (the sharding key of the scale path).
    """

    code = models.CharField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=255)
    name_folded = models.CharField(max_length=255, db_index=True, editable=False)
    kind = models.CharField(_("kind"), max_length=16, choices=UnitKind.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent unit"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="children",
    )
    root = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    lft = models.PositiveIntegerField(default=0, editable=False)
    rgt = models.PositiveIntegerField(default=0, editable=False)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["lft"]
        indexes = [models.Index(fields=["lft", "rgt"], name="org_unit_nested_set")]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("org:unit_detail", kwargs={"code": self.code})

    @property
    def is_agency(self) -> bool:
        from .choices import AGENCY_KINDS

        return self.kind in AGENCY_KINDS


class TaskGroup(models.Model):
    """Officials with similar duties (nhóm nhiệm vụ tương đồng): the quota counts inside each."""

    code = models.CharField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=255)

    class Meta:
        verbose_name = _("task group")
        verbose_name_plural = _("task groups")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class Official(models.Model):
    """A person who works in a unit (cán bộ, công chức, viên chức).

    Where they work is not a field: it is the history of their `Membership` rows.
    `name_folded` (no tones, đ→d, lower case) lets "nguyen van duc" find "Nguyễn Văn Đức".
    """

    code = models.CharField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("full name"), max_length=255)
    name_folded = models.CharField(max_length=255, db_index=True, editable=False)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("official")
        verbose_name_plural = _("officials")
        ordering = ["name_folded", "code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def get_absolute_url(self) -> str:
        return reverse("org:official_detail", kwargs={"code": self.code})


class Membership(models.Model):
    """An official's place in a unit over an interval: position and task group, from/to.

    People move and the history stays: a move ends one membership and starts another.
    `end` is the last day of the membership (inclusive); null means current.
    A unit has at most one head at a time (checked by services for every interval, and by a
    database constraint for the current one).
    """

    official = models.ForeignKey(
        Official, verbose_name=_("official"), on_delete=models.PROTECT, related_name="memberships"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="memberships"
    )
    position = models.CharField(_("position"), max_length=16, choices=Position.choices)
    task_group = models.ForeignKey(
        TaskGroup, verbose_name=_("task group"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="memberships",
    )
    start = models.DateField(_("from"))
    end = models.DateField(_("to"), null=True, blank=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["official_id", "-start"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit"],
                condition=Q(position="head", end__isnull=True),
                name="org_one_current_head_per_unit",
            ),
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=models.F("start")),
                name="org_membership_end_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["unit", "end"], name="org_membership_unit_end"),
            models.Index(fields=["official", "end"], name="org_membership_official_end"),
        ]

    def __str__(self) -> str:
        return f"{self.official.code} @ {self.unit.code} ({self.get_position_display()})"

    def is_current_on(self, day) -> bool:
        return self.start <= day and (self.end is None or self.end >= day)
