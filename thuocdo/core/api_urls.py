"""API routes of core (the caller's own profile and scope)."""

urlpatterns: list = []
