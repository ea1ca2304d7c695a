"""Permission specs of core's API routes and of the API's schema and docs.

Decision: the OpenAPI schema, Swagger UI and Redoc are for logged-in users only (an internal
system's API surface is not published to the world); anonymous callers get 403.
"""

from thuocdo.core.testing import PASSWORD, ROLES, RouteSpec, api_expect

LOGGED_IN_ONLY = (
    "anonymous gets 403 once SPECTACULAR_SETTINGS has "
    "'SERVE_PERMISSIONS': ['rest_framework.permissions.IsAuthenticated']"
)
NOT_ALLOWED = {role: 403 if role == "anonymous" else 405 for role in ROLES}


def staff_credentials(world):
    return {"username": world.user("staff").email, "password": PASSWORD}


def wrong_credentials(world):
    return {"username": "CG.STAFF", "password": "not-the-password"}


ROUTES = {
    # The API root: like the rest of the API, for logged-in callers only.
    "api:root": [
        RouteSpec(expect=api_expect("all")),
        RouteSpec(method="post", expect=NOT_ALLOWED),
    ],
    "api:me": [
        RouteSpec(expect=api_expect("all")),
        RouteSpec(method="post", expect=NOT_ALLOWED),
    ],
    # Anyone may ask for a token, logged in or not: the credentials decide.
    "api:auth-token": [
        RouteSpec(method="post", data=staff_credentials, expect=dict.fromkeys(ROLES, 200)),
        RouteSpec(method="post", data=wrong_credentials, expect=dict.fromkeys(ROLES, 400)),
        RouteSpec(method="get", expect=dict.fromkeys(ROLES, 405)),
    ],
    "api:schema": [RouteSpec(expect=api_expect("all"), note=LOGGED_IN_ONLY)],
    "api:docs": [RouteSpec(expect=api_expect("all"), note=LOGGED_IN_ONLY)],
    "api:redoc": [RouteSpec(expect=api_expect("all"), note=LOGGED_IN_ONLY)],
}
