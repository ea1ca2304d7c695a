"""API routes of evaluations (included under /api/ in the "api" namespace).

Names: api:evaluation-period-list, api:evaluation-period-detail (by label),
api:score-card-list, api:score-card-detail and api:score-card-appeal (a card by period
label and official code: /api/evaluations/cards/{period}/{official}/), api:appeal-list,
api:appeal-detail, api:appeal-decide (an appeal by number). A SimpleRouter: no
format-suffix routes and no extra API root.
"""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("evaluations/periods", api.PeriodViewSet, basename="evaluation-period")
router.register("evaluations/appeals", api.AppealViewSet, basename="appeal")

CARD = "evaluations/cards/<str:period>/<str:official>/"

urlpatterns = [
    path("evaluations/cards/", api.ScoreCardViewSet.as_view({"get": "list"}),
         name="score-card-list"),
    path(CARD, api.ScoreCardViewSet.as_view({"get": "retrieve"}), name="score-card-detail"),
    path(f"{CARD}appeal/", api.ScoreCardViewSet.as_view({"post": "appeal"}),
         name="score-card-appeal"),
    *router.urls,
]
