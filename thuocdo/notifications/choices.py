"""Kinds of notification (thông báo) an official receives about their work."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    """Why an official is told: most come from events of the log, two from the calendar,
    the others from signals, dossiers and score cards. Values fit in 16 characters."""

    ASSIGNED = "assigned", _("Assigned to you")
    TRANSFERRED = "transferred", _("Transferred to you")
    REMINDED = "reminded", _("Reminder")
    #: something waits for the decision of the one told (the assigner, the guide)
    EXTENSION_REQUESTED = "extension_asked", _("Extension requested")
    SUBMITTED = "to_review", _("Submitted for your review")
    GUIDANCE_REQUESTED = "guidance_asked", _("Guidance asked of you")
    #: the answer, to the one holding the work
    SENT_BACK = "rework", _("Sent back for rework")
    EXTENSION_GRANTED = "extension_given", _("Extension granted")
    EXTENSION_REFUSED = "extension_denied", _("Extension refused")
    GUIDANCE_ANSWERED = "guidance_given", _("Guidance given")
    #: a unit named by the event, told to its heads and deputies: its opinion asked, or the
    #: work assigned with it coordinating; and the opinion given, to the one holding the work
    CONSULTED = "consulted", _("Opinion asked of your unit")
    COORDINATING = "coordinating", _("Your unit coordinates")
    OPINION_GIVEN = "opinion_given", _("Opinion given")
    #: an opinion not given whose reply deadline is 2 working days away, or passed
    OPINION_DUE_SOON = "opinion_soon", _("Opinion due in 2 working days")
    OPINION_OVERDUE = "opinion_late", _("Opinion overdue")
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
