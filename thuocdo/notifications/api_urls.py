"""API routes of notifications (included under /api/ in the "api" namespace).

Names: api:notification-list, api:notification-read, api:notification-read-all.
"""

from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("notifications", api.NotificationViewSet, basename="notification")

urlpatterns = router.urls
