"""How periods, score cards, a unit's procedure and appeals look in the API (and a card in
`thuocdo score --json`).

A card is `card_json`, the very function the CLI prints with, so the API and `thuocdo
score --json` cannot diverge (docs/scoring.md, "The JSON of a card"); the API adds the
procedure's fields beside it (`PROCEDURE_KEYS`), never in place of one of the card's.
Records are named by their label or code, an appeal by its number. Serializers here never
save: the request serializers check the shape of a request (types, digits, lengths), and
the views hand the values to the services (`card_self_score`, `assessment_set`,
`assessments_save`, `unit_review`, `agency_approve`, `period_score`, `period_start_review`,
`period_publish`, `period_lock`, `appeal_file`, `appeal_decide`, `quota_exception_record`,
`quota_exception_change`, `quota_exception_remove`), which apply the rules:
ranges, a written reason for every deduction, who may act, where the procedure stands.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .choices import AppealStatus, CardStatus, PeriodKind, PeriodStatus
from .models import Appeal, Period, QuotaException, ScoreCard

#: Codes are documented as strings with their values, not as enums: drf-spectacular would
#: name the enums of these "status", "kind" and "grade" fields after other apps' (warnings).
GRADES = "HTXS, HTT, HT or KHT"


def _one_of(values) -> str:
    return f"One of {', '.join(values)}."


def card_json(card: ScoreCard) -> dict:
    """The stored engine card, plus the official's name and the card's review status."""
    return {**card.data, "name": card.official.name, "status": card.status}


# -- periods ------------------------------------------------------------------------------


class PeriodSerializer(serializers.ModelSerializer):
    """A period (kỳ đánh giá) and where its procedure stands."""

    name = serializers.CharField(read_only=True,
                                 help_text="The period in words, in the caller's language.")
    kind = serializers.CharField(read_only=True, help_text=_one_of(PeriodKind.values))
    status = serializers.CharField(read_only=True,
                                   help_text="open → scoring → review → approved → "
                                             "published → locked.")

    class Meta:
        model = Period
        fields = ["label", "name", "kind", "start", "end", "status", "appeal_until",
                  "scored_at", "rubric_version", "engine_version"]
        read_only_fields = fields
        extra_kwargs = {
            "label": {"help_text": "YYYY-MM, YYYY-Qn or YYYY."},

            "appeal_until": {"help_text": "Published: appeals are accepted up to and "
                                          "including this day (null before publication)."},
            "scored_at": {"help_text": "When the cards were last computed (null: never)."},
            "rubric_version": {"help_text": "The rubric the cards were computed with."},
            "engine_version": {"help_text": "The scoring engine's version."},
        }


class CardCountsSerializer(serializers.Serializer):
    draft = serializers.IntegerField()
    reviewed = serializers.IntegerField()
    approved = serializers.IntegerField()


class PeriodDetailSerializer(PeriodSerializer):
    """A period with how many of the cards the caller reads stand where, and whether
    appeals are accepted today."""

    card_counts = CardCountsSerializer(
        read_only=True, help_text="The period's cards the caller reads, by status (as the "
                                  "period's page counts them).")
    accepting_appeals = serializers.BooleanField(
        read_only=True, help_text="Appeals are accepted today (published, within the "
                                  "window).")
    allowed_actions = serializers.ListField(
        child=serializers.CharField(), read_only=True,
        help_text="What the caller may do with the period now (the organisation board and "
                  "the administrator): `score` (open, self-scoring or under review, and "
                  "ended), `start_review` (self-scoring), `publish` (approved), `lock` "
                  "(published, the appeal window over and every appeal decided).")

    class Meta(PeriodSerializer.Meta):
        fields = [*PeriodSerializer.Meta.fields, "card_counts", "accepting_appeals",
                  "allowed_actions"]
        read_only_fields = fields


class ScoreRunSerializer(serializers.Serializer):
    """What one computing of the period's cards did (`services.ScoreResult`): how many cards
    were created, changed, unchanged and removed, and, by official code, the cards whose
    review or approval it changed."""

    created = serializers.IntegerField()
    changed = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    removed = serializers.IntegerField()
    to_draft = serializers.ListField(
        child=serializers.CharField(),
        help_text="Reviewed or approved cards whose content changed: back to draft, to be "
                  "reviewed again.")
    unapproved = serializers.ListField(
        child=serializers.CharField(),
        help_text="Approved cards whose HTXS quota outcome alone changed: back to reviewed, "
                  "to be approved again.")
    quota_only = serializers.ListField(
        child=serializers.CharField(),
        help_text="Reviewed cards whose HTXS quota outcome alone changed: still reviewed.")
    notified = serializers.IntegerField(
        help_text="Officials told they can self-score (those whose card was created).")


class PeriodActedSerializer(PeriodDetailSerializer):
    """The period after a step of its procedure, with what the step did."""

    scored = ScoreRunSerializer(
        read_only=True, allow_null=True,
        help_text="`score`: what computing the cards did; null for the other steps.")
    notified = serializers.IntegerField(
        read_only=True, allow_null=True,
        help_text="How many were told: `score`, the officials told they can self-score; "
                  "`start_review`, the leaders told which cards to review; `publish`, the "
                  "officials told their grade; null for `lock`.")

    class Meta(PeriodDetailSerializer.Meta):
        fields = [*PeriodDetailSerializer.Meta.fields, "scored", "notified"]
        read_only_fields = fields


# -- cards --------------------------------------------------------------------------------


class PersonSerializer(serializers.Serializer):
    """A user who acted: their official's code and name, or for a user who is not an
    official (e.g. the organisation board's account) null and the account's name."""

    official = serializers.CharField(allow_null=True)
    name = serializers.CharField()


def _person(user) -> dict | None:
    if user is None:
        return None
    official = user.official if user.official_id else None
    if official is not None:
        return {"official": official.code, "name": official.name}
    return {"official": None, "name": user.get_full_name()}


def _number(value) -> float | None:
    return None if value is None else float(value)


def procedure_json(card: ScoreCard) -> dict[str, Any]:
    """The procedure's fields of a card beside its JSON: the period's status, the
    official's self-assessment, who reviewed and who approved it."""
    return {"period_status": card.period.status,
            "self_points": _number(card.self_points), "self_note": card.self_note,
            "reviewed_by": _person(card.reviewed_by), "approved_by": _person(card.approved_by)}


#: the keys the API adds to `card_json` (none of them is a key of the card's JSON)
PROCEDURE_KEYS = ("period_status", "self_points", "self_note", "reviewed_by", "approved_by")

_NUMBER = {"allow_null": True}
_GRADE = {"allow_null": True}


@extend_schema_field({"type": "array", "items": {"type": "object", "additionalProperties": True}})
class _Objects(serializers.ListField):
    """A list of JSON objects, described in docs/scoring.md."""


class ScoreCardSerializer(serializers.Serializer):
    """A stored score card exactly as `thuocdo score --json` prints it (docs/scoring.md, "The
    JSON of a card"), plus the procedure's fields. The fields below document that JSON;
    the values are `card_json`'s and `procedure_json`'s."""

    official = serializers.CharField(help_text="The official's code.")
    name = serializers.CharField(help_text="The official's name.")
    unit = serializers.CharField(help_text="The unit's code in the period.")
    agency = serializers.CharField(help_text="The agency's code: the HTXS quota's scope.")
    task_group = serializers.CharField(allow_null=True)
    position = serializers.CharField(help_text="head, deputy or staff.")
    period = serializers.CharField(help_text="The period's label.")
    assigned = serializers.FloatField(help_text="Converted products assigned (null: none).",
                                      **_NUMBER)
    completed = serializers.FloatField(**_NUMBER)
    quantity = serializers.FloatField(help_text="a.", **_NUMBER)
    quality = serializers.FloatField(help_text="b.", **_NUMBER)
    progress = serializers.FloatField(help_text="c.", **_NUMBER)
    unit_result = serializers.FloatField(help_text="d (heads and deputies).", **_NUMBER)
    organising = serializers.FloatField(help_text="đ (heads and deputies).", **_NUMBER)
    uniting = serializers.FloatField(help_text="e (heads and deputies).", **_NUMBER)
    task_points = serializers.FloatField(help_text="T, out of 70.", **_NUMBER)
    general_points = serializers.FloatField(help_text="Out of 30.", **_NUMBER)
    total = serializers.FloatField(help_text="Out of 100.", **_NUMBER)
    grade_by_score = serializers.CharField(help_text=f"{GRADES}, by the total alone.",
                                           **_GRADE)
    grade_before_quota = serializers.CharField(help_text=f"{GRADES}, before the HTXS quota.",
                                               **_GRADE)
    grade = serializers.CharField(help_text=f"The final grade: {GRADES} (null: no data).",
                                  **_GRADE)
    quota_applied = serializers.BooleanField(help_text="Moved down from HTXS by the quota.")
    quota = serializers.DictField(allow_null=True,
                                  help_text="The quota's decision: rank, candidates, kept, "
                                            "scopes, reason.")
    overrides = _Objects(help_text="KHT grounds that applied: kind, on (ISO date), ref "
                                   "(ground:<id> for a recorded ground, signal:<id> for a "
                                   "confirmed signal record), detail.")
    deductions = _Objects(help_text="Every deduction with its points, task, event, reason.")
    tasks = _Objects(help_text="Each task counted: task, product, coefficient, quantity, "
                               "converted, deadline, completed, done_event, major_errors, "
                               "delays.")
    delays = serializers.IntegerField()
    major_errors = serializers.IntegerField()
    months = serializers.ListField(help_text="Quarter and year: [month, T] of each month.")
    months_approved = serializers.ListField(
        child=serializers.CharField(), required=False,
        help_text="Quarter and year: the months taken as their agency approved them "
                  "(absent when none).")
    formula = serializers.CharField(help_text="The formula with its numbers (Vietnamese).")
    reasons = serializers.ListField(child=serializers.CharField(),
                                    help_text="Why a number is missing, KHT grounds, the "
                                              "quota's reasoning (Vietnamese).")
    rubric_version = serializers.CharField()
    engine_version = serializers.CharField()
    status = serializers.CharField(help_text="Where the card stands in the procedure: "
                                             f"{', '.join(CardStatus.values)}.")
    # the procedure's fields (PROCEDURE_KEYS)
    period_status = serializers.CharField(help_text=_one_of(PeriodStatus.values))
    self_points = serializers.FloatField(help_text="The official's self-assessed general "
                                                   "criteria (advisory).", **_NUMBER)
    self_note = serializers.CharField(allow_blank=True)
    reviewed_by = PersonSerializer(allow_null=True, help_text="Who confirmed its review.")
    approved_by = PersonSerializer(allow_null=True, help_text="Who approved it.")

    def to_representation(self, instance: ScoreCard) -> dict:
        return {**card_json(instance), **procedure_json(instance)}


# -- appeals ------------------------------------------------------------------------------


class AppealSerializer(serializers.ModelSerializer):
    """An appeal (khiếu nại) on a published card, and its decision."""

    id = serializers.IntegerField(read_only=True, help_text="The appeal's number.")
    period = serializers.CharField(source="card.period.label", read_only=True)
    official = serializers.CharField(source="card.official.code", read_only=True,
                                     help_text="The appellant: the card's official.")
    name = serializers.CharField(source="card.official.name", read_only=True)
    status = serializers.CharField(read_only=True, help_text=_one_of(AppealStatus.values))
    filed_by = serializers.SerializerMethodField()
    decided_by = serializers.SerializerMethodField()

    class Meta:
        model = Appeal
        fields = ["id", "period", "official", "name", "status", "reason", "filed_at",
                  "filed_by", "decision", "decided_at", "decided_by"]
        read_only_fields = fields
        extra_kwargs = {"decision": {"help_text": "The reason given with the decision."}}

    @extend_schema_field(PersonSerializer)
    def get_filed_by(self, appeal: Appeal) -> dict | None:
        return _person(appeal.filed_by)

    @extend_schema_field(PersonSerializer(allow_null=True))
    def get_decided_by(self, appeal: Appeal) -> dict | None:
        return _person(appeal.decided_by)


class AppealDetailSerializer(AppealSerializer):
    can_decide = serializers.BooleanField(
        read_only=True, help_text="The caller may decide it now (it is pending and they "
                                  "decide appeals on this card).")

    class Meta(AppealSerializer.Meta):
        fields = [*AppealSerializer.Meta.fields, "can_decide"]
        read_only_fields = fields


class ScoreCardDetailSerializer(ScoreCardSerializer):
    """One card with its appeals and what the caller may do with it now."""

    appeals = AppealSerializer(many=True, help_text="The appeals on the card, newest first.")
    allowed_actions = serializers.ListField(
        child=serializers.CharField(),
        help_text="What the caller may do with the card now: `appeal` (the card's official, "
                  "published grades within the window, no appeal yet), `self_score` (the "
                  "card's official, while the period is self-scoring or under review and "
                  "their general criteria are not assessed yet), `assess` (a leader who "
                  "assesses the official, or the organisation board for a leader no leader "
                  "above reviews, or the administrator; while the period is open, "
                  "self-scoring or under review).")

    def to_representation(self, instance: ScoreCard) -> dict:
        return {**super().to_representation(instance),
                "appeals": AppealSerializer(instance.appeal_rows, many=True).data,
                "allowed_actions": instance.allowed_actions}


class ScoreCardAssessedSerializer(ScoreCardDetailSerializer):
    """The card after its official's general criteria were assessed, as computed again,
    with what the save did: the same `changed` and `scored` as a unit's assessments
    (`UnitAssessedSerializer`)."""

    changed = serializers.IntegerField(help_text="1 if the assessment changed, else 0.")
    scored = ScoreRunSerializer(
        allow_null=True, help_text="The cards computed again after the change (null when "
                                   "nothing changed): whose review (`to_draft`) or "
                                   "approval (`unapproved`) it undid, this card's or "
                                   "others' whose HTXS quota outcome it changed.")

    def to_representation(self, instance: ScoreCard) -> dict:
        scored = instance.saved.scored
        return {**super().to_representation(instance), "changed": instance.saved.changed,
                "scored": None if scored is None else ScoreRunSerializer(scored).data}


# -- requests -----------------------------------------------------------------------------


class AppealFileSerializer(serializers.Serializer):
    """An appeal on one's own published card (`services.appeal_file` requires the reason)."""

    reason = serializers.CharField(max_length=4000, required=False, allow_blank=True,
                                   help_text="Why the official appeals (required).")


class AppealDecisionSerializer(serializers.Serializer):
    """The decision on an appeal (`services.appeal_decide`)."""

    accepted = serializers.BooleanField(help_text="true: the appeal is accepted; false: "
                                                  "rejected.")
    reason = serializers.CharField(max_length=4000, required=False, allow_blank=True,
                                   help_text="The reason for the decision (required).")
    general_points = serializers.DecimalField(
        max_digits=5, decimal_places=2, required=False, allow_null=True,
        help_text="Accepted only: the corrected general criteria (0–30, not below the "
                  "published ones); the card is then computed again.")


# -- a unit's procedure -------------------------------------------------------------------


class UnitProcedureSerializer(serializers.Serializer):
    """Where a unit's cards stand in the procedure for the caller, as its ranking and review
    pages say it: whom the caller assesses and reviews there, what they approve from it."""

    period = serializers.CharField(help_text="The period's label.")
    period_status = serializers.CharField(help_text=_one_of(PeriodStatus.values))
    unit = serializers.CharField(help_text="The unit's code.")
    name = serializers.CharField(help_text="The unit's name.")
    assessable = serializers.ListField(
        child=serializers.CharField(),
        help_text="The officials of the unit itself (not of the units below) whose general "
                  "criteria the caller assesses and whose cards they review, by code.")
    to_review = serializers.ListField(
        child=serializers.CharField(),
        help_text="Among them, those whose card is still a draft.")
    to_approve = serializers.ListField(
        child=serializers.CharField(),
        help_text="Under review: the reviewed cards an approval from this unit would "
                  "approve (the agency's cards, and those of the heads of the agencies "
                  "below it, that the caller approves; never their own).")
    not_reviewed = serializers.ListField(
        child=serializers.CharField(),
        help_text="Under review: the agency's own cards the caller approves that are not "
                  "reviewed yet; the approval waits for them.")
    allowed_actions = serializers.ListField(
        child=serializers.CharField(),
        help_text="What the caller may do here now: `assess` (the period open, "
                  "self-scoring or under review, and someone to assess), `review` (under "
                  "review, and someone to review), `approve` (under review, a reviewed card "
                  "to approve and none of the agency's waiting for its review).")


class UnitAssessedSerializer(UnitProcedureSerializer):
    """The unit after its assessments were saved."""

    changed = serializers.IntegerField(help_text="How many assessments changed.")
    scored = ScoreRunSerializer(
        allow_null=True, help_text="The cards computed again after the change (null when "
                                   "nothing changed).")


class UnitReviewedSerializer(UnitProcedureSerializer):
    """The unit after its review was confirmed."""

    reviewed = serializers.IntegerField(help_text="How many cards became reviewed (none "
                                                  "left: refused, `nothing_to_review`).")


class UnitApprovedSerializer(UnitProcedureSerializer):
    """The unit after the approval."""

    approved = serializers.IntegerField(help_text="How many cards became approved (0: none "
                                                  "was left for the caller to approve).")


# -- requests of the procedure ------------------------------------------------------------


class NoteSerializer(serializers.Serializer):
    """A step of the procedure, with an optional note kept as its reason in the audit
    trail."""

    note = serializers.CharField(max_length=2000, required=False, allow_blank=True,
                                 help_text="Kept with the step in the audit trail.")


class PublishSerializer(NoteSerializer):
    """Publishing the approved grades (`services.period_publish`)."""

    appeal_days = serializers.IntegerField(
        min_value=0, max_value=60, required=False,
        help_text="Appeals are accepted for this many days after today (as the period "
                  "page: 0–60; default 10).")


class SelfScoreSerializer(serializers.Serializer):
    """The official's own proposal for their general criteria (`services.card_self_score`,
    which checks the range)."""

    general_points = serializers.DecimalField(
        max_digits=5, decimal_places=2,
        help_text="The general criteria the official proposes for themself, 0–30.")
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True,
                                 help_text="What they did well, and what they did not.")


