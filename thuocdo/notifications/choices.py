"""Kinds of notification (thông báo) an official receives about their work."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    """Why an official is told: three come from events of the log, two from the calendar,
    the others from signals, dossiers and score cards."""

    ASSIGNED = "assigned", _("Assigned to you")
    TRANSFERRED = "transferred", _("Transferred to you")
    REMINDED = "reminded", _("Reminder")
    DUE_SOON = "due_soon", _("Due in 2 working days")
    OVERDUE = "overdue", _("Overdue")
    #: S9: work still overdue after repeated reminders, raised to the head of the unit above
    ESCALATED = "escalated", _("Escalated to you")
    #: a signal's lifecycle: explanation requested, explanation given, decision taken
    SIGNAL = "signal", _("Signal to answer")
    #: a dossier that will miss its deadline: issue an apology slip first
    DOSSIER_DUE = "dossier_due", _("Dossier due: apology slip needed")
    #: a score card's procedure: grades published, an appeal to decide or decided, a grade
    #: moved by the HTXS quota after an accepted appeal (evaluations.services)
    EVALUATION = "evaluation", _("Score card")
