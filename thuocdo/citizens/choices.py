"""Status sets of citizens' feedback and administrative dossiers, and the names of the service
index's groups and rates."""

from django.db import models
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _


class FeedbackKind(models.TextChoices):
    """Phản ánh, kiến nghị (feedback, a proposal) or khiếu nại (a complaint about how a case
    or an official was handled: it can be verified, and then counts against the work)."""

    FEEDBACK = "feedback", _("Feedback or proposal")
    COMPLAINT = "complaint", _("Complaint")


#: What a sentence calls a case of each kind in running text ("Follow your complaint at
#: ..."): every sentence about one case names it with `Feedback.noun` in a `%(case)s`,
#: never as "feedback" whatever was sent. Lower case, never first in a sentence (the
#: translations keep it so). The context keeps the noun apart from the model's name.
CASE_NOUNS = {
    FeedbackKind.FEEDBACK: pgettext_lazy("case noun", "feedback"),
    FeedbackKind.COMPLAINT: pgettext_lazy("case noun", "complaint"),
}

#: What the receipts and the public pages call a case of each kind, so that they name what
#: was actually sent (a kind added to `FeedbackKind` adds its line here and in `CASE_NOUNS`:
#: a test checks it).
RECEIVED_HEADINGS = {
    FeedbackKind.FEEDBACK: _("Your feedback was received"),
    FeedbackKind.COMPLAINT: _("Your complaint was received"),
}
RECEIPT_TITLES = {
    FeedbackKind.FEEDBACK: _("Receipt of the feedback"),
    FeedbackKind.COMPLAINT: _("Receipt of the complaint"),
}
#: the public page's heading, with the tracking code
CASE_TITLES = {
    FeedbackKind.FEEDBACK: _("Case %(code)s"),
    FeedbackKind.COMPLAINT: _("Complaint %(code)s"),
}


class FeedbackCategory(models.TextChoices):
    """What the feedback is about (also the Open311 services)."""

    PROCEDURE = "procedure", _("Administrative procedures")
    CONDUCT = "conduct", _("Conduct of an official")
    URBAN = "urban", _("Urban order and infrastructure")
    ENVIRONMENT = "environment", _("Environment and sanitation")
    OTHER = "other", _("Other")


class FeedbackStatus(models.TextChoices):
    # Contexts keep words that read the same in English apart in Vietnamese: a status
    # ("Đã tiếp nhận") is not a time ("Thời điểm nhận", the inbox's "Received" column).
    RECEIVED = "received", pgettext_lazy("feedback status", "Received")
    ASSIGNED = "assigned", _("Being handled")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")


OPEN_FEEDBACK = frozenset({FeedbackStatus.RECEIVED, FeedbackStatus.ASSIGNED,
                           FeedbackStatus.ANSWERED})


class FeedbackEventKind(models.TextChoices):
    """Everything that happens to a feedback case. `PUBLIC_KINDS` show on the public page."""

    # The citizen sent it ("Đã gửi"), not a task's "submit for approval" ("Trình").
    SUBMIT = "submit", pgettext_lazy("feedback event", "Submitted")
    ASSIGN = "assign", _("Assigned for handling")
    REPLY = "reply", _("Answered")
    FORWARD = "forward", _("Forwarded: not our responsibility")
    CLOSE = "close", _("Closed")
    RATE = "rate", _("Rated")
    VERIFY = "verify", _("Complaint verified")


PUBLIC_KINDS = frozenset({FeedbackEventKind.SUBMIT, FeedbackEventKind.ASSIGN,
                          FeedbackEventKind.REPLY, FeedbackEventKind.FORWARD,
                          FeedbackEventKind.CLOSE, FeedbackEventKind.RATE})


class Satisfaction(models.TextChoices):
    """Decision 766's three levels."""

    SATISFIED = "satisfied", _("Satisfied")
    NEUTRAL = "neutral", _("Acceptable")
    UNSATISFIED = "unsatisfied", _("Not satisfied")


class Verification(models.TextChoices):
    VERIFIED = "verified", _("Verified: the complaint is founded")
    UNFOUNDED = "unfounded", _("Unfounded")


class Channel(models.TextChoices):
    COUNTER = "counter", _("At the counter")
    ONLINE = "online", _("Online")


class DossierStatus(models.TextChoices):
    PROCESSING = "processing", _("Being processed")
    WAITING_SUPPLEMENT = "waiting_supplement", _("Waiting for supplements")
    DONE = "done", _("Result returned")


class DossierEventKind(models.TextChoices):
    """The dossier's log (exchange-format names, measure/dossiers.py)."""

    RECEIVE = "receive", pgettext_lazy("dossier event", "Received")
    MOVE = "move", _("Moved to the next step")
    SUPPLEMENT_REQUEST = "supplement_request", _("Supplements requested")
    SUPPLEMENT_RECEIVED = "supplement_received", _("Supplements received")
    APOLOGY = "apology", _("Apology slip issued")
    RESULT = "result", _("Result returned")
    RATE = "rate", _("Rated by the applicant")


class FindingKind(models.TextChoices):
    VERIFIED_COMPLAINT = "verified_complaint", _("Verified complaint")
    LOW_RATING = "low_rating", _("Low rating")


class FindingDecision(models.TextChoices):
    ACCEPTED = "accepted", _("Explanation accepted")
    CONFIRMED = "confirmed", _("Confirmed")


def rate_labels() -> dict[str, str]:
    """The service index's rates by key, as the pages and the exports name them."""
    return {
        "on_time": gettext("On-time rate"), "late": gettext("Late rate"),
        "online": gettext("Online rate"),
        "feedback_on_time": gettext("Feedback handled on time"),
        "feedback_satisfaction": gettext("Satisfaction with feedback handling"),
        "dossier_satisfaction": gettext("Satisfaction with dossier handling"),
    }


def group_labels() -> dict[str, str]:
    """The service index's groups of criteria by key (Decision 766), as the pages and the
    exports name them."""
    return {
        "transparency": gettext("Transparency"),
        "progress": gettext("Progress and results of handling"),
        "digitisation": gettext("Digitisation of dossiers"), "online": gettext("Online services"),
        "satisfaction": gettext("Satisfaction"),
    }


def count_labels() -> dict[str, str]:
    """The figures behind the service index's rates by key (`measure.service_index.rates`),
    as the page and the export name them."""
    return {
        "dossiers_done": gettext("Dossiers done"),
        "dossiers_done_on_time": gettext("Dossiers done on time"),
        "dossiers_done_late": gettext("Dossiers done late"),
        "dossiers_received": gettext("Dossiers received in the period"),
        "dossiers_carried_over": gettext("Dossiers carried over from before the period"),
        "dossiers_open_overdue": gettext("Dossiers open past their deadline"),
        "dossiers_online": gettext("Dossiers received online"),
        "dossiers_rated": gettext("Dossiers rated"),
        "dossiers_rated_unsatisfied": gettext("Dossiers rated not satisfied"),
        "feedback_answered": gettext("Feedback answered"),
        "feedback_answered_on_time": gettext("Feedback answered on time"),
        "feedback_open_overdue": gettext("Feedback unanswered past its deadline"),
        "feedback_closed": gettext("Feedback closed"),
        "feedback_unsatisfied_or_late": gettext(
            "Feedback closed, rated not satisfied or answered late"),
    }