class AssessmentSerializer(serializers.Serializer):
    """The general criteria of one official as their assessor sets them
    (`services.assessment_set`, which checks the ranges, the reason and the ratings)."""

    general_points = serializers.DecimalField(max_digits=5, decimal_places=2,
                                              help_text="0–30.")
    reason = serializers.CharField(
        max_length=2000, required=False, allow_blank=True,
        help_text="Required below 30: the written reason for the deduction.")
    organising = serializers.DecimalField(
        max_digits=4, decimal_places=3, required=False, allow_null=True,
        help_text="đ, the capacity to organise, 0–1: required for a head or deputy, "
                  "ignored for staff.")
    uniting = serializers.DecimalField(
        max_digits=4, decimal_places=3, required=False, allow_null=True,
        help_text="e, the capacity to unite, 0–1: required for a head or deputy, ignored "
                  "for staff.")


class AssessmentRowSerializer(AssessmentSerializer):
    official = serializers.CharField(max_length=64, help_text="The official's code.")


class UnitAssessmentsSerializer(serializers.Serializer):
    """Several officials' general criteria at once, as the review screen saves them
    (`services.assessments_save`): all or nothing, then the cards computed once."""

    assessments = AssessmentRowSerializer(
        many=True, allow_empty=False,
        help_text="One row per official of the unit; a refused row is named by its index.")


