"""API routes of citizens (included under /api/ in the "api" namespace)."""

urlpatterns: list = []
