"""API routes of the organisation (included under /api/ in the "api" namespace).

Names: api:unit-list, api:unit-detail, api:unit-children, api:unit-members,
api:official-list, api:official-detail, api:official-memberships, api:task-group-list.
A SimpleRouter, not a DefaultRouter: no format-suffix routes and no extra API root.
"""

from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("units", api.UnitViewSet, basename="unit")
router.register("officials", api.OfficialViewSet, basename="official")
router.register("task-groups", api.TaskGroupViewSet, basename="task-group")

urlpatterns = router.urls
