"""Directives, the product catalogue, tasks with the "5 rõ", and their append-only event log."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import EventKind, Priority, TaskState


class Product(models.Model):
    """A kind of output a task must produce (sản phẩm), e.g. a report or a draft decision.

    Its conversion coefficient (hệ số quy đổi) is versioned in `ProductCoefficient`: a task
    keeps the coefficient in force when it was assigned.
    """

    code = models.CharField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=255)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"

    def coefficient_on(self, day: dt.date) -> Decimal | None:
        """The coefficient in force on `day` (None if none had started yet)."""
        row = self.coefficients.filter(valid_from__lte=day).order_by("-valid_from").first()
        return row.coefficient if row else None

    @property
    def current_coefficient(self) -> Decimal | None:
        row = self.coefficients.order_by("-valid_from").first()
        return row.coefficient if row else None


class ProductCoefficient(models.Model):
    """One version of a product's conversion coefficient, in force from `valid_from`."""

    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="coefficients", verbose_name=_("product")
    )
    coefficient = models.DecimalField(_("coefficient"), max_digits=7, decimal_places=3)
    valid_from = models.DateField(_("valid from"))

    class Meta:
        verbose_name = _("product coefficient")
        verbose_name_plural = _("product coefficients")
        ordering = ["product_id", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["product", "valid_from"],
                                    name="tasks_one_coefficient_per_day"),
            models.CheckConstraint(condition=models.Q(coefficient__gt=0),
                                   name="tasks_coefficient_positive"),
        ]

    def __str__(self) -> str:
        from django.utils.formats import localize

        # "1,000" in Vietnamese, where "1.000" reads as a thousand
        return _("%(coefficient)s from %(day)s") % {
            "coefficient": localize(self.coefficient),
            "day": self.valid_from.strftime("%d/%m/%Y")}


class Directive(models.Model):
    """A document that gives work (văn bản chỉ đạo: chỉ thị, kế hoạch, kết luận).

    A lower unit answers a higher directive with its own plan: `answers` points up.
    """

    code = models.CharField(_("code"), max_length=64, unique=True)
    title = models.CharField(_("title"), max_length=500)
    issued_by = models.ForeignKey(
        "org.Unit", on_delete=models.PROTECT, related_name="directives",
        verbose_name=_("issued by"),
    )
    issued_on = models.DateField(_("issued on"))
    answers = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="answered_by",
        verbose_name=_("answers directive"),
    )

    class Meta:
        verbose_name = _("directive")
        verbose_name_plural = _("directives")
        ordering = ["-issued_on", "code"]

    def __str__(self) -> str:
        return f"{self.code} — {self.title}"


