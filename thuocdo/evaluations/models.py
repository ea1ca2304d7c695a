"""Evaluation periods, assessments of the general criteria, KHT grounds, stored score cards
and appeals (Decree 335/2025/NĐ-CP; domain.md, "Scoring officials")."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from thuocdo.core.templatetags.periods import period_name
from thuocdo.core.text import plain_decimal
from thuocdo.org.choices import Position

from .choices import (
    AppealStatus,
    CardStatus,
    DisciplineLevel,
    GroundKind,
    PeriodKind,
    PeriodStatus,
)


class Period(models.Model):
    """Kỳ đánh giá: a month, quarter or year, and where its procedure stands.

    `rubric_version` is the engine rubric the cards were computed with (set when scored),
    `quota_basis` the approved exceptions to the HTXS quota they were computed with,
    `calendar_basis` the calendar's overrides.
    Appeals are accepted up to and including `appeal_until`; then the period can be locked,
    and a locked period is never scored again.
    """

    label = models.CharField(_("period"), max_length=8, unique=True)
    kind = models.CharField(_("kind"), max_length=8, choices=PeriodKind.choices)
    start = models.DateField(_("from"))
    end = models.DateField(_("to"))
    status = models.CharField(_("status"), max_length=12, choices=PeriodStatus.choices,
                              default=PeriodStatus.OPEN)
    rubric_version = models.CharField(_("rubric"), max_length=32, blank=True)
    engine_version = models.CharField(_("engine"), max_length=32, blank=True)
    scored_at = models.DateTimeField(_("scored at"), null=True, blank=True)
    appeal_until = models.DateField(_("appeals until"), null=True, blank=True)
    #: the approved exceptions to the HTXS quota the cards were computed with (set when
    #: scored, from the inputs the engine read): agency code → {"share", "decision",
    #: "decided_on"} as strings; None: scored before it was recorded (the cards' own
    #: `quota.exception` then tell). See `services.stale_cards_refusal`.
    quota_basis = models.JSONField(_("quota exceptions scored with"), null=True, blank=True,
                                   editable=False)
    #: the administrators' calendar overrides the cards were computed with (set when
    #: scored, from the inputs the engine read): ISO day → kind, for the years scoring
    #: reads; None: scored before it was recorded. See `services.stale_cards_refusal`.
    calendar_basis = models.JSONField(_("calendar scored with"), null=True, blank=True,
                                      editable=False)

    class Meta:
        verbose_name = _("evaluation period")
        verbose_name_plural = _("evaluation periods")
        ordering = ["-start", "kind"]

    def __str__(self) -> str:
        return self.label

    def get_absolute_url(self) -> str:
        return reverse("evaluations:period_detail", kwargs={"label": self.label})

    @property
    def name(self) -> str:
        """The period in words in the active language ("tháng 10/2026", "quý IV/2026"), for
        messages and notifications; `label` stays ISO for URLs, files and the CLI."""
        return period_name(self.label)


class Assessment(models.Model):
    """The general criteria (tiêu chí chung, 0–30) of one official for one period, as assessed
    by their superior, with the written reason for any deduction; for heads and deputies also
    đ (capacity to organise) and e (capacity to unite) in [0, 1]."""

    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="assessments",
                               verbose_name=_("period"))
    official = models.ForeignKey("org.Official", on_delete=models.PROTECT,
                                 related_name="assessments", verbose_name=_("official"))
    general_points = models.DecimalField(_("general criteria"), max_digits=5, decimal_places=2)
    reason = models.TextField(_("reason for the deduction"), blank=True)
    organising = models.DecimalField(_("capacity to organise"), max_digits=4, decimal_places=3,
                                     null=True, blank=True)
    uniting = models.DecimalField(_("capacity to unite"), max_digits=4, decimal_places=3,
                                  null=True, blank=True)
    assessor = models.ForeignKey("org.Official", on_delete=models.PROTECT, null=True,
                                 blank=True, related_name="+", verbose_name=_("assessed by"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        ordering = ["period_id", "official_id"]
        constraints = [
            models.UniqueConstraint(fields=["period", "official"],
                                    name="evaluations_one_assessment"),
            models.CheckConstraint(condition=Q(general_points__gte=0, general_points__lte=30),
                                   name="evaluations_general_0_30"),
        ]

    def __str__(self) -> str:
        return f"{self.official_id} {self.period_id}: {self.general_points}"


class Ground(models.Model):
    """A KHT ground (the manual signal S14): a discipline record, a competent conclusion of
    degradation, corruption or waste dealt with in a unit (for its leaders), or a confirmed
    S14 signal. Only `confirmed` grounds count."""

    kind = models.CharField(_("ground"), max_length=16, choices=GroundKind.choices,
                            default=GroundKind.DISCIPLINE)
    official = models.ForeignKey("org.Official", on_delete=models.PROTECT, null=True,
                                 blank=True, related_name="kht_grounds",
                                 verbose_name=_("official"))
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, null=True, blank=True,
                             related_name="kht_grounds", verbose_name=_("unit"))
    on = models.DateField(_("on"))
    level = models.CharField(_("discipline level"), max_length=16, blank=True,
                             choices=DisciplineLevel.choices)
    signal = models.CharField(_("signal"), max_length=8, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    confirmed = models.BooleanField(_("confirmed"), default=True)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("KHT ground")
        verbose_name_plural = _("KHT grounds")
        ordering = ["on", "id"]
        indexes = [models.Index(fields=["on"], name="evaluations_ground_on")]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind=GroundKind.CORRUPTION, unit__isnull=False)
                           | (~Q(kind=GroundKind.CORRUPTION) & Q(official__isnull=False))),
                name="evaluations_ground_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.on.isoformat()}"


class ScoreCard(models.Model):
    """One official's stored card for one period: the engine's card as JSON (`data`: every
    component, deduction, formula and reason) and the columns lists sort and filter by."""

    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="cards",
                               verbose_name=_("period"))
    official = models.ForeignKey("org.Official", on_delete=models.PROTECT,
                                 related_name="score_cards", verbose_name=_("official"))
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="score_cards",
                             verbose_name=_("unit"))
    agency = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("agency"))
    position = models.CharField(_("position"), max_length=16)
    task_group = models.CharField(_("task group"), max_length=64, blank=True)
    task_points = models.DecimalField(_("task points"), max_digits=5, decimal_places=2,
                                      null=True)
    general_points = models.DecimalField(_("general criteria"), max_digits=5,
                                         decimal_places=2, null=True)
    total = models.DecimalField(_("total"), max_digits=5, decimal_places=2, null=True)
    grade = models.CharField(_("grade"), max_length=4, blank=True)
    grade_before_quota = models.CharField(_("grade before the quota"), max_length=4,
                                          blank=True)
    quota_applied = models.BooleanField(_("moved down by the quota"), default=False)
    rubric_version = models.CharField(_("rubric"), max_length=32)
    engine_version = models.CharField(_("engine"), max_length=32)
    data = models.JSONField(_("card"))
    status = models.CharField(_("status"), max_length=12, choices=CardStatus.choices,
                              default=CardStatus.DRAFT)
    self_points = models.DecimalField(_("self-assessed general criteria"), max_digits=5,
                                      decimal_places=2, null=True, blank=True)
    self_note = models.TextField(_("self-assessment"), blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+")
    #: when another official's accepted appeal last moved this card's final grade (the
    #: HTXS quota decided again for the agency, after publication): its official may
    #: appeal the new grade for `services.APPEAL_DAYS` days from that day, after the
    #: period's window too, and the period is not locked before (`services.appeal_refusal`)
    regraded_at = models.DateTimeField(_("grade moved by an appeal at"), null=True,
                                       blank=True)

    class Meta:
        verbose_name = _("score card")
        verbose_name_plural = _("score cards")
        ordering = ["period_id", "official_id"]
        constraints = [models.UniqueConstraint(fields=["period", "official"],
                                               name="evaluations_one_card")]
        indexes = [
            models.Index(fields=["period", "unit"], name="evaluations_card_unit"),
            models.Index(fields=["period", "agency"], name="evaluations_card_agency"),
            models.Index(fields=["official", "period"], name="evaluations_card_official"),
        ]

    def __str__(self) -> str:
        return f"{self.official_id} {self.period_id}: {self.total} {self.grade}"

    @property
    def position_label(self) -> str:
        """The position in words (người đứng đầu, cấp phó, chuyên viên), not its code."""
        try:
            return str(Position(self.position).label)
        except ValueError:
            return self.position


class Appeal(models.Model):
    """Khiếu nại: the official contests a published card, with a reason; the head of the
    agency (or the organisation board) decides, with a reason."""

    card = models.ForeignKey(ScoreCard, on_delete=models.PROTECT, related_name="appeals",
                             verbose_name=_("score card"))
    reason = models.TextField(_("reason"))
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                 related_name="+")
    filed_at = models.DateTimeField(_("filed at"), auto_now_add=True)
    status = models.CharField(_("status"), max_length=12, choices=AppealStatus.choices,
                              default=AppealStatus.PENDING)
    decision = models.TextField(_("decision"), blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        ordering = ["-filed_at", "-id"]
        constraints = [models.UniqueConstraint(
            fields=["card"], condition=Q(status=AppealStatus.PENDING),
            name="evaluations_one_pending_appeal")]

    def __str__(self) -> str:
        return f"appeal {self.pk} on {self.card_id}"


class QuotaException(models.Model):
    """An approved exception for an outstanding unit (domain.md, "Quota": it "raises the
    cap"): in one agency, the HTXS share that replaces the rubric's 20% of the final HTT,
    approved by a decision (its number, số quyết định, and date) for a stated reason.

    It is in force from `valid_from` to `valid_to` and applies to every period (month,
    quarter, year) that ends on one of those days: a period is measured as it stood at its
    close (docs/scoring.md, "Quota exceptions"), so an exception given for the year's grading
    late in the year applies to the year, its last quarter and month, and not to the months
    already approved. The organisation board and administrators record, change and remove it
    (`services.quota_exception_record`), never for a period approved or later; the audit
    trail keeps every change with who and why."""

    agency = models.ForeignKey("org.Unit", on_delete=models.PROTECT,
                               related_name="quota_exceptions", verbose_name=_("agency"))
    valid_from = models.DateField(_("in force from"))
    valid_to = models.DateField(_("in force until"))
    share = models.DecimalField(_("HTXS share"), max_digits=5, decimal_places=4)
    decision = models.CharField(_("decision number"), max_length=64)
    decided_on = models.DateField(_("decision date"))
    reason = models.TextField(_("reason"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+",
                                    verbose_name=_("recorded by"))
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("HTXS quota exception")
        verbose_name_plural = _("HTXS quota exceptions")
        ordering = ["-valid_to", "agency_id"]
        indexes = [models.Index(fields=["valid_to", "valid_from"],
                                name="evaluations_exception_span")]
        constraints = [
            models.CheckConstraint(condition=Q(share__gt=0, share__lte=1),
                                   name="evaluations_exception_share"),
            models.CheckConstraint(condition=Q(valid_to__gte=models.F("valid_from")),
                                   name="evaluations_exception_span_order"),
        ]

    def __str__(self) -> str:
        return f"{self.agency_id} {self.valid_from.isoformat()}–{self.valid_to.isoformat()}"

    @property
    def percent(self) -> Decimal:
        """The share in percent, as the pages show it (30, 27.5)."""
        value = (self.share * 100).quantize(Decimal("0.01"))
        return plain_decimal(value)
