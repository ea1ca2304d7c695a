"""Kinds of notification (thông báo) an official receives about their work."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    """Why an official is told: three come from events of the log, two from the calendar."""

    ASSIGNED = "assigned", _("Assigned to you")
    TRANSFERRED = "transferred", _("Transferred to you")
    REMINDED = "reminded", _("Reminder")
    DUE_SOON = "due_soon", _("Due in 2 working days")
    OVERDUE = "overdue", _("Overdue")
