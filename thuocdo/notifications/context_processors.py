"""`inbox_unread`: the logged-in user's unread notifications, for the top bar."""

from __future__ import annotations

from .selectors import notification_unread_count


def inbox(request) -> dict:
    """0 for anonymous users and users with no official (no query); else one count."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"inbox_unread": 0}
    return {"inbox_unread": notification_unread_count(
        official_id=getattr(user, "official_id", None))}