# -- approved exceptions to the HTXS quota ------------------------------------------------


class QuotaExceptionSerializer(serializers.ModelSerializer):
    """An approved exception to the HTXS quota (decision 0006): in one agency, the share of
    the final HTT that replaces the rubric's for every period ending on one of its days."""

    id = serializers.IntegerField(read_only=True, help_text="The exception's number.")
    agency = serializers.CharField(source="agency.code", read_only=True,
                                   help_text="The agency's code.")
    agency_name = serializers.CharField(source="agency.name", read_only=True)
    share = serializers.FloatField(read_only=True,
                                   help_text="The HTXS share, a fraction of the final HTT "
                                             "(0.3 for 30%), replacing the rubric's.")
    recorded_by = serializers.SerializerMethodField()

    class Meta:
        model = QuotaException
        fields = ["id", "agency", "agency_name", "valid_from", "valid_to", "share",
                  "decision", "decided_on", "reason", "recorded_by", "recorded_at"]
        read_only_fields = fields
        extra_kwargs = {
            "valid_from": {"help_text": "In force from this day: it applies to every period "
                                        "(month, quarter, year) ending from this day to "
                                        "`valid_to`."},
            "valid_to": {"help_text": "In force until this day, included."},
            "decision": {"help_text": "The number of the decision that approved it."},
            "decided_on": {"help_text": "The decision's date."},
            "reason": {"help_text": "Why the unit is outstanding, as the decision says."},
        }

    @extend_schema_field(PersonSerializer(allow_null=True))
    def get_recorded_by(self, exception: QuotaException) -> dict | None:
        return _person(exception.recorded_by)


