"""Citizens and businesses: feedback with tracking codes, administrative procedures and
dossiers with their append-only logs, and answers to quality findings.

Every row here is written by `citizens.services` only.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .choices import (
    CASE_NOUNS,
    CASE_TITLES,
    RECEIPT_TITLES,
    RECEIVED_HEADINGS,
    Channel,
    DossierEventKind,
    DossierStatus,
    FeedbackCategory,
    FeedbackEventKind,
    FeedbackKind,
    FeedbackStatus,
    FindingDecision,
    FindingKind,
    Satisfaction,
    Verification,
)


class Procedure(models.Model):
    """An administrative procedure of the catalogue (thủ tục hành chính): its legal processing
    time in working days, and its steps, each with a unit and an allowance."""

    code = models.CharField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=500)
    processing_days = models.PositiveSmallIntegerField(_("processing time (working days)"))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("procedure")
        verbose_name_plural = _("procedures")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class ProcedureStep(models.Model):
    """One step of a procedure: the unit that does it and its allowance in working days."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField(_("order"))
    name = models.CharField(_("step"), max_length=255)
    unit = models.ForeignKey("org.Unit", verbose_name=_("unit"), on_delete=models.PROTECT,
                             related_name="procedure_steps")
    allowance = models.PositiveSmallIntegerField(_("allowance (working days)"))

    class Meta:
        verbose_name = _("procedure step")
        verbose_name_plural = _("procedure steps")
        ordering = ["procedure_id", "order"]
        constraints = [models.UniqueConstraint(fields=["procedure", "order"],
                                               name="citizens_one_step_per_order")]

    def __str__(self) -> str:
        return f"{self.order}. {self.name} ({self.allowance})"


class Dossier(models.Model):
    """A citizen's or business's application (hồ sơ) under a procedure.

    Like feedback, the applicant follows it on the public portal with its code and an access
    key, given on the receipt (giấy tiếp nhận hồ sơ và hẹn trả kết quả); only a keyed hash of
    the key is kept (none for an imported dossier until staff issue one).

    Fields after `status` are caches of the log, written only by the services. `due` is the
    original deadline (the procedure's working days after receipt); `due_in_force` moves
    while the applicant is asked for supplements (measure/dossiers.py).
    """

    code = models.CharField(_("code"), max_length=64, unique=True)
    procedure = models.ForeignKey(Procedure, verbose_name=_("procedure"),
                                  on_delete=models.PROTECT, related_name="dossiers")
    unit = models.ForeignKey("org.Unit", verbose_name=_("receiving unit"),
                             on_delete=models.PROTECT, related_name="received_dossiers")
    applicant = models.CharField(_("applicant"), max_length=255)
    applicant_contact = models.CharField(_("applicant's contact"), max_length=255, blank=True)
    channel = models.CharField(_("received"), max_length=16, choices=Channel.choices)
    received_at = models.DateTimeField(_("received at"))
    due = models.DateField(_("deadline"))
    #: keyed hash of the applicant's access key (`services.access_key_hash`); empty until
    #: one is issued (an imported dossier), so the public page cannot open it
    access_key_hash = models.CharField(max_length=64, blank=True, editable=False)
    # -- caches of the log -------------------------------------------------------------
    status = models.CharField(_("status"), max_length=20, choices=DossierStatus.choices,
                              default=DossierStatus.PROCESSING)
    due_in_force = models.DateField(_("deadline in force"))
    step = models.PositiveSmallIntegerField(_("current step"), default=1)
    holder_unit = models.ForeignKey("org.Unit", verbose_name=_("held by unit"),
                                    on_delete=models.PROTECT, related_name="+")
    holder_official = models.ForeignKey(
        "org.Official", verbose_name=_("held by"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="held_dossiers",
    )
    supplement_requests = models.PositiveSmallIntegerField(_("supplement requests"), default=0)
    apology_date = models.DateField(_("new date promised"), null=True, blank=True)
    done_at = models.DateTimeField(_("result returned at"), null=True, blank=True)
    done_late = models.BooleanField(_("done late"), null=True, blank=True)
    rating = models.CharField(_("applicant's rating"), max_length=16, blank=True,
                              choices=Satisfaction.choices)
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)
    last_event_at = models.DateTimeField(_("last event at"))
    version = models.PositiveIntegerField(default=0)
    last_hash = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("dossier")
        verbose_name_plural = _("dossiers")
        ordering = ["due_in_force", "code"]
        indexes = [
            models.Index(fields=["holder_unit", "status"], name="citizens_dossier_unit_st"),
            models.Index(fields=["status", "due_in_force"], name="citizens_dossier_st_due"),
            models.Index(fields=["received_at"], name="citizens_dossier_received"),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.applicant}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("citizens:dossier_detail", kwargs={"code": self.code})

    @property
    def is_open(self) -> bool:
        return self.status != DossierStatus.DONE


