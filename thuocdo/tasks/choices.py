"""Status sets of tasks: states, priorities, event kinds."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TaskState(models.TextChoices):
    """Where a task is in its workflow (see tasks/workflow.py for the transitions)."""

    ASSIGNED = "assigned", _("Waiting to be accepted")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING_GUIDANCE = "waiting_guidance", _("Waiting for guidance")
    SUBMITTED = "submitted", _("Submitted for approval")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATES = frozenset(
    {TaskState.ASSIGNED, TaskState.IN_PROGRESS, TaskState.WAITING_GUIDANCE, TaskState.SUBMITTED}
)


class Priority(models.TextChoices):
    """Việc thường, việc cấp bách, việc cần quyết định tập thể."""

    NORMAL = "normal", _("Normal")
    URGENT = "urgent", _("Urgent")
    COLLECTIVE = "collective", _("Needs a collective decision")


class EventKind(models.TextChoices):
    """Everything that can happen to a task (exchange-format event kinds, plus `create`)."""

    CREATE = "create", _("Assigned")
    ACCEPT = "accept", _("Accepted")
    TRANSFER = "transfer", _("Transferred")
    RETURN = "return", _("Returned")
    EXTENSION_REQUEST = "extension_request", _("Extension requested")
    EXTENSION_GRANT = "extension_grant", _("Extension granted")
    EXTENSION_REFUSE = "extension_refuse", _("Extension refused")
    GUIDANCE_REQUEST = "guidance_request", _("Guidance requested")
    GUIDANCE_REPLY = "guidance_reply", _("Guidance given")
    CONSULT = "consult", _("Opinion requested from a unit")
    CONSULT_REPLY = "consult_reply", _("Opinion given")
    REMIND = "remind", _("Reminded")
    SUBMIT = "submit", _("Submitted")
    APPROVE = "approve", _("Approved")
    REWORK = "rework", _("Sent back for rework")
    EXCUSE_DELAY = "excuse_delay", _("Delay excused")
    CANCEL = "cancel", _("Cancelled")


#: the events that open or close an extension request
EXTENSION_KINDS = frozenset({EventKind.EXTENSION_REQUEST, EventKind.EXTENSION_GRANT,
                             EventKind.EXTENSION_REFUSE})


def action_labels() -> dict[str, str]:
    """What each action is called when someone takes it (buttons, refusals): verbs, where
    `EventKind`'s labels say what happened (the timeline)."""
    return {
        EventKind.ACCEPT: _("Accept"),
        EventKind.TRANSFER: _("Transfer"),
        EventKind.RETURN: _("Return"),
        EventKind.EXTENSION_REQUEST: _("Request an extension"),
        EventKind.EXTENSION_GRANT: _("Grant an extension"),
        EventKind.EXTENSION_REFUSE: _("Refuse the extension"),
        EventKind.GUIDANCE_REQUEST: _("Ask for guidance"),
        EventKind.GUIDANCE_REPLY: _("Give guidance"),
        EventKind.CONSULT: _("Ask a unit's opinion"),
        EventKind.CONSULT_REPLY: _("Give the unit's opinion"),
        EventKind.REMIND: _("Remind"),
        EventKind.SUBMIT: _("Submit"),
        EventKind.APPROVE: _("Approve"),
        EventKind.REWORK: _("Send back for rework"),
        EventKind.EXCUSE_DELAY: _("Excuse a delay"),
        EventKind.CANCEL: _("Cancel the task"),
    }


#: the most products one task may ask for (the assignment form's bound since it exists): a
#: quantity is the count of products the card converts, and past it one task outweighs
#: every other of the month. The workflow refuses more, for every caller (an import too).
QUANTITY_MAX = 100_000