class QuotaExceptionDetailSerializer(QuotaExceptionSerializer):
    """One exception, with what the caller may do with it now."""

    allowed_actions = serializers.ListField(
        child=serializers.CharField(), read_only=True,
        help_text="`change` and `remove` for the administrator and the organisation board "
                  "granted a unit that holds the agency, while no period the exception "
                  "applies to (ending on one of its days) is approved or later; empty "
                  "otherwise.")

    class Meta(QuotaExceptionSerializer.Meta):
        fields = [*QuotaExceptionSerializer.Meta.fields, "allowed_actions"]
        read_only_fields = fields


class QuotaExceptionSavedSerializer(QuotaExceptionDetailSerializer):
    """The exception as recorded or changed, with the periods to score again."""

    to_score_again = serializers.ListField(
        child=serializers.CharField(), read_only=True,
        help_text="The labels of the periods ending on one of its days (before and after a "
                  "change) that were scored and may be scored again: their cards take the "
                  "exception only once computed again (`POST "
                  "/api/evaluations/periods/{label}/score/`).")

    class Meta(QuotaExceptionDetailSerializer.Meta):
        fields = [*QuotaExceptionDetailSerializer.Meta.fields, "to_score_again"]
        read_only_fields = fields


class QuotaExceptionRemovedSerializer(serializers.Serializer):
    """What removing an exception did."""

    id = serializers.IntegerField(help_text="The number of the exception removed.")
    to_score_again = serializers.ListField(
        child=serializers.CharField(),
        help_text="The labels of the periods ending on one of its days that were scored and "
                  "may be scored again: their cards keep the exception until computed "
                  "again.")


