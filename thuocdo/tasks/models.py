"""Directives and the product catalogue (tasks and their event log arrive with issue 3)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _


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
        return f"{self.product_id}: {self.coefficient} from {self.valid_from}"


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
