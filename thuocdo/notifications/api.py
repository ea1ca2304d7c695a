"""The notifications API: the caller's own inbox, and marking it read.

A notification is its recipient's only: anyone else's is a 404, exactly like one that does
not exist. A user with no official has an empty inbox.
"""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from thuocdo.core.api import ScopedAPIMixin, error_responses

from . import selectors, services
from .choices import NotificationKind
from .models import Notification


@extend_schema_field({
    "type": "string",
    "pattern": "^(" + "|".join(NotificationKind.values) + ")$",
    "description": "Why the caller is told: "
                   + ", ".join(f"`{kind}`" for kind in NotificationKind.values) + ".",
})
class NotificationKindField(serializers.CharField):
    """A notification kind. Documented by a pattern rather than an enum, like the task event
    kind: other components have fields named "kind", and enum components are named by field
    name (drf-spectacular would rename them all)."""


class NotificationSerializer(serializers.ModelSerializer):
    kind = NotificationKindField(read_only=True)
    kind_label = serializers.CharField(source="get_kind_display",
                                       help_text="The kind, in the caller's language.")
    task = serializers.CharField(source="task.code", allow_null=True, default=None,
                                 help_text="Code of the task; null when about something else.")
    url = serializers.CharField(help_text="Path of the page the notification is about.")
    is_read = serializers.BooleanField()

    class Meta:
        model = Notification
        fields = ("id", "kind", "kind_label", "task", "deadline", "title", "body", "url",
                  "created_at", "read_at", "is_read")
        read_only_fields = fields


class NotificationQuerySerializer(serializers.Serializer):
    unread = serializers.BooleanField(required=False, allow_null=True, default=None)


class MarkedSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many notifications were marked read.")


NOTIFICATION_EXAMPLE = OpenApiExample(
    "Work passed to the caller",
    value={"id": 41, "kind": "transferred", "kind_label": "Transferred to you",
           "task": "NV2026-000123", "deadline": "2026-10-15",
           "title": "Work passed to you: NV2026-000123",
           "body": "Lê Văn Cường passed “Báo cáo sơ kết 6 tháng” to you (đúng chuyên môn). "
                   "Deadline: 15/10/2026.",
           "url": "/tasks/NV2026-000123/", "created_at": "2026-10-05T09:00:00+07:00",
           "read_at": None, "is_read": False},
    response_only=True,
)
TAGS = ["notifications"]


@extend_schema_view(
    list=extend_schema(
        operation_id="notifications_list",
        summary="The caller's notifications",
        description="Newest first. `unread=true` lists only unread ones, `unread=false` only "
                    "read ones. Empty for a user who is not an official.",
        parameters=[OpenApiParameter("unread", bool, OpenApiParameter.QUERY,
                                     description="Only unread (true) or only read (false).")],
        responses={200: NotificationSerializer(many=True), **error_responses(400, 403)},
        examples=[NOTIFICATION_EXAMPLE],
        tags=TAGS,
    ),
)
class NotificationViewSet(ScopedAPIMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Notifications (thông báo) addressed to the caller."""

    serializer_class = NotificationSerializer
    filter_backends: list = []
    # Notifications have no code (the house rule for records in paths): their id is their
    # name, spelled out so that it is not mistaken for a record's database id.
    lookup_url_kwarg = "notification_id"
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        return selectors.notification_list(scope=self.scope)

    def list(self, request, *args, **kwargs):
        query = NotificationQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        notifications = selectors.notification_list(scope=self.scope,
                                                    unread=query.validated_data["unread"])
        page = self.paginate_queryset(notifications)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def _official(self):
        return self.request.user.official if self.scope.official_id is not None else None

    @extend_schema(
        operation_id="notifications_read",
        summary="Mark a notification read",
        description="Marks one of the caller's notifications read (no change if it already "
                    "is) and returns it. 404 for anyone else's.",
        request=None,
        parameters=[OpenApiParameter("notification_id", int, OpenApiParameter.PATH,
                                     description="The notification's `id`.")],
        responses={200: NotificationSerializer, **error_responses(403, 404)},
        examples=[NOTIFICATION_EXAMPLE],
        tags=TAGS,
    )
    @action(detail=True, methods=["post"])
    def read(self, request, notification_id=None):
        try:
            notification = selectors.notification_get(scope=self.scope,
                                                      pk=int(notification_id))
        except (Notification.DoesNotExist, TypeError, ValueError):
            raise Http404 from None
        notification = services.notification_mark_read(official=self._official(),
                                                       notification=notification)
        return Response(self.get_serializer(notification).data)

    @extend_schema(
        operation_id="notifications_read_all",
        summary="Mark all notifications read",
        description="Marks every unread notification of the caller read.",
        request=None,
        responses={200: MarkedSerializer, **error_responses(403)},
        examples=[OpenApiExample("Three were unread", value={"marked": 3},
                                 response_only=True)],
        tags=TAGS,
    )
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        marked = services.notifications_mark_all_read(official=self._official())
        return Response(MarkedSerializer({"marked": marked}).data)
