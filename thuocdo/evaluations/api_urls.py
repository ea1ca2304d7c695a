"""API routes of evaluations (included under /api/ in the "api" namespace).

Names: api:evaluation-period-list, api:evaluation-period-detail (by label) and the board's
steps api:evaluation-period-score, -start-review, -publish, -lock; api:score-card-list,
api:score-card-detail, api:score-card-self-score, api:score-card-assessment and
api:score-card-appeal (a card by period label and official code:
/api/evaluations/cards/{period}/{official}/); api:evaluation-unit-detail,
-assessments, -review, -approve (a unit's cards in a period:
/api/evaluations/units/{period}/{unit}/); api:appeal-list, api:appeal-detail,
api:appeal-decide (an appeal by number); api:quota-exception-list (GET, and POST to record
one), api:quota-exception-detail (GET, PUT, PATCH) and api:quota-exception-remove (an
exception by number). A SimpleRouter: no format-suffix routes and no
extra API root.
"""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("evaluations/periods", api.PeriodViewSet, basename="evaluation-period")
router.register("evaluations/appeals", api.AppealViewSet, basename="appeal")
router.register("evaluations/quota-exceptions", api.QuotaExceptionViewSet,
                basename="quota-exception")

CARD = "evaluations/cards/<str:period>/<str:official>/"
UNIT = "evaluations/units/<str:period>/<str:unit>/"


def _unit(method: str, name: str):
    return api.EvaluationUnitViewSet.as_view({method: name.replace("-", "_")})


urlpatterns = [
    path("evaluations/cards/", api.ScoreCardViewSet.as_view({"get": "list"}),
         name="score-card-list"),
    path(CARD, api.ScoreCardViewSet.as_view({"get": "retrieve"}), name="score-card-detail"),
    path(f"{CARD}self-score/", api.ScoreCardViewSet.as_view({"post": "self_score"}),
         name="score-card-self-score"),
    path(f"{CARD}assessment/", api.ScoreCardViewSet.as_view({"post": "assess"}),
         name="score-card-assessment"),
    path(f"{CARD}appeal/", api.ScoreCardViewSet.as_view({"post": "appeal"}),
         name="score-card-appeal"),
    path(UNIT, _unit("get", "retrieve"), name="evaluation-unit-detail"),
    *(path(f"{UNIT}{name}/", _unit("post", name), name=f"evaluation-unit-{name}")
      for name in ("assessments", "review", "approve")),
    *router.urls,
]