class DossierEvent(models.Model):
    """One thing that happened to a dossier: appended, never edited. `hash` chains onto the
    previous event of the dossier (`prev_hash`), like `tasks.TaskEvent`."""

    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="events")
    seq = models.PositiveIntegerField(_("number"))
    kind = models.CharField(_("kind"), max_length=20, choices=DossierEventKind.choices)
    at = models.DateTimeField(_("at"))
    actor = models.ForeignKey("org.Official", verbose_name=_("by"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="dossier_events")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey("org.Unit", verbose_name=_("held by unit"),
                             on_delete=models.PROTECT, related_name="+")
    official = models.ForeignKey("org.Official", verbose_name=_("held by"), null=True,
                                 blank=True, on_delete=models.PROTECT, related_name="+")
    step = models.PositiveSmallIntegerField(_("step"))
    data = models.JSONField(_("details"), default=dict, blank=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("dossier event")
        verbose_name_plural = _("dossier events")
        ordering = ["dossier_id", "seq"]
        constraints = [models.UniqueConstraint(fields=["dossier", "seq"],
                                               name="citizens_dossier_event_seq")]
        indexes = [models.Index(fields=["kind", "at"], name="citizens_devent_kind_at")]

    def __str__(self) -> str:
        return f"{self.dossier_id}#{self.seq} {self.kind}"

    @property
    def new_date(self) -> dt.date | None:
        """The new date promised by an apology slip (`data` keeps it as ISO text)."""
        value = (self.data or {}).get("new_date")
        return dt.date.fromisoformat(value) if value else None

    @property
    def rating_label(self) -> str:
        """The applicant's rating in words (`data` keeps the choice's value)."""
        value = (self.data or {}).get("rating")
        return str(Satisfaction(value).label) if value in Satisfaction.values else ""


class Feedback(models.Model):
    """Feedback or a complaint from a citizen or business (phản ánh, kiến nghị, khiếu nại).

    `code` is the public tracking code; the submitter also gets an access key, of which only
    a hash is kept: code and key together open the public page, so codes cannot be
    enumerated. `reply_due` is the case's reply deadline, set when it is received (and
    when it is forwarded to another unit); being late, the service index and Open311 are
    measured against it, and an assignment never moves it (`handling_due` is the
    assignment's own date). `unit` is the unit now responsible (it changes when a unit
    forwards the case as "not our responsibility"); `first_unit` the one first concerned.
    `source` is a keyed hash of the submitter's address, kept for the rate limit only.
    """

    code = models.CharField(_("tracking code"), max_length=32, unique=True)
    access_key_hash = models.CharField(max_length=64, editable=False)
    kind = models.CharField(_("kind"), max_length=16, choices=FeedbackKind.choices,
                            default=FeedbackKind.FEEDBACK)
    category = models.CharField(_("category"), max_length=16, choices=FeedbackCategory.choices)
    first_unit = models.ForeignKey("org.Unit", verbose_name=_("unit first concerned"),
                                   on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey("org.Unit", verbose_name=_("unit responsible"),
                             on_delete=models.PROTECT, related_name="feedback")
    official = models.ForeignKey("org.Official", verbose_name=_("official concerned"),
                                 null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="feedback_about")
    dossier = models.ForeignKey(Dossier, verbose_name=_("dossier concerned"), null=True,
                                blank=True, on_delete=models.PROTECT, related_name="feedback")
    task = models.ForeignKey("tasks.Task", verbose_name=_("task concerned"), null=True,
                             blank=True, on_delete=models.PROTECT, related_name="feedback")
    text = models.TextField(_("content"))
    contact_name = models.CharField(_("name"), max_length=255, blank=True)
    contact = models.CharField(_("phone or e-mail"), max_length=255, blank=True)
    address = models.CharField(_("address"), max_length=500, blank=True)
    lat = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    long = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    via = models.CharField(max_length=16, default="web", editable=False)
    source = models.CharField(max_length=64, blank=True, editable=False)
    submitted_at = models.DateTimeField(_("submitted at"))
    # -- caches of the log -------------------------------------------------------------
    status = models.CharField(_("status"), max_length=16, choices=FeedbackStatus.choices,
                              default=FeedbackStatus.RECEIVED)
    reply_due = models.DateField(_("reply deadline"))
    assignee = models.ForeignKey("org.Official", verbose_name=_("handled by"), null=True,
                                 blank=True, on_delete=models.PROTECT,
                                 related_name="feedback_assigned")
    #: the deadline the assignment gave the official handling it (an internal date, never
    #: after `reply_due`, which no assignment moves: `services.feedback_assign`)
    handling_due = models.DateField(_("handling deadline"), null=True, blank=True)
    answer = models.TextField(_("answer"), blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    rating = models.CharField(_("satisfaction"), max_length=16, blank=True,
                              choices=Satisfaction.choices)
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)
    verification = models.CharField(_("verification"), max_length=16, blank=True,
                                    choices=Verification.choices)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    forwards = models.PositiveSmallIntegerField(_("times forwarded"), default=0)
    last_event_at = models.DateTimeField(_("last event at"))
    last_hash = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        ordering = ["-submitted_at", "code"]
        indexes = [
            models.Index(fields=["unit", "status"], name="citizens_fb_unit_status"),
            models.Index(fields=["source", "submitted_at"], name="citizens_fb_source"),
            models.Index(fields=["submitted_at"], name="citizens_fb_submitted"),
        ]

    def __str__(self) -> str:
        return self.code

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("citizens:feedback_detail", kwargs={"code": self.code})

    @property
    def is_open(self) -> bool:
        return self.status != FeedbackStatus.CLOSED

    @property
    def noun(self) -> str:
        """What a sentence about this case calls it, for its kind: "complaint" or
        "feedback" (`choices.CASE_NOUNS`), for the `%(case)s` of the messages."""
        return str(CASE_NOUNS[self.kind])

    @property
    def received_heading(self) -> str:
        """"Your complaint was received", or the like for the kind sent."""
        return str(RECEIVED_HEADINGS[self.kind])

    @property
    def receipt_title(self) -> str:
        """"Receipt of the complaint", or the like for the kind sent."""
        return str(RECEIPT_TITLES[self.kind])

    @property
    def public_title(self) -> str:
        """The public page's heading: the kind sent and the tracking code."""
        return str(CASE_TITLES[self.kind]) % {"code": self.code}

    def overdue_on(self, day: dt.date) -> bool:
        """Unanswered past its reply deadline on `day` (as the inbox's overdue filter)."""
        return self.is_open and self.answered_at is None and self.reply_due < day


class FeedbackEvent(models.Model):
    """One thing that happened to a feedback case; `public` ones make the public timeline
    (the text shown there is `data["public_note"]` and the forward's unit and reason)."""

    feedback = models.ForeignKey(Feedback, on_delete=models.PROTECT, related_name="events")
    seq = models.PositiveIntegerField(_("number"))
    kind = models.CharField(_("kind"), max_length=16, choices=FeedbackEventKind.choices)
    at = models.DateTimeField(_("at"))
    actor = models.ForeignKey("org.Official", verbose_name=_("by"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="feedback_events")
    unit = models.ForeignKey("org.Unit", verbose_name=_("unit responsible"),
                             on_delete=models.PROTECT, related_name="+")
    public = models.BooleanField(_("shown publicly"), default=True)
    data = models.JSONField(_("details"), default=dict, blank=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("feedback event")
        verbose_name_plural = _("feedback events")
        ordering = ["feedback_id", "seq"]
        constraints = [models.UniqueConstraint(fields=["feedback", "seq"],
                                               name="citizens_feedback_event_seq")]
        indexes = [models.Index(fields=["kind", "at"], name="citizens_fevent_kind_at")]

    def __str__(self) -> str:
        return f"{self.feedback_id}#{self.seq} {self.kind}"

    @property
    def forward_deadline(self) -> ForwardDeadline | None:
        """A forward's reply deadline after it, and whether the unit it went to got a fresh
        one (a unit new to the case) or kept the one the case had (a unit that held it
        before: `services.feedback_forward`); None for another event, or a forward logged
        without saying so."""
        if self.kind != FeedbackEventKind.FORWARD or "fresh_deadline" not in self.data:
            return None
        try:
            day = dt.date.fromisoformat(self.data.get("reply_due") or "")
        except ValueError:
            return None
        return ForwardDeadline(bool(self.data["fresh_deadline"]), day)


class ForwardDeadline(NamedTuple):
    """The reply deadline a forward left the case with (`FeedbackEvent.forward_deadline`)."""

    fresh: bool
    day: dt.date

    def __str__(self) -> str:
        """The sentence the case's timeline and Open311's `status_notes` give."""
        values = {"day": f"{self.day:%d/%m/%Y}"}
        if self.fresh:
            return gettext("New reply deadline: %(day)s.") % values
        return gettext("Sent back to a unit that held it before: the reply deadline stays "
                       "%(day)s.") % values


class FindingAnswer(models.Model):
    """The answer to a quality finding (a verified complaint or a low rating traced to an
    official): the official's explanation and the leader's decision, like a signal's."""

    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=24, choices=FindingKind.choices)
    official = models.ForeignKey("org.Official", on_delete=models.PROTECT,
                                 related_name="finding_answers")
    feedback = models.ForeignKey(Feedback, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="finding_answers")
    dossier = models.ForeignKey(Dossier, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="finding_answers")
    explanation = models.TextField(_("explanation"), blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    decision = models.CharField(_("decision"), max_length=16, blank=True,
                                choices=FindingDecision.choices)
    decision_note = models.TextField(_("reason"), blank=True)
    decided_by = models.ForeignKey("org.Official", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("answer to a finding")
        verbose_name_plural = _("answers to findings")

    def __str__(self) -> str:
        return self.key
