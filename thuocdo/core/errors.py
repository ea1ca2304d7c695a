"""Errors raised by services: one kind, with a stable code and a translated message.

Views show `message` next to the field; the API returns `{"code", "message", "errors"}`
with the message under the field; commands print it. Raising it inside a service's
transaction means nothing was written.

The field refused is a name (`"due"`), or, for a field of one row of a list the service was
given, the path to it: `("coordinating_units", 1, "due")` is the deadline of the second
coordinating unit (rows counted from 0 in the order the service received them). `field` is
then the list's name and `path` the whole: a page puts the message on that row's input, the
API nests it as DRF nests a row's errors (`{"coordinating_units": [{}, {"due": [...]}]}`).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

#: where a refusal belongs: a field's name, or a path through rows (names and row indexes)
FieldPath = str | tuple[str | int, ...]


class ServiceError(ValidationError):
    """A rule of the domain refused the change. `code` is stable; `message` is translated;
    `field` (a name or a path, see the module doc) says which input was refused."""

    def __init__(self, message: str, *, code: str, field: FieldPath | None = None) -> None:
        path: tuple[str | int, ...] = (field,) if isinstance(field, str) else tuple(field or ())
        top = str(path[0]) if path else None
        if top:
            super().__init__({top: [ValidationError(message, code=code)]})
        else:
            super().__init__(message, code=code)
        self.service_code = code
        self.service_message = str(message)
        #: the top-level field's name (a list's, for a row's field), or None
        self.field = top
        #: the whole path: `("due",)`, `("coordinating_units", 1, "due")`; `()` for none
        self.path = path if top else ()

    @property
    def path_text(self) -> str:
        """The path as the exchange format's problems write it: `coordinating_units[1].due`."""
        text = ""
        for step in self.path:
            text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else step)
        return text


class PermissionDeniedError(ServiceError):
    """The actor may not do this (maps to HTTP 403)."""
