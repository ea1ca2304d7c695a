"""Attach the caller's scope to every request, lazily (`request.scope`)."""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject

from .scope import get_scope


class ScopeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.scope = SimpleLazyObject(lambda: get_scope(request))
        return self.get_response(request)
