"""Status sets of evaluations: periods, cards, appeals, KHT grounds."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class PeriodKind(models.TextChoices):
    """Kỳ đánh giá: a month (YYYY-MM), a quarter (YYYY-Qn) or a year (YYYY)."""

    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")
    YEAR = "year", _("Year")


class PeriodStatus(models.TextChoices):
    """open → scoring → review → approved → published → locked (domain.md, "Procedure").

    Labels say where the period stands (a state, not an act: "Đã phê duyệt", not "Phê
    duyệt"); the context "evaluation status" keeps them apart from the same English words
    used elsewhere (a task's event "Approved", a button "Open")."""

    OPEN = "open", pgettext_lazy("evaluation status", "Open")
    SCORING = "scoring", pgettext_lazy("evaluation status", "Self-scoring")
    REVIEW = "review", _("Under review")
    APPROVED = "approved", pgettext_lazy("evaluation status", "Approved")
    PUBLISHED = "published", _("Published")
    LOCKED = "locked", _("Locked")


#: Statuses in which the cards may be (re)computed and assessments changed.
SCORABLE = frozenset({PeriodStatus.OPEN, PeriodStatus.SCORING, PeriodStatus.REVIEW})


class CardStatus(models.TextChoices):
    """Where one card stands in the procedure. Who reviewed or approved it is recorded
    (`reviewed_by`, `approved_by`): a leader's card is reviewed by a leader above, and an
    agency head's card approved by the level above or the board, so the label names none."""

    DRAFT = "draft", _("Draft")
    REVIEWED = "reviewed", pgettext_lazy("evaluation status", "Reviewed")
    APPROVED = "approved", pgettext_lazy("evaluation status", "Approved")


class AppealStatus(models.TextChoices):
    """Where an appeal stands (labels are states, as for periods)."""

    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", pgettext_lazy("evaluation status", "Accepted")
    REJECTED = "rejected", _("Rejected")


class GroundKind(models.TextChoices):
    """What makes an official KHT whatever the score (engine `GroundKind`)."""

    DISCIPLINE = "discipline", _("Discipline")
    DEGRADATION = "degradation", _("Conclusion of political or ethical degradation")
    CORRUPTION = "corruption", _("Corruption or waste in a managed unit")
    SIGNAL = "signal", _("Confirmed signal (S14)")


class DisciplineLevel(models.TextChoices):
    REPRIMAND = "reprimand", _("Reprimand")
    WARNING = "warning", _("Warning")
    DEMOTION = "demotion", _("Demotion")
    DISMISSAL = "dismissal", _("Dismissal")
