"""Core API: /api/me/, API tokens (with the account lockout), the error format, the OpenAPI
schema and the offline documentation pages."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from rest_framework import exceptions
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from thuocdo.core.api import exception_handler
from thuocdo.core.api_views import ROOT_ENDPOINTS
from thuocdo.core.errors import ServiceError
from thuocdo.core.testing import PASSWORD, ok

pytestmark = pytest.mark.django_db


def assert_error(response, status, code):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"code", "message", "errors"}
    assert body["code"] == code
    assert body["message"]
    return body


# -- /api/ ------------------------------------------------------------------------------


def test_the_api_root_lists_the_endpoints_and_the_documentation(world):
    client = APIClient()
    client.force_authenticate(world.user("staff"))
    body = ok(client.get("/api/"))
    assert set(body) == {"endpoints", "documentation"}
    assert body["endpoints"]["tasks"] == "http://testserver/api/tasks/"
    assert body["endpoints"]["me"] == "http://testserver/api/me/"
    assert body["documentation"] == {"schema": "http://testserver/api/schema/",
                                     "docs": "http://testserver/api/docs/",
                                     "redoc": "http://testserver/api/redoc/"}
    # every link is a route of the API
    for url in (*body["endpoints"].values(), *body["documentation"].values()):
        assert resolve(url.removeprefix("http://testserver")).namespace == "api", url


def test_the_api_root_is_for_logged_in_callers_like_the_rest_of_the_api():
    assert_error(APIClient().get("/api/"), 403, "not_authenticated")


def test_the_api_root_lists_every_collection():
    """A new collection (a route named "...-list" in the API) is listed by the root."""
    lists = {f"api:{pattern.name}" for pattern in _api_patterns()
             if pattern.name and pattern.name.endswith("-list")}
    assert lists
    assert lists <= set(ROOT_ENDPOINTS.values()), sorted(lists - set(ROOT_ENDPOINTS.values()))


def _api_patterns():
    """Every named route under /api/ (the "api" namespace of the URL map)."""

    def walk(patterns):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns)
            elif isinstance(pattern, URLPattern):
                yield pattern

    api = next(pattern for pattern in get_resolver().url_patterns
               if isinstance(pattern, URLResolver) and pattern.namespace == "api")
    return list(walk(api.url_patterns))


# -- /api/me/ ---------------------------------------------------------------------------


def me(world, role):
    client = APIClient()
    client.force_authenticate(world.user(role))
    response = client.get(reverse("api:me"))
    assert response.status_code == 200
    return response.json()


def unit_codes(units):
    return [unit["code"] for unit in units]


def test_me_for_a_head(world):
    body = me(world, "head")
    assert body["email"] == "cg.head@example.vn"
    assert body["official"] == "CG.HEAD"
    assert body["roles"] == ["head"]
    assert body["read_only"] is False
    scope = body["scope"]
    assert scope["all_units"] is False
    assert unit_codes(scope["read"]) == ["HN.CG"]
    assert unit_codes(scope["lead"]) == ["HN.CG"]
    assert scope["board"] == []
    assert scope["member"] == [{"code": "HN.CG", "name": "UBND quận Cầu Giấy"}]


def test_me_for_other_roles(world):
    admin = me(world, "admin")
    assert (admin["roles"], admin["official"], admin["scope"]["all_units"]) == (
        ["admin"], None, True)
    inspector = me(world, "inspector")
    assert inspector["roles"] == ["inspector"] and inspector["read_only"] is True
    assert unit_codes(inspector["scope"]["read"]) == ["HN.CG"]
    assert inspector["scope"]["lead"] == inspector["scope"]["member"] == []
    board = me(world, "board")
    assert unit_codes(board["scope"]["board"]) == unit_codes(board["scope"]["read"]) == ["HN.CG"]
    staff = me(world, "staff")
    assert staff["roles"] == ["staff"] and staff["scope"]["read"] == []
    assert unit_codes(staff["scope"]["member"]) == ["HN.CG.VP"]


def test_me_needs_a_login():
    assert_error(APIClient().get(reverse("api:me")), 403, "not_authenticated")


# -- /api/auth/token/ -------------------------------------------------------------------


def get_token(username, password=PASSWORD, client=None):
    return (client or APIClient()).post(
        reverse("api:auth-token"), {"username": username, "password": password}, format="json"
    )


@pytest.mark.parametrize("username", ["cg.staff@example.vn", "CG.Staff@Example.VN", "CG.STAFF"])
def test_token_by_email_or_official_code(world, username):
    response = get_token(username)
    assert response.status_code == 200, response.content
    token = response.json()["token"]
    assert Token.objects.get(key=token).user == world.user("staff")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get(reverse("api:me")).json()["official"] == "CG.STAFF"


def test_the_same_token_every_time(world):
    assert get_token("CG.STAFF").json() == get_token("cg.staff@example.vn").json()
    assert Token.objects.count() == 1


def test_token_accepts_form_data(world):
    response = APIClient().post(reverse("api:auth-token"),
                                {"username": "CG.HEAD", "password": PASSWORD})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("username", "password"),
    [("CG.STAFF", "wrong"), ("nobody@example.vn", PASSWORD), ("NOPE", PASSWORD)],
)
def test_wrong_credentials_are_400_and_say_nothing_more(world, username, password):
    body = assert_error(get_token(username, password), 400, "invalid_credentials")
    assert body["errors"] == {}


def test_an_inactive_user_gets_no_token(world):
    user = world.user("staff")
    user.is_active = False
    user.save(update_fields=["is_active"])  # no service to deactivate users yet
    assert_error(get_token("CG.STAFF"), 400, "invalid_credentials")


def test_missing_fields_are_400_by_field(world):
    body = assert_error(APIClient().post(reverse("api:auth-token"), {}, format="json"),
                        400, "invalid")
    assert set(body["errors"]) == {"username", "password"}


def test_the_fifth_failure_locks_the_account_with_a_json_error(world, settings):
    """django-axes counts the API's failures like the login page's; the lock is JSON, not the
    HTML lockout page."""
    assert settings.AXES_FAILURE_LIMIT == 5
    for attempt in range(4):
        username = "CG.STAFF" if attempt % 2 else "cg.staff@example.vn"
        assert_error(get_token(username, "wrong"), 400, "invalid_credentials")
    response = get_token("CG.STAFF", "wrong")
    body = assert_error(response, 429, "account_locked")
    assert "15" in body["message"]  # AXES_COOLOFF_TIME: a quarter of an hour
    assert int(response["Retry-After"]) == 15 * 60
    # Other accounts are not locked.
    assert get_token("CG.HEAD").status_code == 200


def test_a_locked_account_gets_no_token_even_with_the_right_password(world):
    for _attempt in range(5):
        get_token("CG.STAFF", "wrong")
    for username in ("CG.STAFF", "cg.staff@example.vn"):
        response = get_token(username)
        assert_error(response, 429, "account_locked")
        assert "token" not in response.json()


def test_a_success_clears_the_failure_count(world):
    for _attempt in range(4):
        get_token("CG.STAFF", "wrong")
    assert get_token("CG.STAFF").status_code == 200
    for _attempt in range(4):
        assert_error(get_token("CG.STAFF", "wrong"), 400, "invalid_credentials")
    assert get_token("CG.STAFF").status_code == 200


def test_failures_on_the_api_lock_the_login_page_too(world, client):
    for _attempt in range(5):
        get_token("CG.STAFF", "wrong")
    response = client.post(reverse("accounts:login"),
                           {"username": "CG.STAFF", "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


# -- the error format -------------------------------------------------------------------


def test_validation_errors_that_are_not_per_field_still_give_an_object():
    response = exception_handler(exceptions.ValidationError(["Too late.", "Too big."]), {})
    assert response.status_code == 400
    assert response.data == {"code": "invalid", "message": "Too late. Too big.",
                             "errors": {"non_field_errors": ["Too late.", "Too big."]}}


def test_a_service_error_is_listed_under_its_field_or_nested_on_its_row():
    """A field's name: the message under it. A path to a row's field: nested as DRF nests
    a row's errors, one entry per row of the request's list (up to the row without it)."""
    assert exception_handler(ServiceError("Sai.", code="bad", field="due"), {}).data == {
        "code": "bad", "message": "Sai.", "errors": {"due": ["Sai."]}}
    assert exception_handler(ServiceError("Sai.", code="bad"), {}).data["errors"] == {}
    refused = ServiceError("Sai.", code="bad", field=("coordinating_units", 1, "due"))
    assert (refused.field, refused.path_text) == ("coordinating_units",
                                                  "coordinating_units[1].due")
    assert refused.message_dict == {"coordinating_units": ["Sai."]}
    request = SimpleNamespace(data={"coordinating_units": [{}, {}, {}]})
    assert exception_handler(refused, {"request": request}).data["errors"] == {
        "coordinating_units": [{}, {"due": ["Sai."]}, {}]}
    assert exception_handler(refused, {}).data["errors"] == {
        "coordinating_units": [{}, {"due": ["Sai."]}]}


def test_404_403_405_are_json_with_code_and_message(world):
    anonymous = APIClient()
    assert_error(anonymous.get(reverse("api:official-list")), 403, "not_authenticated")
    client = APIClient()
    client.force_authenticate(world.user("staff"))
    assert_error(client.get(reverse("api:official-detail", kwargs={"code": "BD.STAFF"})),
                 404, "not_found")
    assert_error(client.delete(reverse("api:me")), 405, "method_not_allowed")


# -- OpenAPI schema and documentation ---------------------------------------------------


def test_the_schema_generates_without_warnings_or_errors(tmp_path):
    """Every endpoint is documented well enough for drf-spectacular to raise no warning, and
    the result validates against the OpenAPI 3 specification."""
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    for operation_id in ("units_list", "units_retrieve", "units_children_list",
                         "units_members_list", "officials_list", "officials_retrieve",
                         "officials_memberships_list", "task_groups_list", "me_retrieve",
                         "auth_token_create", "exchange_schema_retrieve"):
        assert f"operationId: {operation_id}\n" in text, operation_id


def test_every_api_operation_has_a_summary(world):
    client = APIClient()
    client.force_authenticate(world.user("staff"))
    response = client.get(reverse("api:schema"), {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    operations = [op for path in schema["paths"].values() for op in path.values()]
    assert operations and all(op.get("summary") for op in operations)
    # Records are named by code in every path.
    assert all("{id}" not in path and "{pk}" not in path for path in schema["paths"])
    assert "tokenAuth" in schema["components"]["securitySchemes"]


ASSET = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")


def _assets(html: str) -> list[str]:
    return ASSET.findall(html)


def test_swagger_ui_is_served_offline(world, client_for):
    response = client_for(world.user("staff")).get(reverse("api:docs"))
    assert response.status_code == 200
    html = response.content.decode()
    assert not re.search(r"https?://", html), "Swagger UI must not load anything remote"
    assets = _assets(html)
    assert len(assets) >= 3  # css, bundle, standalone preset (and the favicon)
    for url in assets:
        assert url.startswith("/static/"), url
        assert finders.find(url.removeprefix("/static/")), f"{url} is not an installed asset"


def test_redoc_is_served_offline(world, client_for):
    response = client_for(world.user("staff")).get(reverse("api:redoc"))
    assert response.status_code == 200
    html = response.content.decode()
    assert not re.search(r"https?://", html)
    assert all(url.startswith("/static/") for url in _assets(html))


def test_swagger_ui_does_not_call_the_online_validator(world, client_for):
    html = client_for(world.user("staff")).get(reverse("api:docs")).content.decode()
    assert re.search(r'"validatorUrl":\s*null', html)


def test_a_body_that_is_not_json_is_told_so_in_vietnamese(world, client_for):
    """DRF's parse error carries the JSON parser's English; the API says it in the
    caller's language."""
    response = client_for(world.user("head")).post(
        "/api/tasks/", '{"title": "x", bad}', content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="vi")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert response.json()["message"].startswith("Nội dung yêu cầu không phải JSON hợp lệ")
