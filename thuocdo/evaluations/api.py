"""The evaluations REST API: periods and their procedure, the stored score cards the caller
reads, a unit's assessments, review and approval, and appeals.

`GET /api/evaluations/periods/` (filters: kind, status, year) and `GET
/api/evaluations/periods/{label}/`; the board's steps `POST
/api/evaluations/periods/{label}/score/`, `start-review/`, `publish/` (`{"appeal_days"}`)
and `lock/`. `GET /api/evaluations/cards/` (filters: period, unit, agency, official, grade,
status) and `GET /api/evaluations/cards/{period}/{official}/`, each card in the JSON of
`thuocdo score --json` (`serializers.card_json`, the CLI's own function) with the
procedure's fields beside it; `POST /api/evaluations/cards/{period}/{official}/self-score/`
(`{"general_points", "note"}`), `.../assessment/` (`{"general_points", "reason",
"organising", "uniting"}`, answering the card with what computing the cards undid, as a
unit's assessments do) and `.../appeal/` (`{"reason"}`). `GET
/api/evaluations/units/{period}/{unit}/` and `POST .../assessments/` (`{"assessments":
[...]}`), `.../review/` and `.../approve/`. `GET /api/evaluations/appeals/` (filters:
period, status, waiting), `GET /api/evaluations/appeals/{appeal_id}/` and `POST
/api/evaluations/appeals/{appeal_id}/decide/` (`{"accepted", "reason",
"general_points"}`). `GET /api/evaluations/quota-exceptions/` (filters: agency, on) and
`POST` to record one, `GET`, `PUT` and `PATCH
/api/evaluations/quota-exceptions/{exception_id}/` (a change, with `why`) and `POST
.../remove/` (`{"why"}`): the approved exceptions to the HTXS quota, the organisation
board's and the administrator's. A period's, a card's, a unit's and
an exception's detail list the `allowed_actions` the caller may take now, by the same rules
as the pages offer them.

Reads go through `selectors` with the caller's scope (`ScopedAPIMixin.scope`, which honours
token authentication), as the pages read: a card, a unit or an appeal outside the scope is
a 404 exactly like one that does not exist. Writes go through the pages' own services only
(`card_self_score`, `assessment_set`, `assessments_save`, `unit_review`, `agency_approve`,
`period_score`, `period_start_review`, `period_publish`, `period_lock`, `appeal_file`,
`appeal_decide`, `quota_exception_record`, `quota_exception_change`,
`quota_exception_remove`), so their rules are enforced once, and where a page refuses the
caller before reading the form (the board's period steps and quota exceptions:
`services.can_manage_periods`, then `can_manage_quota_exception` for an exception's change;
the review screen: `services.can_assess` / `assessable`; deciding an appeal:
`services.can_decide_appeal`), the endpoint asks the same function first (403). The body's
shape is checked next (400 `invalid`, by field), then the service's rules: a refusal is 400
with the service's code and, where it names one, the field (`reason_required` on `reason`,
`period_locked`, `period_status`, `period_closed`, ...), or 403 `forbidden`, in the caller's
language. A refusal writes nothing. Computing a period's cards (`score/`, and every change
of assessments) runs in the request, as on the pages.
"""
from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from django.db.models import Count
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from thuocdo.core.api import ScopedAPIMixin, error_responses
from thuocdo.core.errors import PermissionDeniedError, ServiceError
from thuocdo.org import selectors as org_selectors
from thuocdo.org.filters import SelectorFilterBackend
from thuocdo.org.models import Unit

from . import selectors, services
from .choices import SCORABLE, AppealStatus, CardStatus, PeriodStatus
from .filters import AppealFilter, CardFilter, PeriodFilter, QuotaExceptionFilter
from .models import Appeal, Period, QuotaException, ScoreCard
from .serializers import (
    AppealDecisionSerializer,
    AppealDetailSerializer,
    AppealFileSerializer,
    AppealSerializer,
    AssessmentSerializer,
    NoteSerializer,
    PeriodActedSerializer,
    PeriodDetailSerializer,
    PeriodSerializer,
    PublishSerializer,
    QuotaExceptionChangeSerializer,
    QuotaExceptionDetailSerializer,
    QuotaExceptionRemovedSerializer,
    QuotaExceptionRemoveSerializer,
    QuotaExceptionSavedSerializer,
    QuotaExceptionSerializer,
    QuotaExceptionWriteSerializer,
    ScoreCardAssessedSerializer,
    ScoreCardDetailSerializer,
    ScoreCardSerializer,
    SelfScoreSerializer,
    UnitApprovedSerializer,
    UnitAssessedSerializer,
    UnitAssessmentsSerializer,
    UnitProcedureSerializer,
    UnitReviewedSerializer,
)

TAGS = ["evaluations"]

LABEL_PARAMETER = OpenApiParameter("label", str, OpenApiParameter.PATH,
                                   description="The period: YYYY-MM, YYYY-Qn or YYYY.")
CARD_PARAMETERS = [
    OpenApiParameter("period", str, OpenApiParameter.PATH,
                     description="The card's period: YYYY-MM, YYYY-Qn or YYYY."),
    OpenApiParameter("official", str, OpenApiParameter.PATH,
                     description="The code of the card's official."),
]
APPEAL_PARAMETER = OpenApiParameter("appeal_id", int, OpenApiParameter.PATH,
                                    description="The appeal's number.")

PERIOD_EXAMPLE = {"label": "2026-10", "name": "tháng 10/2026", "kind": "month",
                  "start": "2026-10-01", "end": "2026-10-31", "status": "published",
                  "appeal_until": "2026-11-15", "scored_at": "2026-11-02T07:30:00+07:00",
                  "rubric_version": "ND335-2025/1", "engine_version": "scoring/1.6"}
APPEAL_EXAMPLE = {"id": 12, "period": "2026-10", "official": "CG.STAFF",
                  "name": "Lê Văn Cường", "status": "pending",
                  "reason": "Báo cáo BC-07 nộp đúng hạn theo văn bản gia hạn.",
                  "filed_at": "2026-11-06T09:12:00+07:00",
                  "filed_by": {"official": "CG.STAFF", "name": "Lê Văn Cường"},
                  "decision": "", "decided_at": None, "decided_by": None}


