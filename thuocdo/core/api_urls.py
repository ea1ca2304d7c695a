"""API routes of core (the API root, the caller's own profile and scope, API tokens)."""

from django.urls import path

from . import api_views

urlpatterns = [
    path("", api_views.ApiRootView.as_view(), name="root"),
    path("me/", api_views.MeView.as_view(), name="me"),
    path("auth/token/", api_views.TokenView.as_view(), name="auth-token"),
]
