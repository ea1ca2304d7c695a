"""API plumbing shared by every app: pagination, the error format, the caller's scope.

Errors are JSON `{"code": ..., "message": ..., "errors": {...}}` in the caller's language.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, pagination, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import PermissionDeniedError, ServiceError
from .scope import Scope, scope_for


class Pagination(pagination.PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


class ErrorSerializer(serializers.Serializer):
    """The body of every API error (documents `exception_handler` in the OpenAPI schema)."""

    code = serializers.CharField(help_text="Stable, machine-readable error code.")
    message = serializers.CharField(help_text="What went wrong, in the caller's language.")
    errors = serializers.DictField(
        # a message (text), or a row's errors (an object) for a list field
        child=serializers.ListField(child=serializers.JSONField()),
        help_text="Messages by field name (`non_field_errors` for the request as a whole). A "
                  "list field's errors are listed by row, `{}` for a row without errors: "
                  '`{"coordinating_units": [{}, {"due": ["..."]}]}`.',
    )


def error_responses(*statuses: int) -> dict:
    """`extend_schema(responses=...)` entries documenting error statuses with ErrorSerializer."""
    from drf_spectacular.utils import OpenApiResponse

    descriptions = {
        400: "Invalid request: `errors` lists the problems by field.",
        403: "Not logged in, or not allowed.",
        404: "No such record within the caller's scope.",
        405: "Method not allowed.",
        409: "The record changed since the caller read it: read it again, then retry.",
        429: "Too many requests, or the account is locked.",
    }
    return {
        status_code: OpenApiResponse(ErrorSerializer, description=descriptions.get(status_code, ""))
        for status_code in statuses
    }


def _join(parts) -> str:
    """Messages one after another: a sentence ends with its own full stop ("… đã qua. 01/11
    là ngày nghỉ…"), a fragment with "; " (it read "đã qua.; 01/11")."""
    out = ""
    for part in (str(p) for p in parts if str(p)):
        out = part if not out else f"{out} {part}" if out.endswith((".", "!", "?")) \
            else f"{out}; {part}"
    return out


def _flatten(detail) -> str:
    if isinstance(detail, list):
        return _join(_flatten(item) for item in detail)
    if isinstance(detail, dict):
        return _join(f"{key}: {_flatten(value)}" for key, value in detail.items())
    return str(detail)


def _rows(detail, given):
    """DRF's errors of a list's rows (`{"1": {...}}`, keyed by the row's index) as the
    documented shape, a list with one entry per row of the request's list, `{}` for the
    rows without errors (`ErrorSerializer`, as `_nest` answers a service's refusals)."""
    if isinstance(detail, dict):
        if detail and all(str(key).isdigit() for key in detail) and isinstance(given, list):
            size = max(len(given), *(int(key) + 1 for key in detail))
            return [_rows(detail.get(k, detail.get(str(k), {})),
                          given[k] if k < len(given) else None) for k in range(size)]
        return {key: _rows(value, given.get(key) if isinstance(given, dict) else None)
                for key, value in detail.items()}
    if isinstance(detail, list):
        return [_rows(item, None) for item in detail]
    return detail


def _nest(path: tuple, leaf: list, given) -> dict | list:
    """A refusal at `path` (`ServiceError.path`) shaped as DRF shapes a serializer's errors:
    `("coordinating_units", 1, "due")` → `{"coordinating_units": [{}, {"due": [message]}]}`.
    A list has one entry per row of the request's own list there (`given`, the request's
    data), `{}` for the rows without errors, as DRF's `many=True` serializers answer."""
    if not path:
        return leaf
    step, rest = path[0], path[1:]
    if isinstance(step, int):
        rows = given if isinstance(given, list) else []
        inner = _nest(rest, leaf, rows[step] if step < len(rows) else None)
        return [inner if k == step else {} for k in range(max(step + 1, len(rows)))]
    inner = _nest(rest, leaf, given.get(step) if isinstance(given, dict) else None)
    return {step: inner}


def _merge(a, b):
    """Two `_nest` answers as one: objects key by key, rows row by row, messages after one
    another."""
    if isinstance(a, dict) and isinstance(b, dict):
        merged = dict(a)
        for key, value in b.items():
            merged[key] = _merge(merged[key], value) if key in merged else value
        return merged
    if isinstance(a, list) and isinstance(b, list) and all(
            isinstance(item, dict) for item in (*a, *b)):
        return [_merge(a[k] if k < len(a) else {}, b[k] if k < len(b) else {})
                for k in range(max(len(a), len(b)))]
    return [*a, *b] if isinstance(a, list) and isinstance(b, list) else b


#: refusals of a write made on a stale view (the record changed since the caller read it:
#: a task's `version`, a signal's step): 409 Conflict, read again and retry
CONFLICT_CODES = frozenset({"task_changed", "signal_changed"})


def exception_handler(exc, context):
    """Turn every error into `{"code", "message", "errors"}` JSON. A service's error that
    gathers several refusals (`ServiceError.collect`) lists each under its path in `errors`;
    its `code` is the first's, its `message` all of theirs."""
    if isinstance(exc, PermissionDeniedError):
        return Response(
            {"code": exc.service_code, "message": exc.service_message, "errors": {}},
            status=status.HTTP_403_FORBIDDEN,
        )
    if isinstance(exc, ServiceError) and exc.service_code in CONFLICT_CODES:
        return Response({"code": exc.service_code, "message": exc.service_message,
                         "errors": {}}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, ServiceError):
        request = context.get("request") if context else None
        given = getattr(request, "data", None)
        # every refusal the service found (`ServiceError.problems`), each at its path
        errors: dict | list = {}
        for problem in exc.problems:
            if problem.path:
                errors = _merge(errors, _nest(problem.path, [problem.service_message], given))
        return Response(
            {"code": exc.service_code, "message": exc.service_message, "errors": errors},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, DjangoValidationError):
        errors = getattr(exc, "message_dict", None) or {"non_field_errors": exc.messages}
        return Response(
            {"code": "invalid", "message": "; ".join(exc.messages), "errors": errors},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, exceptions.PermissionDenied) and str(exc.detail).startswith(
            "CSRF Failed"):
        # DRF's session authentication says it in English only, as a plain refusal
        return Response(
            {"code": "csrf_failed", "errors": {},
             "message": _("The request came with the session's cookie but without its CSRF "
                          "token: send the X-CSRFToken header (the csrftoken cookie's value), "
                          "or authenticate with an API token instead.")},
            status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, exceptions.ParseError):
        # DRF's text carries the JSON parser's own English ("Expecting property name ...")
        exc = exceptions.ParseError(_("The request's body is not valid JSON: check its "
                                      "quotes, commas and brackets."))
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    detail = response.data
    if isinstance(exc, exceptions.ValidationError):
        code, message = "invalid", _("The request has invalid fields.")
        # `errors` is always an object: errors not tied to a field go under non_field_errors.
        request = context.get("request") if context else None
        errors = (_rows(detail, getattr(request, "data", None)) if isinstance(detail, dict)
                  else {"non_field_errors": detail})
        if not isinstance(detail, dict):
            message = _flatten(detail)
    else:
        code = getattr(exc, "default_code", "error")
        if isinstance(detail, dict) and "detail" in detail:
            code = getattr(detail["detail"], "code", code)
        message, errors = _flatten(detail.get("detail", detail) if isinstance(detail, dict)
                                   else detail), {}
    response.data = {"code": code, "message": message, "errors": errors}
    return response


class ScopedAPIMixin:
    """Gives a DRF view `self.scope`: the caller's scope, computed from DRF's user (so token
    authentication is honoured), once per request."""

    request: object

    @property
    def scope(self) -> Scope:
        cached = getattr(self, "_scope", None)
        if cached is None:
            cached = scope_for(self.request.user)  # type: ignore[attr-defined]
            self._scope = cached
        return cached