class Task(models.Model):
    """One assigned piece of work (nhiệm vụ) with the five "rõ".

    rõ người: one lead unit and one lead official, coordinators named; rõ việc: title,
    description, product and quantity; rõ quy trình: the steps and their allowances;
    rõ trách nhiệm: the holder at every moment (the event log says so; `holder_*` caches
    the latest); rõ hiệu quả: the product, its approval, its quality (from the log).

    Fields after `state` are caches of the log, written only by the workflow services.
    `version` increases with every event, so a stale form cannot act twice.
    """

    code = models.CharField(_("code"), max_length=64, unique=True)
    title = models.CharField(_("title"), max_length=500)
    title_folded = models.CharField(max_length=500, db_index=True, editable=False)
    description = models.TextField(_("what is to be done"), blank=True)
    directive = models.ForeignKey(
        Directive, verbose_name=_("directive"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="tasks",
    )
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="tasks"
    )
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    coefficient = models.DecimalField(
        _("coefficient"), max_digits=7, decimal_places=3,
        help_text=_("The product's coefficient in force when the task was assigned."),
    )
    lead_unit = models.ForeignKey(
        "org.Unit", verbose_name=_("lead unit"), on_delete=models.PROTECT,
        related_name="led_tasks",
    )
    lead_official = models.ForeignKey(
        "org.Official", verbose_name=_("lead official"), on_delete=models.PROTECT,
        related_name="led_tasks",
    )
    assigned_by = models.ForeignKey(
        "org.Official", verbose_name=_("assigned by"), on_delete=models.PROTECT,
        related_name="assigned_tasks",
    )
    assigner_unit = models.ForeignKey(
        "org.Unit", verbose_name=_("assigning unit"), on_delete=models.PROTECT,
        related_name="assigned_tasks",
    )
    assigned_at = models.DateTimeField(_("assigned at"))
    due = models.DateField(_("original deadline"))
    priority = models.CharField(
        _("priority"), max_length=16, choices=Priority.choices, default=Priority.NORMAL
    )
    # -- caches of the event log -------------------------------------------------------
    state = models.CharField(_("state"), max_length=20, choices=TaskState.choices,
                             default=TaskState.ASSIGNED)
    due_in_force = models.DateField(_("deadline in force"))
    holder_unit = models.ForeignKey(
        "org.Unit", verbose_name=_("held by unit"), on_delete=models.PROTECT, related_name="+"
    )
    holder_official = models.ForeignKey(
        "org.Official", verbose_name=_("held by"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="held_tasks",
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_late = models.BooleanField(_("done late"), null=True, blank=True)
    last_event_at = models.DateTimeField(_("last event at"))
    version = models.PositiveIntegerField(default=0)
    last_hash = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["due_in_force", "code"]
        indexes = [
            models.Index(fields=["lead_unit", "state"], name="tasks_task_unit_state"),
            models.Index(fields=["holder_official", "state"], name="tasks_task_holder_state"),
            models.Index(fields=["state", "due_in_force"], name="tasks_task_state_due"),
            models.Index(fields=["due"], name="tasks_task_due"),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.title}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("tasks:task_detail", kwargs={"code": self.code})

    @property
    def is_open(self) -> bool:
        from .choices import OPEN_STATES

        return self.state in OPEN_STATES


class TaskCoordination(models.Model):
    """A coordinating unit (đơn vị phối hợp) with its own deadline for its input."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="coordinations")
    unit = models.ForeignKey("org.Unit", verbose_name=_("unit"), on_delete=models.PROTECT,
                             related_name="coordinations")
    due = models.DateField(_("deadline"))

    class Meta:
        verbose_name = _("coordinating unit")
        verbose_name_plural = _("coordinating units")
        constraints = [models.UniqueConstraint(fields=["task", "unit"],
                                               name="tasks_one_coordination_per_unit")]

    def __str__(self) -> str:
        return _("%(unit)s, by %(day)s") % {"unit": self.unit.code,
                                            "day": self.due.strftime("%d/%m/%Y")}


class TaskStep(models.Model):
    """One step of the task's procedure (rõ quy trình) and its allowance in working days."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField(_("order"))
    name = models.CharField(_("step"), max_length=255)
    allowance = models.PositiveSmallIntegerField(_("allowance (working days)"))

    class Meta:
        verbose_name = _("step")
        verbose_name_plural = _("steps")
        ordering = ["task_id", "order"]
        constraints = [models.UniqueConstraint(fields=["task", "order"],
                                               name="tasks_one_step_per_order")]

    def __str__(self) -> str:
        return f"{self.order}. {self.name} ({self.allowance})"


class TaskEvent(models.Model):
    """One thing that happened to a task: appended, never edited or deleted.

    Each row carries the holder before and after, the state before and after, the kind's
    payload (exchange-format field names), and `hash` = SHA-256 of its canonical content
    including `prev_hash`, the hash of the task's previous event. `thuocdo audit verify`
    recomputes every chain, so an edited or removed row is found.
    """

    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="events")
    seq = models.PositiveIntegerField(_("number"))
    kind = models.CharField(_("kind"), max_length=20, choices=EventKind.choices)
    at = models.DateTimeField(_("at"))
    actor = models.ForeignKey(
        "org.Official", verbose_name=_("by"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="task_events",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    state_before = models.CharField(max_length=20, blank=True)
    state_after = models.CharField(max_length=20)
    holder_unit_before = models.ForeignKey(
        "org.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    holder_official_before = models.ForeignKey(
        "org.Official", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    holder_unit_after = models.ForeignKey(
        "org.Unit", on_delete=models.PROTECT, related_name="+"
    )
    holder_official_after = models.ForeignKey(
        "org.Official", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    data = models.JSONField(_("details"), default=dict, blank=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("task event")
        verbose_name_plural = _("task events")
        ordering = ["task_id", "seq"]
        constraints = [models.UniqueConstraint(fields=["task", "seq"],
                                               name="tasks_event_seq_unique")]
        indexes = [
            models.Index(fields=["at"], name="tasks_event_at"),
            models.Index(fields=["kind", "at"], name="tasks_event_kind_at"),
        ]

    def __str__(self) -> str:
        return f"{self.task_id}#{self.seq} {self.kind}"
