"""Pages that belong to no single app: the home page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from thuocdo.org import selectors as org_selectors


@login_required
def home(request):
    """The user's starting page: who they are and what they can see."""
    scope = request.scope
    context = {
        "roots": org_selectors.unit_roots(scope=scope),
        "memberships": (
            org_selectors.official_list(scope=scope, active=None)
            .filter(pk=scope.official_id).first()
            if scope.official_id else None
        ),
    }
    return render(request, "core/home.html", context)
