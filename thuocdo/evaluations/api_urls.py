"""API routes of evaluations (included under /api/ in the "api" namespace)."""

urlpatterns: list = []
