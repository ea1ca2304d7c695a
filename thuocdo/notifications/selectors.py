"""Reads of notifications: a notification is seen by its recipient and nobody else.

Not even an administrator reads another person's inbox: a notification is a message to one
official, and everything it says is on the task's page for those who may read the task.
"""

from __future__ import annotations

from django.db.models import QuerySet

from thuocdo.core.scope import Scope

from .models import Notification


def notification_list(*, scope: Scope, unread: bool | None = None) -> QuerySet[Notification]:
    """The caller's own notifications, newest first (none for a user with no official).
    `unread`: True only unread, False only read, None all."""
    if scope.official_id is None:
        return Notification.objects.none()
    qs = Notification.objects.filter(recipient_id=scope.official_id)
    if unread is not None:
        qs = qs.filter(read_at__isnull=unread)
    return qs.select_related("task").order_by("-created_at", "-id")


def notification_get(*, scope: Scope, pk: int) -> Notification:
    """One of the caller's notifications (raises Notification.DoesNotExist otherwise)."""
    return notification_list(scope=scope).get(pk=pk)


def notification_unread_count(*, official_id: int | None) -> int:
    """How many notifications of the official are unread (one indexed count)."""
    if official_id is None:
        return 0
    return Notification.objects.filter(recipient_id=official_id, read_at__isnull=True).count()
