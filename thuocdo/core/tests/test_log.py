"""The server log: a refused request (403) is one WARNING line with method, path and user,
without a traceback; a server error (500) keeps its traceback (core.log, settings LOGGING)."""

from __future__ import annotations

import logging

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import include, path
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def refuse(request, rest=""):
    raise PermissionDenied("not yours")


def crash(request):
    raise RuntimeError("a real fault")


#: a URL map of this test's own (settings ROOT_URLCONF): the project's, with a view that
#: refuses and one that fails
urlpatterns = [
    path("refuse/", refuse),
    path("refuse/<str:rest>", refuse),
    path("crash/", crash),
    path("", include("thuocdo.config.urls")),
]


def request_records(caplog):
    return [record for record in caplog.records if record.name == "django.request"]


def test_a_refused_page_is_one_warning_line_without_traceback(world, client_for, caplog,
                                                              settings):
    settings.ROOT_URLCONF = __name__
    caplog.set_level(logging.WARNING, logger="django.request")
    staff = world.user("staff")
    response = client_for(staff).post("/refuse/?x=1")
    assert response.status_code == 403
    [record] = request_records(caplog)
    assert record.levelno == logging.WARNING
    assert record.exc_info is None and not record.exc_text
    assert record.getMessage() == f"Forbidden: POST /refuse/ (user {staff.get_username()})"
    assert "Traceback" not in caplog.text


def test_a_refused_api_call_names_method_path_and_user(world, caplog):
    caplog.set_level(logging.WARNING, logger="django.request")
    assert APIClient().get("/api/me/").status_code == 403
    [record] = request_records(caplog)
    assert record.levelno == logging.WARNING and record.exc_info is None
    assert record.getMessage() == "Forbidden: GET /api/me/ (user anonymous)"


def test_a_path_cannot_forge_log_lines(world, client_for, caplog, settings):
    settings.ROOT_URLCONF = __name__
    caplog.set_level(logging.WARNING, logger="django.request")
    assert client_for(None).get("/refuse/x%0AForbidden: GET y").status_code == 403
    [record] = request_records(caplog)
    assert "\n" not in record.getMessage()
    assert record.getMessage() == "Forbidden: GET /refuse/x\\nForbidden: GET y (user anonymous)"


def test_a_server_error_keeps_its_traceback(caplog, settings):
    settings.ROOT_URLCONF = __name__
    caplog.set_level(logging.WARNING, logger="django.request")
    response = Client(raise_request_exception=False).get("/crash/")
    assert response.status_code == 500
    [record] = request_records(caplog)
    assert record.levelno == logging.ERROR
    assert record.exc_info and record.exc_info[0] is RuntimeError
    assert "Traceback" in caplog.text
