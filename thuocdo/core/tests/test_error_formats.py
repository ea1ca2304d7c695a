"""An unknown route or a crash under /api/ or /open311/ answers in the client's own
format, not with the site's HTML page; the pages keep theirs."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from thuocdo.core import views

pytestmark = pytest.mark.django_db


def test_an_unknown_api_route_is_a_json_404(client):
    response = client.get("/api/nope/")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "Không tìm thấy.", "errors": {}}
    assert "Không tìm thấy." in response.content.decode()  # UTF-8, as DRF's, not \u escapes
    response = client.post("/api/notifications/abc/read/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_an_unknown_open311_route_is_an_open311_error(client):
    response = client.get("/open311/v2/discovery.json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert response.json() == [{"code": 404, "description": "Not found."}]


def test_a_page_keeps_the_sites_404_page(client):
    response = client.get("/tasks/nope/nope/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(("path", "kind"), [("/api/tasks/", dict), ("/open311/v2/x", list),
                                            ("/tasks/", None)])
def test_a_server_error_answers_in_the_clients_format(path, kind):
    response = views.server_error(RequestFactory().get(path))
    assert response.status_code == 500
    if kind is None:
        assert response["Content-Type"].startswith("text/html")
    else:
        import json

        body = json.loads(response.content)
        assert isinstance(body, kind)
        assert (body["code"] if kind is dict else body[0]["code"]) in ("server_error", 500)


def test_a_session_write_without_its_csrf_token_says_so_in_the_callers_language(world):
    """DRF refused it in English only, as a plain `permission_denied`."""
    from django.test import Client

    from thuocdo.core.testing import PASSWORD

    client = Client(enforce_csrf_checks=True)
    login = client.get("/accounts/login/")
    token = login.cookies["csrftoken"].value
    client.post("/accounts/login/", {"username": "cg.staff@example.vn",
                                     "password": PASSWORD, "csrfmiddlewaretoken": token})
    response = client.post("/api/notifications/read-all/")
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "csrf_failed" and "X-CSRFToken" in body["message"]
    assert "CSRF Failed" not in body["message"]


def test_an_api_day_filter_says_the_form_it_takes(world):
    """It takes YYYY-MM-DD only, and said "dd/mm/yyyy", the form it had just refused."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(world.user("head"))
    body = client.get("/api/tasks/", {"due_from": "03/04/2026"},
                      HTTP_ACCEPT_LANGUAGE="en").json()
    assert body["errors"]["due_from"] == ["Give a real day, as YYYY-MM-DD."]
