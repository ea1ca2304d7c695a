"""Shared models: the audit trail of changes that matter outside the task event log."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """One recorded change: who did what to which record, when and why (append-only).

    Tasks have their own hash-chained event log; this trail covers the organisation,
    accounts and imports. Services write it; nothing updates or deletes a row.
    """

    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    action = models.CharField(_("action"), max_length=64)
    object_type = models.CharField(_("object type"), max_length=64)
    object_code = models.CharField(_("object"), max_length=255, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_code"], name="core_audit_object")]

    def __str__(self) -> str:
        # Vietnam time, written as the pages write dates (the list shows the same moment)
        at = timezone.localtime(self.at)
        return f"{at:%d/%m/%Y %H:%M} {self.action} {self.object_type}:{self.object_code}"


class CalendarOverride(models.Model):
    """An administrator's correction to the working-day calendar for one day.

    The Vietnamese public holidays come from the `holidays` library; each year the Government
    announces extra days off (ngày nghỉ bù) and Saturdays swapped into working days (làm bù).
    Those are rows here, imported from the exchange `calendar` key or edited in the admin.
    """

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Day off")
        WORKDAY = "workday", _("Working day")

    day = models.DateField(_("day"), unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    note = models.CharField(_("note"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("calendar override")
        verbose_name_plural = _("calendar overrides")
        ordering = ["day"]

    def __str__(self) -> str:
        """As the admin names it (its delete page, its messages): "31/12/2026 Ngày nghỉ"."""
        return f"{self.day:%d/%m/%Y} {self.get_kind_display()}"
