"""Logging of answered requests: a refusal (403) is one WARNING line, never a traceback.

Django logs a `PermissionDenied` raised by a view on "django.request" with the exception's
traceback (`django.utils.log.log_response(..., exception=exc)`), and a 403 answered by the API
as "Forbidden: /path" with no caller. A refusal is the permission system doing its job, not a
fault: `RefusalFilter` (on the "django.request" logger, settings LOGGING) rewrites every 403
record as `Forbidden: GET /path (user someone@example.vn)` and drops its traceback. Records of
other statuses, a 500's traceback among them, pass unchanged.

Imported by the logging configuration, before the apps are loaded: no models here.
"""

from __future__ import annotations

import logging


def _escaped(value: str) -> str:
    # as django.utils.log.log_response: a path can carry control characters (log injection)
    return value.encode("unicode_escape").decode("ascii")


def _caller(request) -> str:
    user = getattr(request, "user", None)
    try:
        if user is None or not user.is_authenticated:
            return "anonymous"
        return user.get_username()
    except Exception:  # a log line must never fail the request
        return "unknown"


class RefusalFilter(logging.Filter):
    """A 403 logged by Django as one line with method, path and user, without traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) != 403:
            return True
        request = getattr(record, "request", None)
        if request is None:
            record.exc_info = record.exc_text = None
            return True
        record.msg = "Forbidden: %s %s (user %s)"
        record.args = (_escaped(request.method or ""), _escaped(request.path),
                       _escaped(_caller(request)))
        record.exc_info = record.exc_text = None
        return True
