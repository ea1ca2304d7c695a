"""One helper decides between the full page and an htmx fragment (like NetBox's htmx.py)."""

from __future__ import annotations

from django.shortcuts import render


def is_htmx(request) -> bool:
    """True for an htmx request that is not a full-page boost."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted


def render_page(request, template: str, context: dict, *, partial: str | None = None,
                status: int = 200):
    """Render `template`, or only its named partial `template#partial` for htmx requests."""
    name = f"{template}#{partial}" if partial and is_htmx(request) else template
    return render(request, name, context, status=status)
