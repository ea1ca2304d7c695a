"""API routes of tasks (included under /api/ in the "api" namespace).

Names: api:task-list (GET list, POST assign), api:task-detail, api:task-events, one
api:task-<action> per kind of the workflow table (kind with hyphens: api:task-accept,
api:task-extension-request, ...; path /api/tasks/{code}/{kind}/ with the kind as written in
the exchange format), api:my-work, api:directive-list, api:directive-detail,
api:product-list.

Codes may contain "/" (directive "24-CT/TU"), so the lookup matches it, and a record's
sub-routes (`events/`, the actions) are tried before its detail route. A SimpleRouter: no
format-suffix routes and no extra API root.
"""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import api


class CodeRouter(SimpleRouter):
    """SimpleRouter with a record's actions tried before its detail route, so a code that
    contains "/" is matched whole by the detail route and never taken for an action."""

    list_route, list_actions, detail_route, detail_actions = SimpleRouter.routes
    routes = [list_route, list_actions, detail_actions, detail_route]


router = CodeRouter()
router.register("tasks", api.TaskViewSet, basename="task")
router.register("directives", api.DirectiveViewSet, basename="directive")
router.register("products", api.ProductViewSet, basename="product")

urlpatterns = [
    path("my-work/", api.MyWorkView.as_view(), name="my-work"),
    *router.urls,
]
