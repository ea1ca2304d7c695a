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
    #: an S14 or S15 recorded by mistake, withdrawn by whoever may record it before a
    #: leader decided it (`services.signal_withdraw`); it counts in no grade or protection
    WITHDRAWN = "withdrawn", _("Withdrawn")


#: the statuses after which nothing more happens to a signal
DECIDED = frozenset({SignalStatus.ACCEPTED, SignalStatus.CONFIRMED, SignalStatus.WITHDRAWN})


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
    WITHDRAW = "withdraw", _("Withdrawn")


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
    # a name that holds while the S15 is open: it is protected only once a leader decides
    # so (`status_label`: "Protected: motives sound")
    "S15": _("Initiative proposed for protection"),
}


#: signals recorded by hand (an inspection or discipline record, a registered initiative),
#: never computed: the nightly recomputation leaves them alone (services.signals_refresh)
MANUAL_CODES = tuple(code for code, kind in KINDS.items() if kind == "manual")

#: the protected initiative (domain.md: "its failure is not held against the person when
#: motives were sound"): not a breach, so its decision is told in its own words. It goes
#: through the same steps: the official reports on the initiative when asked (the
#: "explanation"), a leader decides whether it is protected ("accept": the motives were
#: sound) or not ("confirm").
PROTECTED_INITIATIVE = "S15"

_INITIATIVE_STATUS = {
    SignalStatus.REQUESTED: _("Report on the initiative requested"),
    SignalStatus.EXPLAINED: _("Reported on the initiative"),
    SignalStatus.ACCEPTED: _("Protected: motives sound"),
    SignalStatus.CONFIRMED: _("Not protected: motives not sound"),
}
_INITIATIVE_ACTION = {
    StepAction.REQUEST: _("Report on the initiative requested"),
    StepAction.EXPLAIN: _("Reported on the initiative"),
    StepAction.ACCEPT: _("Protected: motives sound"),
    StepAction.CONFIRM: _("Not protected: motives not sound"),
}


def status_label(code: str, status: str) -> str:
    """How a signal's status reads: an S15 is reported on, not explained, and its decision
    is whether it is protected, never an explanation accepted or a breach confirmed."""
    if code == PROTECTED_INITIATIVE and status in _INITIATIVE_STATUS:
        return str(_INITIATIVE_STATUS[SignalStatus(status)])
    return str(SignalStatus(status).label)


def action_label(code: str, action: str) -> str:
    """How one step of a signal's answer reads (see `status_label`)."""
    if code == PROTECTED_INITIATIVE and action in _INITIATIVE_ACTION:
        return str(_INITIATIVE_ACTION[StepAction(action)])
    return str(StepAction(action).label)


def is_breach(code: str, status: str) -> bool:
    """A leader confirmed a breach: any confirmed signal but an S15 (an initiative not
    protected is a failure held against the person, not a breach of itself)."""
    return status == SignalStatus.CONFIRMED and code != PROTECTED_INITIATIVE
