"""One helper decides between the full page and an htmx fragment (like NetBox's htmx.py)."""

from __future__ import annotations

from django.shortcuts import render


def is_htmx(request) -> bool:
    """True for an htmx request that wants a fragment: not a boosted full-page request, and
    not a history restore (going back in the browser must get the whole page)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render_page(request, template: str, context: dict, *, partial: str | None = None,
                status: int = 200):
    """Render `template`, or only its named partial `template#partial` for htmx requests."""
    name = f"{template}#{partial}" if partial and is_htmx(request) else template
    return render(request, name, context, status=status)
