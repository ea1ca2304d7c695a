"""API routes of accountability (included under /api/ in the "api" namespace).

Names: api:signal-list (GET, and POST to record an S14 or S15), api:signal-detail,
api:signal-request, api:signal-explain, api:signal-decide.
"""

from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("signals", api.SignalViewSet, basename="signal")

urlpatterns = router.urls
