"""Errors raised by services: one kind, with a stable code and a translated message.

Views show `message` next to the field; the API returns `{"code", "message", "errors"}`
with the message under the field; commands print it. Raising it inside a service's
transaction means nothing was written.

The field refused is a name (`"due"`), or, for a field of one row of a list the service was
given, the path to it: `("coordinating_units", 1, "due")` is the deadline of the second
coordinating unit (rows counted from 0 in the order the service received them). `field` is
then the list's name and `path` the whole: a page puts the message on that row's input, the
API nests it as DRF nests a row's errors (`{"coordinating_units": [{}, {"due": [...]}]}`).

A service whose checks do not depend on each other runs them all and raises what they
found together (`Problems`, `ServiceError.collect`): one error whose `problems` are each
refusal, so a page shows every mistake at once, each on its input, and the API lists
them all in `errors`. A refusal of permission is never collected: it is raised alone.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

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
        #: every refusal this error reports: itself, or those `collect` gathered
        self.problems: tuple[ServiceError, ...] = (self,)

    @classmethod
    def collect(cls, problems: Sequence[ServiceError]) -> ServiceError:
        """One error reporting all of `problems` (not empty), in their order: the first's
        code, path and message (the messages of all, for more than one), and `problems`
        each of them. Django reads them all too (`message_dict`, by top-level field)."""
        found = [one for error in problems for one in error.problems]
        if len(found) == 1:
            return found[0]
        first = found[0]
        error = cls("; ".join(p.service_message for p in found), code=first.service_code,
                    field=first.path or None)
        by_field: dict[str, list[ValidationError]] = {}
        for problem in found:
            by_field.setdefault(problem.field or NON_FIELD_ERRORS, []).append(
                ValidationError(problem.service_message, code=problem.service_code))
        ValidationError.__init__(error, by_field)
        error.problems = tuple(found)
        return error

    @property
    def path_text(self) -> str:
        """The path as the exchange format's problems write it: `coordinating_units[1].due`."""
        text = ""
        for step in self.path:
            text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else step)
        return text


class PermissionDeniedError(ServiceError):
    """The actor may not do this (maps to HTTP 403)."""


class Problems:
    """The refusals of checks that do not depend on each other, gathered to be raised
    together: `with problems.check(): ...` runs a check and keeps its refusal (a refusal
    of permission is raised at once); `raise_found()` raises them as one `ServiceError`."""

    def __init__(self) -> None:
        self.found: list[ServiceError] = []

    def __bool__(self) -> bool:
        return bool(self.found)

    def add(self, error: ServiceError) -> None:
        if isinstance(error, PermissionDeniedError):
            raise error
        self.found.extend(error.problems)

    @contextmanager
    def check(self) -> Iterator[None]:
        try:
            yield
        except ServiceError as error:
            self.add(error)

    def raise_found(self) -> None:
        if self.found:
            raise ServiceError.collect(self.found)
