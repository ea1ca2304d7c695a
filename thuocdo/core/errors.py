"""Errors raised by services: one kind, with a stable code and a translated message.

Views show `message` next to the field; the API returns `{"code", "message", "field"}`;
commands print it. Raising it inside a service's transaction means nothing was written.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError


class ServiceError(ValidationError):
    """A rule of the domain refused the change. `code` is stable; `message` is translated."""

    def __init__(self, message: str, *, code: str, field: str | None = None) -> None:
        if field:
            super().__init__({field: [ValidationError(message, code=code)]})
        else:
            super().__init__(message, code=code)
        self.service_code = code
        self.service_message = str(message)
        self.field = field


class PermissionDeniedError(ServiceError):
    """The actor may not do this (maps to HTTP 403)."""
