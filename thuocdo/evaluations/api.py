"""The evaluations REST API: periods, the stored score cards the caller reads, and appeals.

`GET /api/evaluations/periods/` (filters: kind, status, year) and `GET
/api/evaluations/periods/{label}/`; `GET /api/evaluations/cards/` (filters: period, unit,
agency, official, grade, status) and `GET /api/evaluations/cards/{period}/{official}/`,
each card in the JSON of `thuocdo score --json` (`serializers.card_json`, the CLI's own
function) with the procedure's fields beside it; `POST
/api/evaluations/cards/{period}/{official}/appeal/` (`{"reason"}`): the official appeals
their published card; `GET /api/evaluations/appeals/` (filters: period, status, waiting),
`GET /api/evaluations/appeals/{appeal_id}/` and `POST
/api/evaluations/appeals/{appeal_id}/decide/` (`{"accepted", "reason",
"general_points"}`).

Reads go through `selectors` with the caller's scope (`ScopedAPIMixin.scope`, which honours
token authentication), as the pages read: a card, or an appeal, outside the scope is a 404
exactly like one that does not exist. Writes go through `services.appeal_file` and
`services.appeal_decide` only, the pages' own, so their rules are enforced once: only the
card's official appeals (403), on published grades within the window, never on a locked
period (400 `period_locked`, `appeal_window_closed`, `period_status`), with a reason (400
`reason_required` on `reason`), once per card (400); only the head of the agency, the
board over it or the administrator decides (403), with a reason, while the period is
published. A refusal writes nothing.
"""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist
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
from thuocdo.core.errors import PermissionDeniedError
from thuocdo.org.filters import SelectorFilterBackend

from . import selectors, services
from .choices import AppealStatus, CardStatus
from .filters import AppealFilter, CardFilter, PeriodFilter
from .models import Appeal
from .serializers import (
    AppealDecisionSerializer,
    AppealDetailSerializer,
    AppealFileSerializer,
    AppealSerializer,
    PeriodDetailSerializer,
    PeriodSerializer,
    ScoreCardDetailSerializer,
    ScoreCardSerializer,
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
                   "accepting_appeals": True})],
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

    def retrieve(self, request, label=None):
        period = _found(selectors.period_get, scope=self.scope, label=label)
        counts = dict(selectors.card_list(scope=self.scope, period=period).order_by()
                      .values_list("status").annotate(n=Count("pk")))
        period.card_counts = {value: counts.get(value, 0) for value in CardStatus.values}
        period.accepting_appeals = services.appeal_refusal(period) is None
        return Response(PeriodDetailSerializer(period).data)


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

    def retrieve(self, request, period=None, official=None):
        card = self._card()
        card.appeal_rows = selectors.appeals_of(card=card)
        own = self.scope.official_id == card.official_id
        # the services' own rules, as the card's page offers the appeal
        may_appeal = own and (services.appeal_refusal(card.period) is None
                              and services.second_appeal_refusal(card) is None)
        card.allowed_actions = ["appeal"] if may_appeal else []
        return Response(ScoreCardDetailSerializer(card).data)

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
