"""How periods, score cards and appeals look in the API (and a card in `thuocdo score
--json`).

A card is `card_json`, the very function the CLI prints with, so the API and `thuocdo
score --json` cannot diverge (docs/scoring.md, "The JSON of a card"); the API adds the
procedure's fields beside it (`PROCEDURE_KEYS`), never in place of one of the card's.
Records are named by their label or code, an appeal by its number. Serializers here never
save: the request serializers check the shape of a request, and the views hand the values
to `services.appeal_file` / `services.appeal_decide`, which apply the rules.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .choices import AppealStatus, CardStatus, PeriodKind, PeriodStatus
from .models import Appeal, Period, ScoreCard

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

    class Meta(PeriodSerializer.Meta):
        fields = [*PeriodSerializer.Meta.fields, "card_counts", "accepting_appeals"]
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
        help_text="`appeal`: the caller is the card's official and may appeal it now.")

    def to_representation(self, instance: ScoreCard) -> dict:
        return {**super().to_representation(instance),
                "appeals": AppealSerializer(instance.appeal_rows, many=True).data,
                "allowed_actions": instance.allowed_actions}


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
