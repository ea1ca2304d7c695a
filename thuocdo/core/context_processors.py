"""Template context shared by every page."""

from __future__ import annotations


def scope(request) -> dict:
    return {"scope": getattr(request, "scope", None)}