class QuotaExceptionWriteSerializer(serializers.Serializer):
    """An exception to record (`services.quota_exception_record`), or its new content with
    why it changes (`quota_exception_change`). The shape is checked here; the service
    checks the rest (the agency, the share, the days, the decision, the reason, overlaps,
    the periods fixed)."""

    agency = serializers.CharField(max_length=64, help_text="The agency's code.")
    valid_from = serializers.DateField(help_text="In force from this day (YYYY-MM-DD).")
    valid_to = serializers.DateField(help_text="In force until this day, included.")
    share = serializers.DecimalField(
        max_digits=10, decimal_places=6,
        help_text="The HTXS share as a fraction of the final HTT (0.3 for 30%): above the "
                  "rubric's (0.2), at most 1, at most 4 decimals.")
    decision = serializers.CharField(max_length=200, required=False, allow_blank=True,
                                     help_text="The decision's number, e.g. 15/QĐ-UBND "
                                               "(required, at most 64 characters).")
    decided_on = serializers.DateField(help_text="The decision's date (not in the future).")
    reason = serializers.CharField(max_length=4000, required=False, allow_blank=True,
                                   help_text="Why the unit is outstanding (required).")


class QuotaExceptionChangeSerializer(QuotaExceptionWriteSerializer):
    """An exception's new content and why it changes (`services.quota_exception_change`,
    which checks it as a new one, and requires `why`)."""

    why = serializers.CharField(max_length=2000, required=False, allow_blank=True,
                                help_text="Why the exception changes (required): kept in "
                                          "the audit trail with the values before and "
                                          "after.")


class QuotaExceptionRemoveSerializer(serializers.Serializer):
    """Why an exception is removed (`services.quota_exception_remove` requires it)."""

    why = serializers.CharField(max_length=2000, required=False, allow_blank=True,
                                help_text="Why the exception is removed (required): kept in "
                                          "the audit trail with its content.")
