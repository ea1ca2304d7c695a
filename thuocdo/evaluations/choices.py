"""Status sets of evaluations: periods, cards, appeals, KHT grounds."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PeriodKind(models.TextChoices):
    """Kỳ đánh giá: a month (YYYY-MM), a quarter (YYYY-Qn) or a year (YYYY)."""

    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")
    YEAR = "year", _("Year")


class PeriodStatus(models.TextChoices):
    """open → scoring → review → approved → published → locked (domain.md, "Procedure")."""

    OPEN = "open", _("Open")
    SCORING = "scoring", _("Self-scoring")
    REVIEW = "review", _("Under review")
    APPROVED = "approved", _("Approved")
    PUBLISHED = "published", _("Published")
    LOCKED = "locked", _("Locked")


#: Statuses in which the cards may be (re)computed and assessments changed.
SCORABLE = frozenset({PeriodStatus.OPEN, PeriodStatus.SCORING, PeriodStatus.REVIEW})


class CardStatus(models.TextChoices):
    """Where one card stands in the procedure."""

    DRAFT = "draft", _("Draft")
    REVIEWED = "reviewed", _("Reviewed by the head of unit")
    APPROVED = "approved", _("Approved by the head of agency")


class AppealStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted")
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