def _found(getter, **kwargs):
    try:
        return getter(**kwargs)
    except ObjectDoesNotExist:
        raise Http404 from None


class _ScopedViewSet(ScopedAPIMixin, viewsets.GenericViewSet):
    filter_backends = [SelectorFilterBackend]


# -- periods ------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        operation_id="evaluation_periods_list",
        summary="List evaluation periods",
        description="Every evaluation period (kỳ đánh giá), newest first: where its procedure "
                    "stands (open → scoring → review → approved → published → locked) is "
                    "no secret, so every logged-in user reads them all.",
        responses={200: PeriodSerializer(many=True), **error_responses(400, 403)},
        examples=[OpenApiExample("A published month", value=PERIOD_EXAMPLE,
                                 response_only=True)],
        tags=TAGS,
    ),
    retrieve=extend_schema(
        operation_id="evaluation_periods_retrieve",
        summary="One evaluation period",
        description="A period by label, with how many of its cards the caller reads stand in "
                    "each status (as the period's page counts them) and whether appeals are "
                    "accepted today. 404 if it was never opened.",
        parameters=[LABEL_PARAMETER],
        responses={200: PeriodDetailSerializer, **error_responses(403, 404)},
        examples=[OpenApiExample(
            "A published month", response_only=True,
            value={**PERIOD_EXAMPLE, "card_counts": {"draft": 0, "reviewed": 0,
                                                     "approved": 42},
                   "accepting_appeals": True, "allowed_actions": []})],
        tags=TAGS,
    ),
)
class PeriodViewSet(mixins.ListModelMixin, _ScopedViewSet):
    """Evaluation periods, by label."""

    serializer_class = PeriodSerializer
    filterset_class = PeriodFilter
    lookup_field = "label"
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        return selectors.period_list(scope=self.scope)

    def _period(self) -> Period:
        return _found(selectors.period_get, scope=self.scope, label=self.kwargs["label"])

    def _with_detail(self, period: Period) -> Period:
        """The period with what its detail adds: the caller's cards by status, whether
        appeals are accepted, and the steps the caller may take now (`_period_actions`)."""
        counts = dict(selectors.card_list(scope=self.scope, period=period).order_by()
                      .values_list("status").annotate(n=Count("pk")))
        period.card_counts = {value: counts.get(value, 0) for value in CardStatus.values}
        period.accepting_appeals = services.appeal_refusal(period) is None
        period.allowed_actions = _period_actions(self.scope, period)
        return period

    def retrieve(self, request, label=None):
        return Response(PeriodDetailSerializer(self._with_detail(self._period())).data)

    def _managed(self, message: str) -> Period:
        """The period named in the URL, for a step the organisation board takes: as the
        period page, anyone else is refused (403) before the body is read."""
        period = self._period()
        if not services.can_manage_periods(self.scope):
            raise PermissionDeniedError(message, code="forbidden")
        return period

    @staticmethod
    def _body(request, serializer_class=NoteSerializer) -> dict:
        """The request's body, checked for its shape (400 `invalid` by field)."""
        body = serializer_class(data=request.data)
        body.is_valid(raise_exception=True)
        return body.validated_data

    def _acted(self, *, scored=None, notified: int | None = None) -> Response:
        """The period as it stands after a step, with what the step did."""
        period = self._with_detail(self._period())
        period.scored = scored
        period.notified = notified
        return Response(PeriodActedSerializer(period).data)

    @extend_schema(
        operation_id="evaluation_periods_score",
        summary="Compute the period's cards",
        description="Compute every card of the period with the engine and store it, as the "
                    "period page's \"Compute the cards\" does, in the request (a large "
                    "period takes a while). Open → self-scoring; the officials whose card is "
                    "new are told they can self-score. A card whose content changed goes "
                    "back to draft (`scored.to_draft`); an approval whose quota outcome "
                    "changed is undone (`scored.unapproved`). By the organisation board or "
                    "the administrator (403 otherwise). Refusals: 400 `period_not_ended` "
                    "(field `period`: cards are computed from the day after the period's "
                    "end), `period_closed` (approved, published or locked: never computed "
                    "again). Answers the period with what the run did.",
        parameters=[LABEL_PARAMETER],
        request=NoteSerializer,
        responses={200: PeriodActedSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def score(self, request, label=None):
        period = self._managed(_("Only the organisation board computes the cards of a "
                                 "period."))
        note = self._body(request).get("note", "")
        result = services.period_score(actor=request.user, period=period,
                                       reason=note or _("computed through the API"))
        return self._acted(scored=result, notified=result.notified)

    @extend_schema(
        operation_id="evaluation_periods_start_review",
        summary="End self-scoring, start the review",
        description="Self-scoring → under review: the heads assess the general criteria and "
                    "review their units' cards; each leader who reviews cards is told "
                    "which units'. By the organisation board or the administrator (403 "
                    "otherwise). Refusal: 400 `period_status` (the period is not "
                    "self-scoring; locked: its grades are final). Answers the period.",
        parameters=[LABEL_PARAMETER],
        request=NoteSerializer,
        responses={200: PeriodActedSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    @action(detail=True, methods=["post"], url_path="start-review", url_name="start-review",
            filter_backends=[])
    def start_review(self, request, label=None):
        period = self._managed(_("Only the organisation board starts the review."))
        note = self._body(request).get("note", "")
        period = services.period_start_review(actor=request.user, period=period, reason=note)
        return self._acted(notified=services.notified_count(period, "review"))

    @extend_schema(
        operation_id="evaluation_periods_publish",
        summary="Publish the approved grades",
        description="Approved → published: every official with a card is told their grade, "
                    "and appeals are accepted up to and including `appeal_until`, "
                    "`appeal_days` days after today. By the organisation board or the "
                    "administrator (403 otherwise). Refusals: 400 `invalid` (field "
                    "`appeal_days`: 0–60), `period_status` (not approved; locked: its "
                    "grades are final). Answers the period.",
        parameters=[LABEL_PARAMETER],
        request=PublishSerializer,
        responses={200: PeriodActedSerializer, **error_responses(400, 403, 404)},
        examples=[OpenApiExample("Ten days for appeals", request_only=True,
                                 value={"appeal_days": 10})],
        tags=TAGS,
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def publish(self, request, label=None):
        period = self._managed(_("Only the organisation board publishes the grades."))
        data = self._body(request, PublishSerializer)
        period = services.period_publish(
            actor=request.user, period=period, reason=data.get("note", ""),
            appeal_days=data.get("appeal_days", services.APPEAL_DAYS))
        return self._acted(notified=services.notified_count(period, "published"))

    @extend_schema(
        operation_id="evaluation_periods_lock",
        summary="Lock the period",
        description="Published → locked, once the appeal window has passed and every appeal "
                    "is decided: the grades are final; the period is never computed or "
                    "changed again. By the organisation board or the administrator (403 "
                    "otherwise). Refusals: 400 `period_status` (not published), "
                    "`appeal_window_open`, `appeals_pending`. Answers the period.",
        parameters=[LABEL_PARAMETER],
        request=NoteSerializer,
        responses={200: PeriodActedSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def lock(self, request, label=None):
        period = self._managed(_("Only the organisation board locks a period."))
        note = self._body(request).get("note", "")
        services.period_lock(actor=request.user, period=period, reason=note)
        return self._acted()


def _period_actions(scope, period: Period) -> list[str]:
    """The steps of the period's procedure the caller may take now, as the period page
    offers them: the board's and the administrator's (`services.can_manage_periods`);
    computing the cards while they may be computed (`SCORABLE`) once the period has ended
    (`services.ended_refusal`); locking when `services.lock_refusal` accepts it."""
    if not services.can_manage_periods(scope):
        return []
    actions = []
    if period.status in SCORABLE and services.ended_refusal(period) is None:
        actions.append("score")
    if period.status == PeriodStatus.SCORING:
        actions.append("start_review")
    if period.status == PeriodStatus.APPROVED:
        actions.append("publish")
    if services.lock_refusal(period) is None:
        actions.append("lock")
    return actions


# -- cards --------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        operation_id="score_cards_list",
        summary="List score cards",
        description="The stored score cards the caller reads, as the card pages show them: "
                    "an official their own; leaders, the organisation board and inspectors "
                    "those of the units in their subtree; administrators all. Filters only "
                    "narrow that scope. Newest period first, then by official code. Each "
                    "card is exactly an object of `thuocdo score --json` (docs/scoring.md, "
                    "\"The JSON of a card\") plus `period_status`, `self_points`, "
                    "`self_note`, `reviewed_by` and `approved_by`.",
        responses={200: ScoreCardSerializer(many=True), **error_responses(400, 403)},
        tags=TAGS,
    ),
    retrieve=extend_schema(
        operation_id="score_cards_retrieve",
        summary="One score card",
        description="A card by period and official, with every deduction and its reason, "
                    "the formula, the reasons, its appeals and whether the caller may appeal "
                    "it now. 404 if it does not exist or the caller may not read it (a "
                    "colleague's card, another unit's).",
        parameters=CARD_PARAMETERS,
        responses={200: ScoreCardDetailSerializer, **error_responses(403, 404)},
        tags=TAGS,
    ),
)
class ScoreCardViewSet(mixins.ListModelMixin, _ScopedViewSet):
    """Stored score cards (phiếu đánh giá), by period and official."""

    serializer_class = ScoreCardSerializer
    filterset_class = CardFilter

    def get_queryset(self):
        return selectors.card_search(scope=self.scope)

    def _card(self):
        return _found(selectors.card_get, scope=self.scope, label=self.kwargs["period"],
                      official=self.kwargs["official"])

    def _detail(self, card: ScoreCard) -> dict:
        card.appeal_rows = selectors.appeals_of(card=card)
        card.allowed_actions = _card_actions(self.scope, card)
        return ScoreCardDetailSerializer(card).data

    def retrieve(self, request, period=None, official=None):
        return Response(self._detail(self._card()))

    @extend_schema(
        operation_id="score_cards_appeal",
        summary="Appeal one's own card",
        description="The card's official appeals their published card, with a reason, up to "
                    "and including the period's `appeal_until`; one appeal per card. Those "
                    "who decide it are told. Refusals: 403 (not the card's official), 400 "
                    "`period_locked`, `period_status` (not published), "
                    "`appeal_window_closed`, `reason_required` (field `reason`), "
                    "`appeal_pending` or `appeal_decided` (one appeal per card); 404 if the "
                    "caller does not read the card. Nothing is written on a refusal.",
        parameters=CARD_PARAMETERS,
        request=AppealFileSerializer,
        responses={201: AppealDetailSerializer, **error_responses(400, 403, 404)},
        examples=[
            OpenApiExample("An appeal", request_only=True,
                           value={"reason": "Báo cáo BC-07 nộp đúng hạn theo văn bản gia "
                                            "hạn."}),
            OpenApiExample("Filed", response_only=True, status_codes=["201"],
                           value={**APPEAL_EXAMPLE, "can_decide": False}),
        ],
        tags=TAGS,
    )
    def appeal(self, request, period=None, official=None):
        card = self._card()
        body = AppealFileSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        appeal = services.appeal_file(actor=request.user, card=card,
                                      reason=body.validated_data.get("reason", ""))
        appeal = selectors.appeal_get(scope=self.scope, pk=appeal.pk)
        appeal.can_decide = False  # never the appellant
        location = reverse("api:appeal-detail", kwargs={"appeal_id": appeal.pk})
        return Response(AppealDetailSerializer(appeal).data, status=status.HTTP_201_CREATED,
                        headers={"Location": location})

    @extend_schema(
        operation_id="score_cards_self_score",
        summary="Self-score one's own card",
        description="The card's official proposes their general criteria (0–30), with an "
                    "optional note: advisory to whoever assesses them. Again as often as "
                    "they like while the period is self-scoring or under review, until "
                    "their general criteria are assessed. Refusals: 403 (not the card's "
                    "official), 400 `invalid` (field `general_points`: missing, not a "
                    "number, more than 2 decimals), `general_points` (field "
                    "`general_points`: outside 0–30), `period_status` (the period is not "
                    "self-scoring or under review), `already_assessed`; 404 if the caller "
                    "does not read the card. Nothing is written on a refusal. Answers the "
                    "card.",
        parameters=CARD_PARAMETERS,
        request=SelfScoreSerializer,
        responses={200: ScoreCardDetailSerializer, **error_responses(400, 403, 404)},
        examples=[OpenApiExample("A self-score", request_only=True,
                                 value={"general_points": 28,
                                        "note": "Hoàn thành đúng hạn các báo cáo."})],
        tags=TAGS,
    )
    def self_score(self, request, period=None, official=None):
        card = self._card()
        body = SelfScoreSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.card_self_score(actor=request.user, card=card,
                                 general_points=body.validated_data["general_points"],
                                 note=body.validated_data.get("note", ""))
        return Response(self._detail(self._card()))

    @extend_schema(
        operation_id="score_cards_assess",
        summary="Assess the general criteria of a card's official",
        description="Set the official's general criteria (0–30), with a written reason for "
                    "any deduction and, for a head or deputy, their capacity to organise "
                    "(đ) and to unite (e), each 0–1; then the period's cards are computed "
                    "again, in the request (a card whose content changed goes back to "
                    "draft). To assess a unit's officials at once, computing the cards "
                    "once, use `POST /api/evaluations/units/{period}/{unit}/assessments/`. "
                    "By whoever assesses the official: a leader of their unit or of a unit "
                    "above (a leader's card: a leader above them, a deputy's also the head "
                    "of their unit; with no leader above, the organisation board over "
                    "their unit), or the administrator; nobody assesses themself (403 "
                    "otherwise, before the body is read). Refusals: 400 `invalid` (a field "
                    "missing, not a number, too many digits), `general_points` (outside "
                    "0–30), `reason_required` (field `reason`), `leader_rating` (field "
                    "`organising` or `uniting`: missing or outside 0–1 for a leader), "
                    "`period_closed` (approved, published or locked); 404 if the caller "
                    "does not read the card. Nothing is written on a refusal. Answers the "
                    "card as computed again, with what the save did as the unit's "
                    "assessments answer it: `changed` and `scored`, the officials whose "
                    "review (`to_draft`) or approval (`unapproved`) computing the cards "
                    "undid, this one's or, by the HTXS quota, others'.",
        parameters=CARD_PARAMETERS,
        request=AssessmentSerializer,
        responses={200: ScoreCardAssessedSerializer, **error_responses(400, 403, 404)},
        examples=[OpenApiExample("A deduction with its reason", request_only=True,
                                 value={"general_points": 27,
                                        "reason": "Chậm nộp một báo cáo tháng."}),
                  OpenApiExample("A leader", request_only=True,
                                 value={"general_points": 30, "organising": 0.9,
                                        "uniting": 1})],
        tags=TAGS,
    )
    def assess(self, request, period=None, official=None):
        card = self._card()
        # the service's own rule, first, as the review screen asks it
        if not services.can_assess(self.scope, card):
            raise PermissionDeniedError(_("You may not assess %(o)s.")
                                        % {"o": card.official.code}, code="forbidden")
        body = AssessmentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        # `assessment_set` is this one row; the save's result says whose review or approval
        # computing the cards undid, as the unit's endpoint and the review screen say it
        saved = services.assessments_save(
            actor=request.user, period=card.period,
            rows=[services.AssessmentRow(card.official, data["general_points"],
                                         data.get("reason", ""), data.get("organising"),
                                         data.get("uniting"))])
        card = self._card()
        card.appeal_rows = selectors.appeals_of(card=card)
        card.allowed_actions = _card_actions(self.scope, card)
        card.saved = saved
        return Response(ScoreCardAssessedSerializer(card).data)


def _card_actions(scope, card: ScoreCard) -> list[str]:
    """What the caller may do with the card now, by the services' own rules, as the card's
    page and the review screen offer it: appeal (`appeal_refusal`, one appeal per card:
    `second_appeal_refusal`) and self-score (`self_score_refusal`) their own card; assess
    an official they assess (`can_assess`) while the cards may change (`SCORABLE`, the
    rule of `assessments_save`)."""
    actions = []
    own = scope.official_id == card.official_id
    if own and (services.appeal_refusal(card.period, card=card) is None
                and services.second_appeal_refusal(card) is None):
        actions.append("appeal")
    if own and services.self_score_refusal(card) is None:
        actions.append("self_score")
    if card.period.status in SCORABLE and services.can_assess(scope, card):
        actions.append("assess")
    return actions


# -- a unit's procedure: assessments, review, approval ------------------------------------


UNIT_PARAMETERS = [
    OpenApiParameter("period", str, OpenApiParameter.PATH,
                     description="The period: YYYY-MM, YYYY-Qn or YYYY."),
    OpenApiParameter("unit", str, OpenApiParameter.PATH,
                     description="The unit's code (an agency's, to approve)."),
]
UNIT_EXAMPLE = {"period": "2026-10", "period_status": "review", "unit": "HN.CG.VP",
                "name": "Văn phòng HĐND và UBND quận", "assessable": ["CG.STAFF", "CG.STAFF2"],
                "to_review": ["CG.STAFF2"], "to_approve": [], "not_reviewed": [],
                "allowed_actions": ["assess", "review"]}


class EvaluationUnitViewSet(_ScopedViewSet):
    """A unit's cards in a period as its head handles them: the general criteria assessed,
    the review confirmed, the agency's approval. The same checks as the review screen and
    the ranking page (`views.unit_review`, `views.agency_approve`): the unit is one whose
    cards the caller lists (`selectors.unit_get`, else 404), those they assess there are
    `services.assessable`'s, and every write is the services'."""

    serializer_class = UnitProcedureSerializer

    def _context(self) -> tuple[Period, Unit]:
        period = _found(selectors.period_get, scope=self.scope, label=self.kwargs["period"])
        unit = _found(selectors.unit_get, scope=self.scope, code=self.kwargs["unit"])
        return period, unit

    def _own_cards(self, period: Period, unit: Unit) -> list[ScoreCard]:
        """The cards of the unit itself (not of the units below), as its review screen
        lists them."""
        return list(selectors.unit_cards(scope=self.scope, period=period, unit=unit)
                    .filter(unit=unit).order_by("official__code"))

    def _assessable(self, period: Period, unit: Unit) -> list[ScoreCard]:
        """The unit's cards the caller assesses and reviews: none, and the review screen is
        refused (403) before the body is read."""
        cards = services.assessable(self.scope, self._own_cards(period, unit))
        if not cards:
            raise PermissionDeniedError(_("You review no card of this unit."), code="forbidden")
        return cards

    def _state(self, period: Period, unit: Unit) -> dict:
        """What the ranking page says of the unit for the caller (`views.unit_ranking`):
        whom they assess and review, what an approval from here covers and waits for."""
        period = selectors.period_get(scope=self.scope, label=period.label)  # as it stands
        assessable = services.assessable(self.scope, self._own_cards(period, unit))
        under_review = period.status == PeriodStatus.REVIEW
        approvable, _own = (selectors.approval_cards(scope=self.scope, period=period,
                                                     unit=unit)
                            if under_review else ([], None))
        waiting = services.not_reviewed(approvable, unit)
        to_approve = [c.official.code for c in approvable if c.status == CardStatus.REVIEWED]
        # as the review screen offers "confirm the review": under review, a draft left
        to_review = services.to_review(assessable)
        actions = []
        if assessable and period.status in SCORABLE:
            actions.append("assess")
        if to_review and under_review:
            actions.append("review")
        if to_approve and not waiting:
            actions.append("approve")
        return {"period": period.label, "period_status": period.status, "unit": unit.code,
                "name": unit.name, "assessable": [c.official.code for c in assessable],
                "to_review": [c.official.code for c in to_review],
                "to_approve": to_approve, "not_reviewed": waiting, "allowed_actions": actions}

    @staticmethod
    def _note(request) -> str:
        """The optional note of the step, kept as its reason in the audit trail."""
        body = NoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return body.validated_data.get("note", "")

    @extend_schema(
        operation_id="evaluation_units_retrieve",
        summary="A unit's procedure",
        description="Where the unit's cards of the period stand for the caller: whom they "
                    "assess and review there, what an approval from the unit covers and "
                    "waits for, and what they may do now. 404 if the period was never "
                    "opened or the caller does not list the unit's cards (leaders, the "
                    "board and inspectors over it; the administrator).",
        parameters=UNIT_PARAMETERS,
        responses={200: UnitProcedureSerializer, **error_responses(403, 404)},
        examples=[OpenApiExample("A division under review", value=UNIT_EXAMPLE,
                                 response_only=True)],
        tags=TAGS,
    )
    def retrieve(self, request, period=None, unit=None):
        return Response(UnitProcedureSerializer(self._state(*self._context())).data)

    @extend_schema(
        operation_id="evaluation_units_assessments",
        summary="Assess a unit's officials",
        description="The review screen's save: the general criteria of several officials of "
                    "the unit, each with a written reason for any deduction and, for a head "
                    "or deputy, đ and e (0–1); all or nothing; then the period's cards are "
                    "computed once, in the request. Refusals: 403 if the caller assesses "
                    "nobody in the unit (before the body is read) or an official of a row "
                    "(`forbidden`); 400 `invalid` (a row's field missing, not a number, too "
                    "many digits), `not_in_unit` (the row's official has no card of the "
                    "unit in the period), `listed_twice`, `general_points`, "
                    "`reason_required`, `leader_rating`, each named on its row "
                    "(`{\"assessments\": [{}, {\"reason\": [\"...\"]}]}`), "
                    "`period_closed` (approved, published or locked). Nothing is written "
                    "on a refusal. Answers the unit with how many assessments changed and "
                    "what computing the cards did.",
        parameters=UNIT_PARAMETERS,
        request=UnitAssessmentsSerializer,
        responses={200: UnitAssessedSerializer, **error_responses(400, 403, 404)},
        examples=[OpenApiExample(
            "Two officials", request_only=True,
            value={"assessments": [
                {"official": "CG.STAFF", "general_points": 27,
                 "reason": "Chậm nộp một báo cáo tháng."},
                {"official": "CG.STAFF2", "general_points": 30}]})],
        tags=TAGS,
    )
    def assessments(self, request, period=None, unit=None):
        period, unit = self._context()
        self._assessable(period, unit)
        body = UnitAssessmentsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        cards = {c.official.code.casefold(): c for c in self._own_cards(period, unit)}
        rows: list[services.AssessmentRow] = []
        for index, item in enumerate(body.validated_data["assessments"]):
            where = ("assessments", index, "official")
            card = cards.get(item["official"].strip().casefold())
            if card is None:
                raise ServiceError(_("%(o)s has no card of %(u)s in %(p)s.")
                                   % {"o": item["official"], "u": unit.code,
                                      "p": period.name}, code="not_in_unit", field=where)
            if any(row.official.pk == card.official_id for row in rows):
                raise ServiceError(_("%(o)s is listed twice.") % {"o": card.official.code},
                                   code="listed_twice", field=where)
            rows.append(services.AssessmentRow(
                card.official, item["general_points"], item.get("reason", ""),
                item.get("organising"), item.get("uniting")))
        try:
            saved = services.assessments_save(actor=request.user, period=period, rows=rows)
        except ServiceError as exc:
            raise _row_refused(exc, actor=request.user, period=period, rows=rows) from None
        return Response(UnitAssessedSerializer(
            {**self._state(period, unit), "changed": saved.changed,
             "scored": saved.scored}).data)

    @extend_schema(
        operation_id="evaluation_units_review",
        summary="Confirm the review of a unit's cards",
        description="The head confirms the review of the unit's cards they assess: their "
                    "drafts become reviewed, and those who approve them are told. Refusals: "
                    "403 if the caller assesses nobody in the unit; 400 `period_status` "
                    "(not under review), `nothing_to_review` (every card the caller reviews "
                    "there is already reviewed: `review` is not in `allowed_actions`), "
                    "`not_assessed` (a card's general criteria not assessed yet). Nothing "
                    "is written on a refusal. Answers the unit with how many cards became "
                    "reviewed.",
        parameters=UNIT_PARAMETERS,
        request=NoteSerializer,
        responses={200: UnitReviewedSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def review(self, request, period=None, unit=None):
        period, unit = self._context()
        self._assessable(period, unit)
        reviewed = services.unit_review(actor=request.user, period=period, unit=unit,
                                        reason=self._note(request))
        return Response(UnitReviewedSerializer(
            {**self._state(period, unit), "reviewed": reviewed}).data)

    @extend_schema(
        operation_id="evaluation_units_approve",
        summary="Approve an agency's cards",
        description="As the agency's ranking page approves: every reviewed card there the "
                    "caller approves (the head of the agency: its cards but their own, and "
                    "those of the heads of the agencies below; the organisation board over "
                    "it: the heads' cards; the administrator: any but their own), with an "
                    "optional note kept as the approval's reason; when every card of the "
                    "period is approved, the period is approved. Refusals: 403 (the caller "
                    "approves nothing here); 400 `period_status` (not under review), "
                    "`not_reviewed` (some of the agency's cards are not reviewed yet), "
                    "`own_card`, `no_cards`. Nothing is written on a refusal. Answers the "
                    "unit with how many cards became approved.",
        parameters=UNIT_PARAMETERS,
        request=NoteSerializer,
        responses={200: UnitApprovedSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def approve(self, request, period=None, unit=None):
        period, unit = self._context()
        note = self._note(request)
        approved = services.agency_approve(actor=request.user, period=period, agency=unit,
                                           reason=note)
        return Response(UnitApprovedSerializer(
            {**self._state(period, unit), "approved": approved}).data)


def _row_refused(exc: ServiceError, *, actor, period: Period,
                 rows: list[services.AssessmentRow]) -> ServiceError:
    """`exc`, the refusal of `services.assessments_save`, on the row it refused. The service
    checks the rows in order and names only the field; the first row it refuses on its own
    is that row: each is tried alone, in a transaction rolled back, the error path only. A
    refusal of the whole (the period's state, a forbidden official) stays as it is."""
    if isinstance(exc, PermissionDeniedError) or exc.field is None:
        return exc
    for index, row in enumerate(rows):
        try:
            with transaction.atomic():
                services.assessments_save(actor=actor, period=period, rows=[row],
                                          rescore=False)
                transaction.set_rollback(True)
        except ServiceError as refused:
            if (refused.service_code, refused.field) == (exc.service_code, exc.field):
                return ServiceError(refused.service_message, code=refused.service_code,
                                    field=("assessments", index, *refused.path))
    return exc


# -- appeals ------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        operation_id="appeals_list",
        summary="List appeals",
        description="The appeals on the cards the caller reads (the appellant reads their "
                    "own), newest first; with `waiting=true`, only the pending ones the "
                    "caller decides (the head of the card's agency, the organisation board "
                    "over it), oldest first.",
        responses={200: AppealSerializer(many=True), **error_responses(400, 403)},
        examples=[OpenApiExample("A pending appeal", value=APPEAL_EXAMPLE,
                                 response_only=True)],
        tags=TAGS,
    ),
    retrieve=extend_schema(
        operation_id="appeals_retrieve",
        summary="One appeal",
        description="An appeal by number, with whether the caller may decide it. 404 if the "
                    "caller does not read its card.",
        parameters=[APPEAL_PARAMETER],
        responses={200: AppealDetailSerializer, **error_responses(403, 404)},
        examples=[OpenApiExample("A pending appeal", response_only=True,
                                 value={**APPEAL_EXAMPLE, "can_decide": True})],
        tags=TAGS,
    ),
)
class AppealViewSet(mixins.ListModelMixin, _ScopedViewSet):
    """Appeals (khiếu nại) on published cards, and their decision."""

    serializer_class = AppealSerializer
    filterset_class = AppealFilter
    lookup_url_kwarg = "appeal_id"
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        return selectors.appeal_list(scope=self.scope)

    def _appeal(self) -> Appeal:
        return _found(selectors.appeal_get, scope=self.scope, pk=int(self.kwargs["appeal_id"]))

    def _detail(self, appeal: Appeal) -> dict:
        appeal.can_decide = (appeal.status == AppealStatus.PENDING
                             and services.can_decide_appeal(self.scope, appeal.card))
        return AppealDetailSerializer(appeal).data

    def retrieve(self, request, appeal_id=None):
        return Response(self._detail(self._appeal()))

    @extend_schema(
        operation_id="appeals_decide",
        summary="Decide an appeal",
        description="Accept or reject a pending appeal, with a reason; an accepted appeal may "
                    "correct the general criteria (`general_points`), and the appellant's "
                    "card is computed again (never worse than published). The appellant is "
                    "told. By the head of the card's agency, the organisation board over it "
                    "or an administrator, never the appellant (403 otherwise). Refusals: 400 "
                    "`reason_required` (field `reason`), `appeal_decided`, `period_closed` "
                    "(the period is no longer published, e.g. locked), `appeal_points`, "
                    "`general_points`, `appeal_worsens` (field `general_points`). Nothing is "
                    "written on a refusal. Answers the decided appeal.",
        parameters=[APPEAL_PARAMETER],
        request=AppealDecisionSerializer,
        responses={200: AppealDetailSerializer, **error_responses(400, 403, 404)},
        examples=[OpenApiExample(
            "Reject", request_only=True,
            value={"accepted": False, "reason": "Văn bản gia hạn ban hành sau hạn nộp."})],
        tags=TAGS,
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def decide(self, request, appeal_id=None):
        appeal = self._appeal()
        # the service's own rule, first, as the page asks it: who decides is answered
        # before the body is read
        if not services.can_decide_appeal(self.scope, appeal.card):
            raise PermissionDeniedError(
                _("Only the head of the agency or the board decides this appeal."),
                code="forbidden")
        body = AppealDecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        services.appeal_decide(actor=request.user, appeal=appeal, accepted=data["accepted"],
                               reason=data.get("reason", ""),
                               general_points=data.get("general_points"))
        return Response(self._detail(self._appeal()))


# -- approved exceptions to the HTXS quota ------------------------------------------------


EXCEPTION_PARAMETER = OpenApiParameter("exception_id", int, OpenApiParameter.PATH,
                                       description="The exception's number.")
EXCEPTION_EXAMPLE = {"id": 7, "agency": "HN.CG", "agency_name": "UBND quận Cầu Giấy",
                     "valid_from": "2026-12-01", "valid_to": "2026-12-31", "share": 0.3,
                     "decision": "15/QĐ-UBND", "decided_on": "2026-11-20",
                     "reason": "Đơn vị dẫn đầu phong trào thi đua năm 2026",
                     "recorded_by": {"official": None, "name": "Ban Tổ chức"},
                     "recorded_at": "2026-11-21T09:00:00+07:00"}
EXCEPTION_REQUEST = {key: EXCEPTION_EXAMPLE[key] for key in (
    "agency", "valid_from", "valid_to", "share", "decision", "decided_on", "reason")}
EXCEPTION_REFUSALS = (
    "`exception_agency` (field `agency`: not an agency), `unknown_unit` (field `agency`: no "
    "unit the caller reads has the code), `exception_day` (a day outside 1900–2999), "
    "`exception_span` (field `valid_to`: before `valid_from`), `exception_decided_on` (a "
    "decision dated in the future), `exception_decision` (no number, or longer than 64 "
    "characters), `reason_required` (field `reason`), `exception_share` (field `share`: not "
    "above the rubric's share, above 1, or more than 4 decimals), `exception_overlap` "
    "(field `valid_from`: another exception of the agency is in force on one of the days), "
    "`period_fixed` (field `valid_from`: a period ending on one of the days is approved, "
    "published or locked; the message names it)")


@extend_schema_view(
    list=extend_schema(
        operation_id="quota_exceptions_list",
        summary="List approved exceptions to the HTXS quota",
        description="The exceptions of the agencies the caller reads, the latest in force "
                    "first, as the board's page lists them (Scores → Exceptions to the HTXS "
                    "quota). The organisation board and the administrator only (403 "
                    "otherwise).",
        responses={200: QuotaExceptionSerializer(many=True), **error_responses(400, 403)},
        examples=[OpenApiExample("An exception", value=EXCEPTION_EXAMPLE,
                                 response_only=True)],
        tags=TAGS,
    ),
    retrieve=extend_schema(
        operation_id="quota_exceptions_retrieve",
        summary="One exception to the HTXS quota",
        description="An exception by number, with what the caller may do with it. The "
                    "organisation board and the administrator (403 otherwise); 404 if the "
                    "caller does not read its agency.",
        parameters=[EXCEPTION_PARAMETER],
        responses={200: QuotaExceptionDetailSerializer, **error_responses(403, 404)},
        examples=[OpenApiExample("An exception", response_only=True,
                                 value={**EXCEPTION_EXAMPLE,
                                        "allowed_actions": ["change", "remove"]})],
        tags=TAGS,
    ),
    create=extend_schema(
        operation_id="quota_exceptions_create",
        summary="Record an approved exception to the HTXS quota",
        description="As the board's page records it (`services.quota_exception_record`): "
                    "in the agency, the share replaces the rubric's for every period ending "
                    "from `valid_from` to `valid_to`; `reason` is kept in the audit trail. "
                    "By the organisation board (for the agencies granted to it) and the "
                    "administrator (403 otherwise, before the body is read). Refusals: 400 "
                    f"`invalid` (the body's shape, by field), {EXCEPTION_REFUSALS}; 403 for "
                    "an agency the board was not granted. Nothing is written on a refusal. "
                    "Answers the exception and the periods to score again.",
        request=QuotaExceptionWriteSerializer,
        responses={201: QuotaExceptionSavedSerializer, **error_responses(400, 403)},
        examples=[OpenApiExample("30% in December", request_only=True,
                                 value=EXCEPTION_REQUEST)],
        tags=TAGS,
    ),
    update=extend_schema(
        operation_id="quota_exceptions_update",
        summary="Change an exception to the HTXS quota",
        description="Every field again, with `why` (`services.quota_exception_change`): the "
                    "audit trail keeps each value before and after with it; nothing changed, "
                    "nothing is written. By the administrator and the organisation board "
                    "granted a unit that holds the agency (403 otherwise, before the body "
                    "is read); 404 if the caller does not read the exception. Refusals: as "
                    "recording one, checked for the days before and after the change, and "
                    "`reason_required` (field `why`). Nothing is written on a refusal.",
        parameters=[EXCEPTION_PARAMETER],
        request=QuotaExceptionChangeSerializer,
        responses={200: QuotaExceptionSavedSerializer, **error_responses(400, 403, 404)},
        examples=[OpenApiExample("A corrected share", request_only=True,
                                 value={**EXCEPTION_REQUEST, "share": 0.35,
                                        "why": "Sửa tỷ lệ theo quyết định"})],
        tags=TAGS,
    ),
    partial_update=extend_schema(
        operation_id="quota_exceptions_partial_update",
        summary="Change some fields of an exception to the HTXS quota",
        description="As `PUT`, the fields left out keeping their values; `why` is "
                    "required.",
        parameters=[EXCEPTION_PARAMETER],
        request=QuotaExceptionChangeSerializer(partial=True),
        responses={200: QuotaExceptionSavedSerializer, **error_responses(400, 403, 404)},
        examples=[OpenApiExample("A corrected share", request_only=True,
                                 value={"share": 0.35, "why": "Sửa tỷ lệ theo quyết định"})],
        tags=TAGS,
    ),
)
class QuotaExceptionViewSet(mixins.ListModelMixin, _ScopedViewSet):
    """Approved exceptions to the HTXS quota (decision 0006), the organisation board's and
    the administrator's, as on the board's page (`views.quota_exception_list`, `_add`,
    `_change`, `_remove`): everyone else is refused (403) before anything is read."""

    serializer_class = QuotaExceptionSerializer
    filterset_class = QuotaExceptionFilter
    lookup_url_kwarg = "exception_id"
    lookup_value_regex = "[0-9]+"

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # the page's rule, first (`views._board_only`)
        if not services.can_manage_periods(self.scope):
            raise PermissionDeniedError(
                _("Only the organisation board and the administrator read and record the "
                  "exceptions to the HTXS quota."), code="forbidden")

    def get_queryset(self):
        return selectors.quota_exception_list(scope=self.scope).select_related(
            "recorded_by__official")

    def _exception(self) -> QuotaException:
        return _found(selectors.quota_exception_get, scope=self.scope,
                      pk=int(self.kwargs["exception_id"]))

    def _managed(self) -> QuotaException:
        """The exception named in the URL, for a change: as its page, refused to whoever
        may not change it (403) before the body is read."""
        exception = self._exception()
        if not services.can_manage_quota_exception(self.scope, exception.agency):
            raise PermissionDeniedError(
                _("The organisation board records exceptions to the HTXS quota only for "
                  "the agencies granted to it."), code="forbidden")
        return exception

    def _detail(self, exception: QuotaException, serializer_class=QuotaExceptionDetailSerializer,
                **extra) -> dict:
        exception = selectors.quota_exception_get(scope=self.scope, pk=exception.pk)
        # as the page offers them: not while a period it applies to is approved or later
        # (the service would refuse them, `period_fixed`)
        exception.allowed_actions = (
            ["change", "remove"]
            if services.can_manage_quota_exception(self.scope, exception.agency)
            and services.quota_exception_fixed_refusal(exception) is None else [])
        for name, value in extra.items():
            setattr(exception, name, value)
        return serializer_class(exception).data

    def _agency(self, code: str) -> Unit:
        """The unit the body names, among those the caller reads (an unknown code and one
        the caller cannot read get the same 400, as the lists' filters answer)."""
        try:
            return org_selectors.unit_get(scope=self.scope, code=code.strip())
        except ObjectDoesNotExist:
            raise ServiceError(_("Agency: no unit you can see has the code “%(code)s”.")
                               % {"code": code}, code="unknown_unit", field="agency") from None

    @staticmethod
    def _fields(data: dict) -> dict:
        return {name: data[name] for name in ("valid_from", "valid_to", "share",
                                              "decided_on")} | {
            "decision": data.get("decision", ""), "reason": data.get("reason", "")}

    def retrieve(self, request, exception_id=None):
        return Response(self._detail(self._exception()))

    def create(self, request):
        body = QuotaExceptionWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        exception = services.quota_exception_record(
            actor=request.user, agency=self._agency(data["agency"]), **self._fields(data))
        span = (exception.valid_from, exception.valid_to)
        location = reverse("api:quota-exception-detail",
                           kwargs={"exception_id": exception.pk})
        return Response(self._detail(exception, QuotaExceptionSavedSerializer,
                                     to_score_again=_to_score_again(span)),
                        status=status.HTTP_201_CREATED, headers={"Location": location})

    def update(self, request, exception_id=None, partial: bool = False):
        exception = self._managed()
        body = QuotaExceptionChangeSerializer(data=request.data, partial=partial)
        body.is_valid(raise_exception=True)
        stored = {"valid_from": exception.valid_from, "valid_to": exception.valid_to,
                  "share": exception.share, "decision": exception.decision,
                  "decided_on": exception.decided_on, "reason": exception.reason}
        data = {**stored, **body.validated_data}
        agency = (self._agency(data["agency"]) if "agency" in body.validated_data
                  else exception.agency)
        before = (exception.valid_from, exception.valid_to)
        exception = services.quota_exception_change(
            actor=request.user, exception=exception, agency=agency, why=data.get("why", ""),
            **self._fields(data))
        return Response(self._detail(
            exception, QuotaExceptionSavedSerializer,
            to_score_again=_to_score_again(before, (exception.valid_from,
                                                    exception.valid_to))))

    def partial_update(self, request, exception_id=None):
        return self.update(request, exception_id, partial=True)

    @extend_schema(
        operation_id="quota_exceptions_remove",
        summary="Remove an exception to the HTXS quota",
        description="An exception recorded by mistake or annulled "
                    "(`services.quota_exception_remove`), with `why`: the audit trail keeps "
                    "its content and why. By the administrator and the organisation board "
                    "granted a unit that holds the agency (403 otherwise, before the body "
                    "is read); 404 if the caller does not read it. Refusals: 400 "
                    "`reason_required` (field `why`), `period_fixed` (a period ending on one "
                    "of its days is approved, published or locked). Nothing is written on a "
                    "refusal. Answers the periods to score again.",
        parameters=[EXCEPTION_PARAMETER],
        request=QuotaExceptionRemoveSerializer,
        responses={200: QuotaExceptionRemovedSerializer, **error_responses(400, 403, 404)},
        examples=[OpenApiExample("Annulled", request_only=True,
                                 value={"why": "Quyết định đã bị thu hồi"})],
        tags=TAGS,
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def remove(self, request, exception_id=None):
        exception = self._managed()
        body = QuotaExceptionRemoveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        span = (exception.valid_from, exception.valid_to)
        services.quota_exception_remove(actor=request.user, exception=exception,
                                        why=body.validated_data.get("why", ""))
        return Response(QuotaExceptionRemovedSerializer(
            {"id": int(exception_id), "to_score_again": _to_score_again(span)}).data)


def _to_score_again(*spans) -> list[str]:
    """The labels of the periods ending on a day of `spans` that were scored and may be
    scored again, as the board's page lists them after a write
    (`views._exception_periods_to_score`)."""
    found: dict[int, Period] = {}
    for start, end in spans:
        for period in Period.objects.filter(end__gte=start, end__lte=end, status__in=SCORABLE,
                                            scored_at__isnull=False):
            found[period.pk] = period
    return [p.label for p in sorted(found.values(), key=lambda p: (p.start, p.kind))]
