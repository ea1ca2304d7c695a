"""Status sets of stored signals."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from thuocdo.measure.signals import KINDS


class SignalStatus(models.TextChoices):
    """Where a signal is in its answer: a leader asks for an explanation by a due day, the
    person (or the head of the unit) named answers, a leader accepts the explanation or
    confirms a breach. A leader decides once the explanation is given, or once it was
    requested and its due day passed without it (the decision then records that it was not
    given in time); never on an open signal, nor while the person named still has time. The
    person named may explain before being asked, and never decides (for a unit with nobody
    named, the decision is taken above the unit)."""

    OPEN = "open", _("Open")
    REQUESTED = "requested", _("Explanation requested")
    EXPLAINED = "explained", _("Explained")
    ACCEPTED = "accepted", _("Explanation accepted")
    CONFIRMED = "confirmed", _("Breach confirmed")


DECIDED = frozenset({SignalStatus.ACCEPTED, SignalStatus.CONFIRMED})


class SubjectKind(models.TextChoices):
    """What a signal is about."""

    TASK = "task", _("Task")
    PERSON = "person", _("Person")
    DOSSIER = "dossier", _("Dossier")
    FEEDBACK = "feedback", _("Feedback")


class StepAction(models.TextChoices):
    """One step of a signal's life: recorded by hand (S14, S15), then its answer."""

    RECORD = "record", _("Recorded")
    REQUEST = "request", _("Explanation requested")
    EXPLAIN = "explain", _("Explanation given")
    ACCEPT = "accept", _("Explanation accepted")
    CONFIRM = "confirm", _("Breach confirmed")


#: signal codes and what they mean (domain.md, "Signals of avoidance and buck-passing")
SIGNAL_NAMES = {
    "S1": _("Work late"),
    "S2": _("Extension habit"),
    "S3": _("Ping-pong"),
    "S4": _("Pushing up"),
    "S5": _("Slow opinion"),
    "S6": _("No position"),
    "S7": _("Stretching"),
    "S8": _("Silence"),
    "S9": _("Deaf to reminders"),
    "S10": _("Repeated supplements"),
    "S11": _("Late without apology"),
    "S12": _("Half-hearted"),
    "S13": _("Not proposing"),
    "S14": _("Discipline, ethics, corruption"),
    "S15": _("Protected initiative"),
}


#: signals recorded by hand (an inspection or discipline record, a registered initiative),
#: never computed: the nightly recomputation leaves them alone (services.signals_refresh)
MANUAL_CODES = tuple(code for code, kind in KINDS.items() if kind == "manual")
